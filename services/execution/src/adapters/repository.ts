/**
 * MySQL access for execution's tables: orders, trades, execution_outbox, execution_trading_state.
 * Money is DECIMAL(36,18) in and Dec out; times are epoch ms.
 */
import {
  Dec,
  isDuplicateKeyError,
  NotFoundError,
  type Database,
  type FillMessage,
  type OrderStatus,
  type Queryable,
  type Symbol,
  type TradingStateName,
} from '@cte/shared';
import { OPEN_STATUSES } from '../engine/order-state';
import type { Exposure, FillOutcome } from '../engine/order-manager';
import type { Fill, Order } from '../engine/types';
import type { OrderType } from '../engine/validation';

interface OrderRow {
  id: string;
  client_order_id: string;
  venue: string;
  venue_order_id: string | null;
  symbol: string;
  side: 'buy' | 'sell';
  type: OrderType;
  qty: string;
  limit_price: string | null;
  status: OrderStatus;
  filled_qty: string;
  avg_fill_price: string | null;
  fees: string;
  fee_currency: string;
  reason: string;
  recommendation_id: string;
  trace_id: string;
  data_time: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

export interface TradeRecord {
  id: string;
  order_id: string;
  client_order_id: string;
  venue: string;
  venue_trade_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: string;
  price: string;
  fee: string;
  fee_currency: string;
  liquidity: 'maker' | 'taker';
  ts: number;
  trace_id: string;
  created_at: number;
}

interface TradeRow extends Omit<TradeRecord, 'qty' | 'price' | 'fee' | 'ts' | 'created_at'> {
  qty: string;
  price: string;
  fee: string;
  ts: number | string;
  created_at: number | string;
}

export interface OrderFilter {
  status?: OrderStatus;
  symbol?: Symbol;
  limit: number;
  offset: number;
}

export interface TradeFilter {
  symbol?: Symbol;
  orderId?: string;
  limit: number;
  offset: number;
}

export interface OutboxEntry {
  id: number;
  fillId: string;
  payload: FillMessage;
  traceId: string;
  createdAt: number;
}

export interface StoredTradingState {
  state: TradingStateName;
  reason: string;
  updatedAt: number;
  updatedBy: string;
  source: string;
  recordedAt: number;
}

export type RecordFillResult =
  | { duplicate: true }
  | { duplicate: false; before: Order; order: Order; anomaly?: string; message: FillMessage; committedAt: number };

const ORDER_COLUMNS =
  'id, client_order_id, venue, venue_order_id, symbol, side, type, qty, limit_price, status, filled_qty, avg_fill_price, fees, fee_currency, reason, recommendation_id, trace_id, data_time, created_at, updated_at';
const TRADE_COLUMNS = 'id, order_id, client_order_id, venue, venue_trade_id, symbol, side, qty, price, fee, fee_currency, liquidity, ts, trace_id, created_at';

const dec = (s: string): Dec => new Dec(s);
/** A DECIMAL(36,18) string without trailing zeros. */
const plain = (s: string): string => new Dec(s).toFixed();

export function rowToOrder(r: OrderRow): Order {
  return {
    id: r.id,
    clientOrderId: r.client_order_id,
    venue: r.venue,
    venueOrderId: r.venue_order_id,
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    qty: dec(r.qty),
    limitPrice: r.limit_price === null ? null : dec(r.limit_price),
    status: r.status,
    filledQty: dec(r.filled_qty),
    avgFillPrice: r.avg_fill_price === null ? null : dec(r.avg_fill_price),
    fees: dec(r.fees),
    feeCurrency: r.fee_currency,
    reason: r.reason,
    recommendationId: r.recommendation_id,
    traceId: r.trace_id,
    ...(r.data_time !== null && r.data_time !== undefined ? { dataTime: Number(r.data_time) } : {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function rowToTrade(r: TradeRow): TradeRecord {
  return { ...r, qty: plain(r.qty), price: plain(r.price), fee: plain(r.fee), ts: Number(r.ts), created_at: Number(r.created_at) };
}

function where(parts: Array<[string, unknown]>): { sql: string; params: unknown[] } {
  const used = parts.filter(([, v]) => v !== undefined);
  return { sql: used.length ? `WHERE ${used.map(([c]) => c).join(' AND ')}` : '', params: used.map(([, v]) => v) };
}

export function toFillMessage(fill: Fill, fillId: string, traceId: string): FillMessage {
  return {
    fill_id: fillId,
    venue: fill.venue,
    venue_trade_id: fill.venueTradeId,
    order_id: fill.orderId,
    client_order_id: fill.clientOrderId,
    symbol: fill.symbol,
    side: fill.side,
    qty: fill.qty.toFixed(),
    price: fill.price.toFixed(),
    fee: fill.fee.toFixed(),
    fee_currency: fill.feeCurrency,
    liquidity: fill.liquidity,
    ts: fill.ts,
    trace_id: traceId,
  };
}

export class ExecutionRepository {
  constructor(readonly db: Database) {}

  // ---------------------------------------------------------------- orders

  async insertOrder(o: Order, q: Queryable = this.db): Promise<void> {
    await q.execute(
      `INSERT INTO orders (${ORDER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [
        o.id,
        o.clientOrderId,
        o.venue,
        o.venueOrderId,
        o.symbol,
        o.side,
        o.type,
        o.qty,
        o.limitPrice,
        o.status,
        o.filledQty,
        o.avgFillPrice,
        o.fees,
        o.feeCurrency,
        o.reason,
        o.recommendationId,
        o.traceId,
        o.dataTime ?? null,
        o.createdAt,
        o.updatedAt,
      ],
    );
  }

  private async updateOrder(q: Queryable, o: Order): Promise<void> {
    await q.execute(
      'UPDATE orders SET venue_order_id = ?, status = ?, filled_qty = ?, avg_fill_price = ?, fees = ?, reason = ?, updated_at = ? WHERE id = ?',
      [o.venueOrderId, o.status, o.filledQty, o.avgFillPrice, o.fees, o.reason, o.updatedAt, o.id],
    );
  }

  /**
   * Reads the order under a row lock, lets `change` compute its next state (the engine's
   * transition, which throws when illegal) and stores it, in one transaction. Returns [before, after].
   */
  async mutateOrder(id: string, change: (o: Order) => Order): Promise<[Order, Order]> {
    return this.db.transaction(async (tx) => {
      const before = await this.lockOrder(tx, id);
      const after = change(before);
      await this.updateOrder(tx, after);
      return [before, after] as [Order, Order];
    });
  }

  private async lockOrder(tx: Queryable, id: string): Promise<Order> {
    const rows = await tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ? FOR UPDATE`, [id]);
    if (!rows[0]) throw new NotFoundError(`order ${id} not found`);
    return rowToOrder(rows[0]);
  }

  async findOrder(id: string): Promise<Order | undefined> {
    const rows = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`, [id]);
    return rows[0] ? rowToOrder(rows[0]) : undefined;
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | undefined> {
    const rows = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE client_order_id = ?`, [clientOrderId]);
    return rows[0] ? rowToOrder(rows[0]) : undefined;
  }

  async listOrders(f: OrderFilter): Promise<{ orders: Order[]; total: number }> {
    const w = where([
      ['status = ?', f.status],
      ['symbol = ?', f.symbol],
    ]);
    const [rows, count] = await Promise.all([
      this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders ${w.sql} ORDER BY seq DESC LIMIT ? OFFSET ?`, [...(w.params as string[]), f.limit, f.offset]),
      this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM orders ${w.sql}`, w.params as string[]),
    ]);
    return { orders: rows.map(rowToOrder), total: Number(count[0]?.n ?? 0) };
  }

  /** Symbols this venue has orders for (known across restarts). */
  async tradedSymbols(): Promise<Set<string>> {
    const rows = await this.db.query<{ symbol: string }>('SELECT DISTINCT symbol FROM orders');
    return new Set(rows.map((r) => r.symbol));
  }

  async openOrders(): Promise<Order[]> {
    const rows = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE status IN (?) ORDER BY seq`, [OPEN_STATUSES]);
    return rows.map(rowToOrder);
  }

  /** Takes an open order that cannot be restored out of the open set (FAILED, reason 'quarantined'). */
  async quarantineOrder(id: string, now: number): Promise<void> {
    await this.db.execute(`UPDATE orders SET status = 'FAILED', reason = 'quarantined', updated_at = ? WHERE id = ? AND status IN (?)`, [now, id, OPEN_STATUSES]);
  }

  /** Fills recorded per order (for the mock venue's trade ids after a restart). */
  async fillCounts(orderIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (orderIds.length === 0) return out;
    const rows = await this.db.query<{ order_id: string; n: number | string }>('SELECT order_id, COUNT(*) AS n FROM trades WHERE order_id IN (?) GROUP BY order_id', [orderIds]);
    for (const r of rows) out.set(r.order_id, Number(r.n));
    return out;
  }

  /** Net position of `symbol` and the unfilled quantity of its open orders per side, from one consistent snapshot. */
  async exposure(symbol: Symbol): Promise<Exposure> {
    return this.db.transaction(
      async (tx) => {
        const pos = await tx.query<{ pos: string | null }>("SELECT SUM(CASE WHEN side = 'buy' THEN qty ELSE -qty END) AS pos FROM trades WHERE symbol = ?", [symbol]);
        const open = await tx.query<{ side: 'buy' | 'sell'; rem: string | null }>(
          'SELECT side, SUM(qty - filled_qty) AS rem FROM orders WHERE symbol = ? AND status IN (?) GROUP BY side',
          [symbol, OPEN_STATUSES],
        );
        const rem = (side: string): Dec => {
          const r = open.find((x) => x.side === side)?.rem;
          return new Dec(r ?? 0);
        };
        return { position: new Dec(pos[0]?.pos ?? 0), openBuy: rem('buy'), openSell: rem('sell') };
      },
      { isolationLevel: 'REPEATABLE READ' },
    );
  }

  /** Net position per symbol (sum of signed fill quantities). */
  async positions(): Promise<Map<Symbol, Dec>> {
    const rows = await this.db.query<{ symbol: string; pos: string }>("SELECT symbol, SUM(CASE WHEN side = 'buy' THEN qty ELSE -qty END) AS pos FROM trades GROUP BY symbol ORDER BY symbol");
    return new Map(rows.map((r) => [r.symbol, new Dec(r.pos)]));
  }

  // ---------------------------------------------------------------- fills

  /**
   * Records one fill in one transaction: the trade row (unique per venue and venue trade id),
   * the order's new filled quantity/average/fees/status (computed by `apply`, the engine), and the
   * outbox row that the relay appends to events.fills after this commits. A fill already recorded
   * changes nothing and returns `duplicate`.
   */
  async recordFill(fill: Fill, fillId: string, now: number, apply: (o: Order) => FillOutcome): Promise<RecordFillResult> {
    try {
      return await this.db.transaction(async (tx) => {
        const before = await this.lockOrder(tx, fill.orderId);
        const outcome = apply(before);
        const message = toFillMessage(fill, fillId, before.traceId);
        await tx.execute(`INSERT INTO trades (${TRADE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, [
          fillId,
          fill.orderId,
          fill.clientOrderId,
          fill.venue,
          fill.venueTradeId,
          fill.symbol,
          fill.side,
          fill.qty,
          fill.price,
          fill.fee,
          fill.feeCurrency,
          fill.liquidity,
          fill.ts,
          before.traceId,
          now,
        ]);
        await this.updateOrder(tx, outcome.order);
        await tx.execute('INSERT INTO execution_outbox (fill_id, payload, trace_id, created_at) VALUES (?, ?, ?, ?)', [fillId, JSON.stringify(message), before.traceId, now]);
        const result: RecordFillResult = { duplicate: false, before, order: outcome.order, message, committedAt: now };
        if (outcome.anomaly) result.anomaly = outcome.anomaly;
        return result;
      });
    } catch (err) {
      if (isDuplicateKeyError(err) && (await this.hasTrade(fill.venue, fill.venueTradeId))) return { duplicate: true };
      throw err;
    }
  }

  async hasTrade(venue: string, venueTradeId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM trades WHERE venue = ? AND venue_trade_id = ?', [venue, venueTradeId]);
    return rows.length > 0;
  }

  async listTrades(f: TradeFilter): Promise<{ trades: TradeRecord[]; total: number }> {
    const w = where([
      ['symbol = ?', f.symbol],
      ['order_id = ?', f.orderId],
    ]);
    const [rows, count] = await Promise.all([
      this.db.query<TradeRow>(`SELECT ${TRADE_COLUMNS} FROM trades ${w.sql} ORDER BY seq DESC LIMIT ? OFFSET ?`, [...(w.params as string[]), f.limit, f.offset]),
      this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM trades ${w.sql}`, w.params as string[]),
    ]);
    return { trades: rows.map(rowToTrade), total: Number(count[0]?.n ?? 0) };
  }

  // ---------------------------------------------------------------- outbox

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db.query<{ id: number | string; fill_id: string; payload: string | FillMessage; trace_id: string; created_at: number | string }>(
      'SELECT id, fill_id, payload, trace_id, created_at FROM execution_outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      fillId: r.fill_id,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as FillMessage) : r.payload,
      traceId: r.trace_id,
      createdAt: Number(r.created_at),
    }));
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.db.execute('UPDATE execution_outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL', [now, id]);
  }

  async markAttemptFailed(id: number): Promise<void> {
    await this.db.execute('UPDATE execution_outbox SET attempts = attempts + 1 WHERE id = ?', [id]);
  }

  /** Wall time of the oldest unsent fill, undefined when none. */
  async oldestPending(): Promise<number | undefined> {
    const rows = await this.db.query<{ t: number | string | null }>('SELECT MIN(created_at) AS t FROM execution_outbox WHERE sent_at IS NULL');
    const t = rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  async purgeSent(before: number): Promise<number> {
    return (await this.db.execute('DELETE FROM execution_outbox WHERE sent_at IS NOT NULL AND sent_at < ? LIMIT 10000', [before])).affectedRows;
  }

  // ---------------------------------------------------------------- trading state

  async loadTradingState(): Promise<StoredTradingState | undefined> {
    const rows = await this.db.query<{ state: TradingStateName; reason: string; updated_at: number | string; updated_by: string; source: string; recorded_at: number | string }>(
      'SELECT state, reason, updated_at, updated_by, source, recorded_at FROM execution_trading_state WHERE id = 1',
    );
    const r = rows[0];
    return r ? { state: r.state, reason: r.reason, updatedAt: Number(r.updated_at), updatedBy: r.updated_by, source: r.source, recordedAt: Number(r.recorded_at) } : undefined;
  }

  async saveTradingState(s: StoredTradingState): Promise<void> {
    await this.db.execute(
      `INSERT INTO execution_trading_state (id, state, reason, updated_at, updated_by, source, recorded_at) VALUES (1, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE state = VALUES(state), reason = VALUES(reason), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by),
         source = VALUES(source), recorded_at = VALUES(recorded_at)`,
      [s.state, s.reason.slice(0, 256), s.updatedAt, s.updatedBy.slice(0, 64), s.source, s.recordedAt],
    );
  }
}

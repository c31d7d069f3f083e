/**
 * MySQL persistence of the ledger (tables of shared/migrations/008_portfolio.sql, owned by
 * portfolio). Amounts travel as exact decimal strings both ways.
 *
 * A fill is made durable in ONE transaction:
 *   1. `UPDATE portfolio_state SET seq = seq + 1 ... WHERE seq = <expected>`: the write fence. If
 *      another writer (a second replica, or a commit whose acknowledgement was lost) moved the
 *      books, no row matches and the caller reloads before trying again.
 *   2. `INSERT INTO applied_fills`: the idempotency key (PRIMARY KEY fill_id, UNIQUE (venue,
 *      venue_trade_id)). A duplicate key means the fill was applied before: roll back, skip.
 *   3. upsert the moved `balances` rows and the symbol's `portfolio_positions` row.
 */
import {
  isDuplicateKeyError,
  type Database,
  type FillMessage,
  type Queryable,
} from '@cte/shared';
import { exactState, type LedgerState, type LedgerUpdate } from '../engine/ledger';
import { Exact, type Decimal } from '../engine/money';
import type { Watermarks } from '../engine/portfolio';

export interface StoredPortfolio {
  ledger: LedgerState;
  watermarks: Watermarks;
  quoteCurrency: string;
  initialCapital: Decimal;
}

export type ApplyResult =
  | { kind: 'applied' }
  | { kind: 'duplicate'; key: 'fill_id' | 'venue_trade_id' }
  | { kind: 'stale' };

export interface SnapshotRow {
  ts: number;
  data_ts: number | null;
  equity: string;
  cash: string;
  realized_pnl: string;
  unrealized_pnl: string;
  fees: string;
  gross_exposure: string;
  net_exposure: string;
  peak_equity: string;
  drawdown_ratio: string;
  start_of_day_equity: string | null;
  daily_pnl: string;
  open_positions: number;
  fills_applied: number;
}

export interface StoredSnapshot extends SnapshotRow {
  id: number;
}

export interface SnapshotQuery {
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
}

class StaleLedger extends Error {
  constructor() {
    super('portfolio_state.seq moved: another writer applied fills');
    this.name = 'StaleLedger';
  }
}

interface StateRow {
  seq: number;
  quote_currency: string;
  initial_capital: string;
  peak_equity: string;
  peak_at: number | null;
  day_start: number | null;
  start_of_day_equity: string | null;
  data_ts: number | null;
}

const SNAPSHOT_COLUMNS = [
  'ts', 'data_ts', 'equity', 'cash', 'realized_pnl', 'unrealized_pnl', 'fees', 'gross_exposure', 'net_exposure',
  'peak_equity', 'drawdown_ratio', 'start_of_day_equity', 'daily_pnl', 'open_positions', 'fills_applied',
] as const;

const fixed = (d: Decimal): string => d.toFixed();
const optFixed = (d: Decimal | null): string | null => (d === null ? null : d.toFixed());

export class PortfolioRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates the ledger once: the state row and the initial capital in the quote-currency balance,
   * in one transaction. Returns false when it already existed (nothing changes then).
   */
  async seed(quoteCurrency: string, initialCapital: Decimal, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.execute(
        `INSERT IGNORE INTO portfolio_state (id, seq, quote_currency, initial_capital, peak_equity, created_at, updated_at)
         VALUES (1, 0, ?, ?, ?, ?, ?)`,
        [quoteCurrency, fixed(initialCapital), fixed(initialCapital), now, now],
      );
      if (r.affectedRows !== 1) return false;
      await tx.execute(
        'INSERT INTO balances (asset, total, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE total = total + VALUES(total), updated_at = VALUES(updated_at)',
        [quoteCurrency, fixed(initialCapital), now],
      );
      return true;
    });
  }

  /** Everything the service keeps in memory; undefined before `seed`. */
  async load(db: Queryable = this.db): Promise<StoredPortfolio | undefined> {
    const [state] = await db.query<StateRow>(
      'SELECT seq, quote_currency, initial_capital, peak_equity, peak_at, day_start, start_of_day_equity, data_ts FROM portfolio_state WHERE id = 1',
    );
    if (!state) return undefined;
    const balances = await db.query<{ asset: string; total: string }>('SELECT asset, total FROM balances ORDER BY asset');
    const positions = await db.query<{ symbol: string; qty: string; avg_entry_price: string; realized_pnl: string; fees: string; fills: number; last_fill_id: string; updated_at: number }>(
      'SELECT symbol, qty, avg_entry_price, realized_pnl, fees, fills, last_fill_id, updated_at FROM portfolio_positions ORDER BY symbol',
    );
    return {
      ledger: exactState({
        seq: Number(state.seq),
        balances,
        positions: positions.map((p) => ({
          symbol: p.symbol,
          qty: p.qty,
          avgEntry: p.avg_entry_price,
          realized: p.realized_pnl,
          fees: p.fees,
          fills: Number(p.fills),
          lastFillId: p.last_fill_id,
          updatedAt: Number(p.updated_at),
        })),
      }),
      watermarks: {
        peak: new Exact(state.peak_equity),
        peakAt: state.peak_at === null ? null : Number(state.peak_at),
        dayStart: state.day_start === null ? null : Number(state.day_start),
        startOfDayEquity: state.start_of_day_equity === null ? null : new Exact(state.start_of_day_equity),
        dataTs: state.data_ts === null ? null : Number(state.data_ts),
      },
      quoteCurrency: state.quote_currency,
      initialCapital: new Exact(state.initial_capital),
    };
  }

  /** Makes one planned fill durable (see the file comment). Safe to call again after any failure. */
  async applyFill(u: LedgerUpdate, meta: { message: FillMessage; streamId: string; watermarks: Watermarks; now: number }): Promise<ApplyResult> {
    const { message: m, watermarks: wm, now } = meta;
    try {
      await this.db.transaction(async (tx) => {
        const fence = await tx.execute(
          `UPDATE portfolio_state SET seq = ?, peak_equity = ?, peak_at = ?, day_start = ?, start_of_day_equity = ?, data_ts = ?, updated_at = ?
           WHERE id = 1 AND seq = ?`,
          [u.seq, fixed(wm.peak), wm.peakAt, wm.dayStart, optFixed(wm.startOfDayEquity), wm.dataTs, now, u.prevSeq],
        );
        if (fence.affectedRows !== 1) throw new StaleLedger();
        await tx.execute(
          `INSERT INTO applied_fills (fill_id, seq, venue, venue_trade_id, order_id, client_order_id, symbol, side, qty, price, fee,
             fee_currency, liquidity, realized_pnl, fill_ts, trace_id, stream_id, applied_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [m.fill_id, u.seq, m.venue, m.venue_trade_id, m.order_id, m.client_order_id, m.symbol, m.side, fixed(u.fill.qty), fixed(u.fill.price),
            fixed(u.fill.fee), m.fee_currency, m.liquidity, fixed(u.realized), m.ts, m.trace_id, meta.streamId, now],
        );
        const values = u.balances.map(() => '(?, ?, ?)').join(', ');
        await tx.execute(
          `INSERT INTO balances (asset, total, updated_at) VALUES ${values} ON DUPLICATE KEY UPDATE total = VALUES(total), updated_at = VALUES(updated_at)`,
          u.balances.flatMap((b) => [b.asset, fixed(b.total), now]),
        );
        const p = u.position;
        await tx.execute(
          `INSERT INTO portfolio_positions (symbol, qty, avg_entry_price, realized_pnl, fees, fills, last_fill_id, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE qty = VALUES(qty), avg_entry_price = VALUES(avg_entry_price), realized_pnl = VALUES(realized_pnl),
             fees = VALUES(fees), fills = VALUES(fills), last_fill_id = VALUES(last_fill_id), updated_at = VALUES(updated_at)`,
          [p.symbol, fixed(p.qty), fixed(p.avgEntry), fixed(p.realized), fixed(p.fees), p.fills, p.lastFillId, p.updatedAt],
        );
      });
    } catch (err) {
      if (err instanceof StaleLedger) return { kind: 'stale' };
      if (isDuplicateKeyError(err)) {
        return { kind: 'duplicate', key: /uq_applied_fills_venue_trade/.test((err as Error).message) ? 'venue_trade_id' : 'fill_id' };
      }
      throw err;
    }
    return { kind: 'applied' };
  }

  /** Persists the peak and start-of-day watermarks (snapshots and shutdown; fills carry them too). */
  async saveWatermarks(wm: Watermarks, now: number): Promise<void> {
    await this.db.execute(
      'UPDATE portfolio_state SET peak_equity = ?, peak_at = ?, day_start = ?, start_of_day_equity = ?, data_ts = ?, updated_at = ? WHERE id = 1',
      [fixed(wm.peak), wm.peakAt, wm.dayStart, optFixed(wm.startOfDayEquity), wm.dataTs, now],
    );
  }

  /** One point of the equity curve, with the watermarks, in one transaction. */
  async insertSnapshot(row: SnapshotRow, wm: Watermarks): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO portfolio_snapshots (${SNAPSHOT_COLUMNS.join(', ')}) VALUES (${SNAPSHOT_COLUMNS.map(() => '?').join(', ')})`,
        SNAPSHOT_COLUMNS.map((c) => row[c]),
      );
      await tx.execute(
        'UPDATE portfolio_state SET peak_equity = ?, peak_at = ?, day_start = ?, start_of_day_equity = ?, data_ts = ?, updated_at = ? WHERE id = 1',
        [fixed(wm.peak), wm.peakAt, wm.dayStart, optFixed(wm.startOfDayEquity), wm.dataTs, row.ts],
      );
    });
  }

  /** The newest `limit` snapshots with from <= ts <= to, oldest first. */
  async listSnapshots(q: SnapshotQuery): Promise<StoredSnapshot[]> {
    const where: string[] = [];
    const params: Array<number> = [];
    if (q.from !== undefined) {
      where.push('ts >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('ts <= ?');
      params.push(q.to);
    }
    params.push(q.limit);
    const rows = await this.db.query<StoredSnapshot>(
      `SELECT id, ${SNAPSHOT_COLUMNS.join(', ')} FROM portfolio_snapshots ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.reverse();
  }
}

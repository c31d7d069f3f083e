/**
 * What REST and gRPC serve, in one place. Everything but snapshots is served from memory (the
 * Portfolio engine, which is the committed state of MySQL); views are built once per portfolio
 * version and reused until the next fill or price. Amounts are decimal strings (18 decimals at
 * most, no exponent), times epoch ms.
 */
import { randomUUID } from 'node:crypto';
import {
  describeValue,
  DomainError,
  InvalidArgumentError,
  UnavailableError,
  symbolToChannelKey,
  type Logger,
  type TradableSymbols,
} from '@cte/shared';
import { Exact, HUNDRED, ZERO, fmt, round18, type Decimal } from '../engine/money';
import type { ExposureView, Portfolio, PositionValue, Valuation } from '../engine/portfolio';
import { parseRebalanceRequest, planRebalance, type RebalanceOrder, type RebalanceSkip } from '../engine/rebalance';
import type { Proposer } from './recommendations.gateway';
import type { PortfolioRepository, SnapshotRow, StoredSnapshot } from './repository';

export interface PositionJson {
  symbol: string;
  qty: string;
  avg_entry_price: string;
  realized_pnl: string;
  fees: string;
  /** null until a price was seen for the symbol. */
  mark_price: string | null;
  mark_ts: number | null;
  /** What the position is valued at: the mark, or its average entry before the first price. */
  valued_at: 'mark' | 'avg_entry';
  unrealized_pnl: string;
  /** |qty| × mark */
  notional: string;
  /** qty × mark (signed) */
  market_value: string;
  fills: number;
  /** Venue time of the last fill. */
  updated_at: number;
}

export interface BalanceJson {
  asset: string;
  total: string;
}

export interface PortfolioJson {
  quote_currency: string;
  initial_capital: string;
  cash: string;
  equity: string;
  realized_pnl: string;
  unrealized_pnl: string;
  fees: string;
  peak_equity: string;
  drawdown_pct: string;
  drawdown_ratio: string;
  start_of_day_equity: string | null;
  daily_pnl: string;
  gross_exposure: string;
  net_exposure: string;
  open_positions: number;
  positions: PositionJson[];
  balances: BalanceJson[];
  fills_applied: number;
  /** Newest price time seen (data time). */
  data_ts: number | null;
  /** Wall time of this answer; the numbers are the committed state at that moment. */
  as_of: number;
}

export interface PnlJson {
  quote_currency: string;
  realized_pnl: string;
  unrealized_pnl: string;
  fees: string;
  /** realized + unrealized − fees */
  net_pnl: string;
  /** equity − initial capital */
  total_pnl: string;
  equity: string;
  initial_capital: string;
  daily: { day_start: number | null; start_of_day_equity: string | null; daily_pnl: string };
  drawdown: { peak_equity: string; peak_at: number | null; drawdown_ratio: string; drawdown_pct: string };
  by_symbol: Array<{ symbol: string; realized_pnl: string; unrealized_pnl: string; fees: string }>;
  as_of: number;
}

export interface ExposureJson {
  equity: string;
  gross_exposure: string;
  /** Empty when equity <= 0. */
  gross_exposure_pct: string;
  net_exposure: string;
  symbols: Array<{ symbol: string; qty: string; notional: string; pct_of_equity: string }>;
  start_of_day_equity: string;
  daily_pnl: string;
  peak_equity: string;
  drawdown_pct: string;
  as_of: number;
}

/** A stored snapshot as served: the row with exact decimals normalised. */
export interface SnapshotJson extends SnapshotRow {
  id: number;
}

export interface RebalanceOrderJson {
  symbol: string;
  side: 'buy' | 'sell';
  qty: string;
  price: string;
  notional: string;
  target_weight: string;
  current_weight: string;
  target_notional: string;
  current_notional: string;
  idempotency_key: string;
  /** With execute: what recommendations answered. */
  recommendation?: { id: string; status: string; qty: string; approved_qty: string; reasons: string[] };
  /** With execute: why Propose failed for this order. */
  error?: { code: string; message: string };
}

export interface RebalanceJson {
  rebalance_id: string;
  executed: boolean;
  quote_currency: string;
  equity: string;
  orders: RebalanceOrderJson[];
  skipped: Array<{ symbol: string; reason: string; qty: string; notional: string; target_weight: string; current_weight: string }>;
  proposed: number;
  failed: number;
}

export interface PortfolioApiOptions {
  portfolio: Portfolio;
  repo: Pick<PortfolioRepository, 'listSnapshots'>;
  proposer: Proposer | undefined;
  minNotional: Decimal;
  qtyDecimals: number;
  /** The fleet's tradable symbols: rebalance targets naming another are refused (400). */
  symbols: TradableSymbols;
  logger: Logger;
  now?: () => number;
}

export const SNAPSHOT_LIMIT_DEFAULT = 500;
export const SNAPSHOT_LIMIT_MAX = 10_000;

const optDec = (d: Decimal | null): string | null => (d === null ? null : fmt(d));
const pct = (d: Decimal | null): string => (d === null ? '' : fmt(d));
const normalize = (s: string): string => fmt(new Exact(s));

function positionJson(pv: PositionValue): PositionJson {
  const p = pv.position;
  return {
    symbol: p.symbol,
    qty: fmt(p.qty),
    avg_entry_price: fmt(p.avgEntry),
    realized_pnl: fmt(p.realized),
    fees: fmt(p.fees),
    mark_price: pv.mark ? fmt(pv.mark.price) : null,
    mark_ts: pv.mark ? pv.mark.ts : null,
    valued_at: pv.mark ? 'mark' : 'avg_entry',
    unrealized_pnl: fmt(pv.unrealized),
    notional: fmt(pv.notional),
    market_value: fmt(pv.marketValue),
    fills: p.fills,
    updated_at: p.updatedAt,
  };
}

function intParam(raw: unknown, field: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) throw new InvalidArgumentError(`${field} must be an integer, got ${describeValue(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new InvalidArgumentError(`${field} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export class PortfolioApi {
  private readonly now: () => number;
  private cache: { version: number; summary: Omit<PortfolioJson, 'as_of'>; exposure: Omit<ExposureJson, 'as_of'> } | undefined;

  constructor(private readonly o: PortfolioApiOptions) {
    this.now = o.now ?? Date.now;
  }

  summary(): PortfolioJson {
    return { ...this.views().summary, as_of: this.now() };
  }

  positions(openRaw?: unknown): { positions: PositionJson[]; as_of: number } {
    let open = false;
    if (openRaw !== undefined) {
      if (openRaw !== 'true' && openRaw !== 'false') throw new InvalidArgumentError(`open must be true or false, got ${describeValue(openRaw)}`);
      open = openRaw === 'true';
    }
    const all = this.views().summary.positions;
    return { positions: open ? all.filter((p) => p.qty !== '0') : all, as_of: this.now() };
  }

  balances(): { quote_currency: string; balances: BalanceJson[]; as_of: number } {
    return { quote_currency: this.o.portfolio.quoteCurrency, balances: this.views().summary.balances, as_of: this.now() };
  }

  exposure(): ExposureJson {
    return { ...this.views().exposure, as_of: this.now() };
  }

  pnl(): PnlJson {
    const v = this.o.portfolio.valuation();
    return {
      quote_currency: v.quoteCurrency,
      realized_pnl: fmt(v.realized),
      unrealized_pnl: fmt(v.unrealized),
      fees: fmt(v.fees),
      net_pnl: fmt(v.realized.plus(v.unrealized).minus(v.fees)),
      total_pnl: fmt(v.equity.minus(v.initialCapital)),
      equity: fmt(v.equity),
      initial_capital: fmt(v.initialCapital),
      daily: { day_start: v.dayStart, start_of_day_equity: optDec(v.startOfDayEquity), daily_pnl: fmt(v.dailyPnl) },
      drawdown: { peak_equity: fmt(v.peak), peak_at: v.peakAt, drawdown_ratio: fmt(v.drawdown), drawdown_pct: fmt(v.drawdownPct) },
      by_symbol: v.positions
        .filter((p) => p.inEquity)
        .map((p) => ({ symbol: p.position.symbol, realized_pnl: fmt(p.position.realized), unrealized_pnl: fmt(p.unrealized), fees: fmt(p.position.fees) })),
      as_of: this.now(),
    };
  }

  async snapshots(q: { from?: unknown; to?: unknown; limit?: unknown }): Promise<{ snapshots: SnapshotJson[] }> {
    const from = intParam(q.from, 'from', 0, Number.MAX_SAFE_INTEGER);
    const to = intParam(q.to, 'to', 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(q.limit, 'limit', 1, SNAPSHOT_LIMIT_MAX) ?? SNAPSHOT_LIMIT_DEFAULT;
    if (from !== undefined && to !== undefined && from > to) throw new InvalidArgumentError(`from (${from}) must not be after to (${to})`);
    const rows = await this.o.repo.listSnapshots({ from, to, limit });
    return { snapshots: rows.map(snapshotJson) };
  }

  /** Plans (and with execute, proposes through recommendations) the orders that reach the target weights. */
  async rebalance(body: unknown, traceId: string): Promise<RebalanceJson> {
    const { portfolio } = this.o;
    const req = parseRebalanceRequest(body, portfolio.quoteCurrency, this.o.symbols);
    if (req.execute && !this.o.proposer) throw new UnavailableError('rebalancing cannot execute: no recommendations client');
    const plan = planRebalance({
      targets: req.targets,
      equity: portfolio.equity(),
      qtyOf: (s) => portfolio.ledger.position(s)?.qty ?? ZERO,
      priceOf: (s) => portfolio.mark(s)?.price,
      minNotional: this.o.minNotional,
      qtyDecimals: this.o.qtyDecimals,
    });
    const id = req.rebalanceId ?? randomUUID();
    const orders = plan.orders.map((o) => orderJson(o, id));
    let proposed = 0;
    let failed = 0;
    if (req.execute && this.o.proposer) {
      for (const [i, o] of plan.orders.entries()) {
        const out = orders[i] as RebalanceOrderJson;
        try {
          const rec = await this.o.proposer.propose(
            {
              symbol: o.symbol,
              side: o.side,
              qty: fmt(o.qty),
              source: 'rebalance',
              reason: `rebalance ${id}: ${o.symbol} from ${fmt(round18(o.currentWeight.times(HUNDRED)))}% to ${fmt(o.targetWeight.times(HUNDRED))}% of equity`,
              idempotency_key: out.idempotency_key,
              trace_id: traceId,
            },
            traceId,
          );
          out.recommendation = { id: rec.id, status: rec.status, qty: rec.qty, approved_qty: rec.approved_qty, reasons: rec.reasons };
          proposed++;
        } catch (err) {
          failed++;
          out.error = err instanceof DomainError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'internal error' };
          this.o.logger.warn({ trace_id: traceId, rebalance_id: id, symbol: o.symbol, err: (err as Error).message }, 'rebalance proposal failed');
        }
      }
    }
    this.o.logger.info({ trace_id: traceId, rebalance_id: id, execute: req.execute, orders: orders.length, skipped: plan.skipped.length, proposed, failed }, 'rebalance');
    return {
      rebalance_id: id,
      executed: req.execute,
      quote_currency: portfolio.quoteCurrency,
      equity: fmt(plan.equity),
      orders,
      skipped: plan.skipped.map(skipJson),
      proposed,
      failed,
    };
  }

  private views(): { summary: Omit<PortfolioJson, 'as_of'>; exposure: Omit<ExposureJson, 'as_of'> } {
    const version = this.o.portfolio.version;
    if (this.cache?.version === version) return this.cache;
    const v = this.o.portfolio.valuation();
    this.cache = { version, summary: summaryJson(v), exposure: exposureJson(this.o.portfolio.exposure()) };
    return this.cache;
  }
}

function summaryJson(v: Valuation): Omit<PortfolioJson, 'as_of'> {
  return {
    quote_currency: v.quoteCurrency,
    initial_capital: fmt(v.initialCapital),
    cash: fmt(v.cash),
    equity: fmt(v.equity),
    realized_pnl: fmt(v.realized),
    unrealized_pnl: fmt(v.unrealized),
    fees: fmt(v.fees),
    peak_equity: fmt(v.peak),
    drawdown_pct: fmt(v.drawdownPct),
    drawdown_ratio: fmt(v.drawdown),
    start_of_day_equity: optDec(v.startOfDayEquity),
    daily_pnl: fmt(v.dailyPnl),
    gross_exposure: fmt(v.grossExposure),
    net_exposure: fmt(v.netExposure),
    open_positions: v.openPositions,
    positions: v.positions.map(positionJson),
    balances: v.balances.map((b) => ({ asset: b.asset, total: fmt(b.total) })),
    fills_applied: v.seq,
    data_ts: v.dataTs,
  };
}

function exposureJson(e: ExposureView): Omit<ExposureJson, 'as_of'> {
  return {
    equity: fmt(e.equity),
    gross_exposure: fmt(e.grossExposure),
    gross_exposure_pct: pct(e.grossExposurePct),
    net_exposure: fmt(e.netExposure),
    symbols: e.symbols.map((s) => ({ symbol: s.symbol, qty: fmt(s.qty), notional: fmt(s.notional), pct_of_equity: pct(s.pctOfEquity) })),
    start_of_day_equity: fmt(e.startOfDayEquity),
    daily_pnl: fmt(e.dailyPnl),
    peak_equity: fmt(e.peak),
    drawdown_pct: fmt(e.drawdownPct),
  };
}

function snapshotJson(r: StoredSnapshot): SnapshotJson {
  return {
    id: Number(r.id),
    ts: Number(r.ts),
    data_ts: r.data_ts === null ? null : Number(r.data_ts),
    equity: normalize(r.equity),
    cash: normalize(r.cash),
    realized_pnl: normalize(r.realized_pnl),
    unrealized_pnl: normalize(r.unrealized_pnl),
    fees: normalize(r.fees),
    gross_exposure: normalize(r.gross_exposure),
    net_exposure: normalize(r.net_exposure),
    peak_equity: normalize(r.peak_equity),
    drawdown_ratio: normalize(r.drawdown_ratio),
    start_of_day_equity: r.start_of_day_equity === null ? null : normalize(r.start_of_day_equity),
    daily_pnl: normalize(r.daily_pnl),
    open_positions: Number(r.open_positions),
    fills_applied: Number(r.fills_applied),
  };
}

function orderJson(o: RebalanceOrder, rebalanceId: string): RebalanceOrderJson {
  return {
    symbol: o.symbol,
    side: o.side,
    qty: fmt(o.qty),
    price: fmt(o.price),
    notional: fmt(o.notional),
    target_weight: fmt(o.targetWeight),
    current_weight: fmt(o.currentWeight),
    target_notional: fmt(o.targetNotional),
    current_notional: fmt(o.currentNotional),
    idempotency_key: `rebalance:${rebalanceId}:${symbolToChannelKey(o.symbol)}`,
  };
}

function skipJson(s: RebalanceSkip): RebalanceJson['skipped'][number] {
  return { symbol: s.symbol, reason: s.reason, qty: fmt(s.qty), notional: fmt(s.notional), target_weight: fmt(s.targetWeight), current_weight: fmt(s.currentWeight) };
}

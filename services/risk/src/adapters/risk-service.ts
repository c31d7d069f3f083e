/**
 * The use cases behind REST, gRPC and the bus, so validation and errors are the same everywhere:
 * Check (idempotent per recommendation_id), the trading state, limits, events; and the inputs
 * the engine's context is kept from (ticks, fills, order events).
 *
 * The hot path of Check stays in memory: the decision index (LRU + Bloom filter), the cached
 * exposure, the price book, the trade counter and the pending book. Its risk_events row is
 * written behind in batches (EventWriter) unless EVENTS_DURABLE is set.
 */
import { randomUUID } from 'node:crypto';
import {
  describeValue,
  Dec,
  InvalidArgumentError,
  isMessageTraceId,
  parseDecimalColumn,
  parseFeedStatusMessage,
  parseIdField,
  parseOptionalIdField,
  parseSideField,
  parseSymbol,
  parseTraceIdField,
  TRADING_STATES,
  UnavailableError,
  type Logger,
  type Symbol,
  type TradableSymbols,
  type TradingStateMessage,
  type TradingStateName,
  type DecimalColumn,
} from '@cte/shared';
import { RISK_EVENTS } from './columns';
import { parseLimitsPatch, type LimitsPatch } from '../engine/limits';
import { FeedBook } from '../engine/feed-book';
import { PendingBook } from '../engine/pending-book';
import { PriceBook } from '../engine/price-book';
import { RiskEngine } from '../engine/risk-engine';
import { dayLabel, TradeCounter, utcDay } from '../engine/trade-counter';
import { DECISIONS, type CheckInput, type CheckResult, type Decision, type ExposureSnapshot, type PreparedLimits } from '../engine/types';
import type { DecisionIndex, StoredDecision } from './decision-index';
import type { LimitsView } from './limits-store';
import type { FeedStatusOutcome, RiskMetrics } from './metrics';
import type { EventKind, EventQuery, EventRow, RiskEventView } from './repository';

const UPDATED_BY = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
const MAX_REASON = 500;
export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;
const MAX_OFFSET = 10_000_000;
const EVENT_KINDS: readonly EventKind[] = ['check', 'trading_state', 'limits'];
const TERMINAL_WITHOUT_FILL = new Set(['canceled', 'rejected', 'expired', 'failed']);
const BREAKER_REFRESH_DELAY_MS = 50;

export interface CheckRequestInput {
  recommendation_id?: unknown;
  symbol?: unknown;
  side?: unknown;
  qty?: unknown;
  price?: unknown;
  trace_id?: unknown;
}

export interface ParsedCheck extends CheckInput {
  recommendationId: string;
  traceId: string | null;
}

export interface ExposureProvider {
  getExposure(): Promise<ExposureSnapshot>;
  invalidate(): void;
}

export interface EventSink {
  enqueue(row: EventRow): Promise<void>;
  pendingCheck(recommendationId: string): EventRow | undefined;
  hasRoom(): boolean;
  flush(): Promise<void>;
  pending(): number;
}

export interface EventLookup {
  findFinalCheck(recommendationId: string): Promise<RiskEventView | undefined>;
  listEvents(q: EventQuery): Promise<{ events: RiskEventView[]; total: number }>;
}

export interface StateHolder {
  readonly state: TradingStateName;
  get(): TradingStateMessage;
  set(state: TradingStateName, reason: string, updatedBy: string): Promise<TradingStateMessage>;
  trip(reason: string): Promise<void>;
}

export interface LimitsHolder {
  current(): PreparedLimits;
  view(): LimitsView;
  update(patch: LimitsPatch, updatedBy: string): Promise<LimitsView>;
}

export interface RiskServiceOptions {
  engine: RiskEngine;
  /** The fleet's tradable symbols: Check, allowed_symbols and event queries name only these. */
  symbols: TradableSymbols;
  exposure: ExposureProvider;
  decisions: DecisionIndex;
  events: EventSink;
  lookup: EventLookup;
  state: StateHolder;
  limits: LimitsHolder;
  logger: Logger;
  metrics?: RiskMetrics | undefined;
  /** How long an approved opening order counts as pending exposure; 0 = off. */
  pendingTtlMs: number;
  /** Check waits for its risk_events row to commit. */
  durable: boolean;
  now?: () => number;
  prices?: PriceBook;
  feeds?: FeedBook;
  trades?: TradeCounter;
  pending?: PendingBook;
}

export class RiskService {
  readonly prices: PriceBook;
  readonly feeds: FeedBook;
  readonly trades: TradeCounter;
  readonly pending: PendingBook;
  readonly symbols: TradableSymbols;
  private readonly inflight = new Map<string, Promise<StoredDecision>>();
  private readonly fillsByDay = new Map<number, number>();
  private readonly now: () => number;
  private breakerTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RiskServiceOptions) {
    this.now = o.now ?? Date.now;
    this.prices = o.prices ?? new PriceBook();
    this.feeds = o.feeds ?? new FeedBook();
    this.trades = o.trades ?? new TradeCounter();
    this.pending = o.pending ?? new PendingBook();
    this.symbols = o.symbols;
  }

  // --- Check ----------------------------------------------------------------------------------

  /** Decides on one order, or returns the decision already made for its recommendation_id. */
  check(raw: CheckRequestInput, fallbackTraceId?: string): Promise<StoredDecision> {
    const req = parseCheckRequest(raw, this.symbols, fallbackTraceId);
    const known = this.o.decisions.get(req.recommendationId);
    if (known !== undefined) return Promise.resolve(known);
    const running = this.inflight.get(req.recommendationId);
    if (running !== undefined) return running;
    const p = this.decide(req).finally(() => this.inflight.delete(req.recommendationId));
    this.inflight.set(req.recommendationId, p);
    return p;
  }

  private async decide(req: ParsedCheck): Promise<StoredDecision> {
    const id = req.recommendationId;
    const queued = this.o.events.pendingCheck(id);
    if (queued !== undefined) return this.remember(id, storedFromRow(queued));
    if (this.o.decisions.mayExist(id)) {
      const row = await this.o.lookup.findFinalCheck(id);
      if (row !== undefined) return this.remember(id, storedFromRow(row));
    }
    if (!this.o.events.hasRoom()) throw new UnavailableError('risk cannot record decisions right now (event queue full); retry later');

    let exposure: ExposureSnapshot;
    try {
      exposure = await this.o.exposure.getExposure();
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, recommendation_id: id }, 'portfolio exposure unavailable: rejecting');
      return this.recordTransientRejection(req);
    }

    // Everything from here to the record is synchronous: no other check interleaves.
    const now = this.now();
    this.pending.expire(now);
    const dataNow = this.prices.dataNow > 0 ? this.prices.dataNow : now;
    const day = utcDay(dataNow);
    const state = this.o.state.state;
    const started = process.hrtime.bigint();
    const result = this.o.engine.check(req, {
      limits: this.o.limits.current(),
      state,
      exposure,
      price: this.prices.view(req.symbol, now),
      feedStale: this.feeds.isStale(req.symbol, now),
      tradesToday: this.trades.total(day),
      tradesTodaySymbol: this.trades.forSymbol(day, req.symbol),
      pending: this.pending.view(req.symbol),
    });
    this.o.metrics?.checkSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);

    const row = this.checkRow(req, result, exposure.equity.toFixed(), dataNow, day, now, true);
    const written = this.o.events.enqueue(row);
    if (result.trip.length > 0) this.tripBreaker(result.trip, exposure);
    if (result.decision !== 'REJECTED') {
      this.trades.record(day, req.symbol);
      if (this.o.pendingTtlMs > 0 && result.openingQty.gt(0) && result.price !== undefined) {
        this.pending.add(id, req.symbol, req.side, result.openingQty, result.openingQty.mul(result.price), now + this.o.pendingTtlMs);
      }
    }
    this.o.metrics?.decisions.inc({ decision: result.decision, reason: result.reasons[0] ?? 'none' });
    const stored = this.remember(id, storedFromRow(row));
    if (this.o.durable) await written;
    return stored;
  }

  private async recordTransientRejection(req: ParsedCheck): Promise<StoredDecision> {
    const now = this.now();
    const dataNow = this.prices.dataNow > 0 ? this.prices.dataNow : now;
    const result: CheckResult = {
      decision: 'REJECTED',
      approvedQty: new Dec(0),
      reasons: ['portfolio_unavailable'],
      reducesPosition: false,
      price: req.price ?? this.prices.view(req.symbol, now)?.price,
      state: this.o.state.state,
      trip: [],
      openingQty: new Dec(0),
    };
    const row = this.checkRow(req, result, null, dataNow, utcDay(dataNow), now, false);
    const written = this.o.events.enqueue(row);
    this.o.metrics?.decisions.inc({ decision: 'REJECTED', reason: 'portfolio_unavailable' });
    if (this.o.durable) await written;
    return storedFromRow(row);
  }

  private remember(id: string, d: StoredDecision): StoredDecision {
    this.o.decisions.remember(id, d);
    return d;
  }

  private tripBreaker(reasons: readonly string[], exposure: ExposureSnapshot): void {
    if (this.o.state.state === 'HALTED') return;
    for (const r of reasons) this.o.metrics?.breakerTrips.inc({ reason: r });
    const reason = `circuit breaker: ${reasons.join(', ')} (equity ${exposure.equity.toFixed()}, start of day ${exposure.startOfDayEquity.toFixed()}, peak ${exposure.peakEquity.toFixed()})`;
    void this.o.state.trip(reason);
  }

  private checkRow(req: ParsedCheck, r: CheckResult, equity: string | null, ts: number, day: number, now: number, final: boolean): EventRow {
    return {
      id: randomUUID(),
      kind: 'check',
      recommendation_id: req.recommendationId,
      final,
      symbol: req.symbol,
      side: req.side,
      decision: r.decision,
      reasons: [...r.reasons],
      requested_qty: req.qty.toFixed(),
      approved_qty: r.approvedQty.toFixed(),
      price: r.price === undefined ? null : r.price.toDecimalPlaces(18).toFixed(),
      equity: equity === null ? null : new Dec(equity).toDecimalPlaces(18).toFixed(),
      reduces_position: r.reducesPosition,
      // The state the order was judged under (HALTED when this check tripped the breaker).
      trading_state: r.state,
      previous_state: null,
      updated_by: null,
      message: null,
      trace_id: req.traceId,
      ts,
      day,
      created_at: now,
    };
  }

  // --- Inputs from the bus --------------------------------------------------------------------

  /** A price tick (`data.ticks.*`); malformed ones are dropped (returns false). */
  onTick(data: unknown, receivedAt = this.now()): boolean {
    if (typeof data !== 'object' || data === null) return false;
    const d = data as Record<string, unknown>;
    if (typeof d.price !== 'string' || !/^(?:0|[1-9]\d*)(?:\.\d+)?$/.test(d.price) || !/[1-9]/.test(d.price) || d.price.length > 60) return false;
    if (typeof d.ts !== 'number' || !Number.isSafeInteger(d.ts) || d.ts <= 0) return false;
    let symbol: Symbol;
    try {
      symbol = parseSymbol(d.symbol);
    } catch {
      return false;
    }
    if (!this.symbols.has(symbol)) return false;
    return this.prices.update(symbol, new Dec(d.price), d.ts, receivedAt);
  }

  /**
   * A feed status (`data.feeds`): while every feed of a symbol reports stale, orders on it are
   * rejected with stale_price. Malformed statuses and symbols not tradable here are dropped.
   */
  onFeedStatus(data: unknown, receivedAt = this.now()): FeedStatusOutcome {
    const outcome = this.applyFeedStatus(data, receivedAt);
    this.o.metrics?.feedStatuses.inc({ outcome });
    return outcome;
  }

  private applyFeedStatus(data: unknown, receivedAt: number): FeedStatusOutcome {
    let msg;
    try {
      msg = parseFeedStatusMessage(data);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'malformed feed status dropped');
      return 'malformed';
    }
    if (!this.symbols.has(msg.symbol)) return 'unknown_symbol';
    const was = this.feeds.isStale(msg.symbol, receivedAt);
    if (!this.feeds.apply(msg, receivedAt)) return 'out_of_order';
    const is = this.feeds.isStale(msg.symbol, receivedAt);
    if (is && !was) this.o.logger.warn({ symbol: msg.symbol, exchange: msg.exchange, age_ms: msg.age_ms }, 'every feed of the symbol is stale: its orders are rejected with stale_price');
    else if (was && !is) this.o.logger.info({ symbol: msg.symbol, exchange: msg.exchange }, 'a feed of the symbol is live again');
    return 'applied';
  }

  /** Symbols with a known feed status and whether each is stale now (the cte_risk_symbol_stale_info gauge). */
  feedSymbols(): Array<{ symbol: string; stale: boolean }> {
    const now = this.now();
    return this.feeds.knownSymbols(now).map((symbol) => ({ symbol, stale: this.feeds.isStale(symbol, now) }));
  }

  /** The /ready detail of market feeds (never not-ready: a stale symbol only stops orders on it). */
  feedReadiness(): string {
    const now = this.now();
    const known = this.feeds.knownSymbols(now).length;
    const stale = this.feeds.staleSymbols(now);
    if (known === 0) return 'no feed status received';
    if (stale.length === 0) return `${known} symbols with live feeds`;
    const listed = stale.slice(0, 10).map((s) => `${s.symbol} (${s.exchanges.join('+')}, ${Math.round(s.ageMs / 1000)} s)`);
    return `stale, orders rejected: ${listed.join(', ')}${stale.length > 10 ? ` and ${stale.length - 10} more` : ''}; ${known - stale.length} of ${known} symbols live`;
  }

  /** A fill (`events.fills`): the portfolio changed, so the cached exposure is dropped. */
  onFill(fill: { ts: number }): void {
    this.o.exposure.invalidate();
    this.o.metrics?.fills.inc();
    const day = utcDay(fill.ts);
    this.fillsByDay.set(day, (this.fillsByDay.get(day) ?? 0) + 1);
    for (const d of this.fillsByDay.keys()) if (d < day - 1) this.fillsByDay.delete(d);
    this.scheduleBreakerCheck();
  }

  /** An order event (`events.orders`): an order that ended without a fill frees its pending exposure. */
  onOrderEvent(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const d = data as Record<string, unknown>;
    if (typeof d.recommendation_id !== 'string' || typeof d.event !== 'string') return;
    const unfilled = typeof d.filled_qty !== 'string' || !/[1-9]/.test(d.filled_qty);
    if (TERMINAL_WITHOUT_FILL.has(d.event) && unfilled) this.pending.release(d.recommendation_id);
  }

  /** After fills, the breakers are evaluated on fresh exposure even if no order is checked. */
  private scheduleBreakerCheck(): void {
    if (this.breakerTimer) return;
    this.breakerTimer = setTimeout(() => {
      this.breakerTimer = undefined;
      void this.evaluateBreakers();
    }, BREAKER_REFRESH_DELAY_MS);
    this.breakerTimer.unref();
  }

  /** Trips the breaker when the current exposure breaches a loss limit. Returns the breaches. */
  async evaluateBreakers(): Promise<string[]> {
    if (this.o.state.state === 'HALTED') return [];
    try {
      const exposure = await this.o.exposure.getExposure();
      const breaches = this.o.engine.breaches(exposure, this.o.limits.current());
      if (breaches.length > 0) this.tripBreaker(breaches, exposure);
      return breaches;
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message }, 'breaker check skipped: exposure unavailable');
      return [];
    }
  }

  stop(): void {
    if (this.breakerTimer) clearTimeout(this.breakerTimer);
    this.breakerTimer = undefined;
  }

  // --- Trading state, limits, events ----------------------------------------------------------

  getTradingState(): TradingStateMessage {
    return this.o.state.get();
  }

  setTradingState(raw: { state?: unknown; reason?: unknown }, updatedBy = 'operator'): Promise<TradingStateMessage> {
    const state = typeof raw.state === 'string' ? raw.state.trim().toUpperCase() : raw.state;
    if (typeof state !== 'string' || !(TRADING_STATES as readonly string[]).includes(state)) {
      throw new InvalidArgumentError(`state must be one of ${TRADING_STATES.join(', ')}, got ${describeValue(raw.state)}`);
    }
    if (typeof raw.reason !== 'string' || raw.reason.trim() === '') throw new InvalidArgumentError('reason is required');
    if (raw.reason.length > MAX_REASON) throw new InvalidArgumentError(`reason must be at most ${MAX_REASON} characters`);
    if (!UPDATED_BY.test(updatedBy)) throw new InvalidArgumentError(`updated_by is invalid: ${describeValue(updatedBy)}`);
    return this.o.state.set(state as TradingStateName, raw.reason.trim(), updatedBy);
  }

  getLimits(): LimitsView {
    return this.o.limits.view();
  }

  /** PUT /limits: a partial update of known limits, validated as a whole before anything changes. */
  updateLimits(body: unknown, updatedBy = 'operator'): Promise<LimitsView> {
    return this.o.limits.update(parseLimitsPatch(body, this.symbols), updatedBy);
  }

  /** UpdateLimits: already a validated patch (see grpc.ts); an empty patch changes nothing. */
  applyLimitsPatch(patch: LimitsPatch, updatedBy = 'operator'): Promise<LimitsView> {
    if (Object.keys(patch.set).length === 0 && patch.reset.length === 0) return Promise.resolve(this.o.limits.view());
    return this.o.limits.update(patch, updatedBy);
  }

  async listEvents(q: { limit?: unknown; offset?: unknown; decision?: unknown; kind?: unknown; symbol?: unknown; recommendation_id?: unknown }): Promise<{
    events: RiskEventView[];
    total: number;
    limit: number;
    offset: number;
  }> {
    const limit = optionalInt(q.limit, 'limit', 1, MAX_EVENTS_LIMIT) ?? DEFAULT_EVENTS_LIMIT;
    const offset = optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0;
    let decision: Decision | undefined;
    if (q.decision !== undefined && q.decision !== '') {
      const d = typeof q.decision === 'string' ? q.decision.toUpperCase() : q.decision;
      if (typeof d !== 'string' || !(DECISIONS as readonly string[]).includes(d)) throw new InvalidArgumentError(`decision must be one of ${DECISIONS.join(', ')}`);
      decision = d as Decision;
    }
    let kind: EventKind | undefined;
    if (q.kind !== undefined && q.kind !== '') {
      if (typeof q.kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(q.kind)) throw new InvalidArgumentError(`kind must be one of ${EVENT_KINDS.join(', ')}`);
      kind = q.kind as EventKind;
    }
    const symbol = q.symbol !== undefined && q.symbol !== '' ? this.symbols.require(q.symbol) : undefined;
    const recommendationId = parseOptionalIdField(q.recommendation_id, 'recommendation_id');
    // Read your writes: decisions still queued are written first (best effort).
    if (this.o.events.pending() > 0) await this.o.events.flush().catch(() => undefined);
    const page = await this.o.lookup.listEvents({ limit, offset, decision, kind, symbol, recommendationId });
    return { ...page, limit, offset };
  }

  /** What GET /stats shows: counters and caches behind the decisions. */
  stats(): Record<string, unknown> {
    const now = this.now();
    const dataNow = this.prices.dataNow > 0 ? this.prices.dataNow : now;
    const day = utcDay(dataNow);
    this.pending.expire(now);
    return {
      trading_state: this.o.state.state,
      data_time: this.prices.dataNow > 0 ? this.prices.dataNow : null,
      day: dayLabel(day),
      trades_today: this.trades.total(day),
      trades_today_by_symbol: this.trades.bySymbol(day),
      fills_seen_today: this.fillsByDay.get(day) ?? 0,
      pending_approvals: this.pending.size,
      pending_gross_notional: this.pending.grossNotional.toFixed(),
      events_queued: this.o.events.pending(),
      decisions_cached: this.o.decisions.recent.size,
      prices: this.prices.snapshot(),
      stale_symbols: this.feeds.staleSymbols(now).map((s) => ({ symbol: s.symbol, exchanges: s.exchanges, age_ms: s.ageMs })),
    };
  }
}

/** Validates a CheckRequest (gRPC or REST); throws InvalidArgumentError naming the field. */
export function parseCheckRequest(raw: CheckRequestInput, symbols: TradableSymbols, fallbackTraceId?: string): ParsedCheck {
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError('check request must be an object');
  // Shared fields follow the kit's one rule for each, exactly as execution applies it.
  const recommendationId = parseIdField(raw.recommendation_id, 'recommendation_id');
  const symbol = symbols.require(raw.symbol);
  const side = parseSideField(raw.side);
  const qty = positiveDecimal(raw.qty, 'qty', RISK_EVENTS.requested_qty);
  if (qty === undefined) throw new InvalidArgumentError('qty is required');
  const price = raw.price === undefined || raw.price === null || raw.price === '' ? undefined : positiveDecimal(raw.price, 'price', RISK_EVENTS.price);
  // The fleet's one trace_id rule (as execution applies it): an invalid id is a 400, never silently replaced.
  const traceId = parseTraceIdField(raw.trace_id) ?? (isMessageTraceId(fallbackTraceId) ? fallbackTraceId : null);
  return { recommendationId, symbol, side, qty, price, traceId };
}

/** A decimal > 0 that the risk_events column stores exactly (DECIMAL(36,18)). */
function positiveDecimal(v: unknown, field: string, column: DecimalColumn): Dec | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return parseDecimalColumn(v, field, column, { positive: true });
}

function optionalInt(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new InvalidArgumentError(`${field} must be an integer`);
  const s = String(v);
  if (!/^\d+$/.test(s)) throw new InvalidArgumentError(`${field} must be an integer in [${min}, ${max}], got ${describeValue(v)}`);
  const n = Number(s);
  if (n < min || n > max) throw new InvalidArgumentError(`${field} must be an integer in [${min}, ${max}], got ${n}`);
  return n;
}

/** The answer Check gives for a recorded decision. */
export function storedFromRow(r: EventRow): StoredDecision {
  return {
    decision: r.decision ?? 'REJECTED',
    approved_qty: r.approved_qty ?? '0',
    reasons: [...r.reasons],
    trading_state: r.trading_state,
    event_id: r.id,
    reduces_position: r.reduces_position === true,
  };
}

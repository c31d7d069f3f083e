/**
 * ConsensusEngine: one consensus per symbol from the latest signal of every source.
 *
 * For each symbol it keeps, per source (`agent_id`), only the latest signal (by data time).
 * A consensus is computed at the symbol's latest data time `now` (the newest of its price
 * times and signal times — data time, never the wall clock, so a replay at any speed gives
 * the same answer):
 *
 *   asOf(signal) = bar_time + timeframe        the bar's close: when signal.price was the price
 *   age          = now − asOf                  dropped when age > maxAgeMs
 *   decay        = 0.5 ^ (age / halfLifeMs)
 *   weight w     = baseWeight(agent_id | source_type) × trackRecord.multiplier(agent_id) × decay
 *   vote v       = w × confidence              a source contributes when v > 0
 *
 *   agreement  = V(winning side) / Σ V(side)   over BUY, SELL and HOLD votes
 *   confidence = V(winning side) / Σ w         (= the winners' weighted mean confidence × their weight share)
 *
 * The consensus is HOLD when fewer than `minQuorum` sources contribute, when BUY and SELL tie
 * for the lead, when HOLD leads, or when the leader's agreement is below `minAgreement`; a
 * forced HOLD reports confidence 0 and the leader's agreement, and `reason` says why.
 *
 * Two ways in: `apply` (a consensus per signal, at the symbol's latest data time, prices included:
 * the result depends on arrival order) and `decide` (the one decision of a bar that BarDecider
 * closed, as of the bar's close, over decided bars only: a function of the data alone).
 *
 * Pure and deterministic: no I/O, no clock, no randomness. Sources are summed in agent-id
 * order, so the same signals give bit-identical results whatever order state was rebuilt in.
 */
import { timeframeMs, type SignalMessage, type SignalSide, type Symbol, type Timeframe, type TradableSymbols } from '@cte/shared/core';
import type { ReadyBar } from './bar-decider';
import { RecentSet } from './recent-set';
import { TrackRecord, type PendingSignal, type ScoredSignal, type SourceView, type TrackRecordOptions } from './track-record';
import { validateSignalShape, type SignalValidation } from './validation';

export interface ConsensusOptions {
  /** Half-life of a signal's weight, in data-time ms. */
  halfLifeMs: number;
  /** Signals older than this (data time, relative to the symbol's latest time) are dropped. */
  maxAgeMs: number;
  /** Distinct contributing sources needed for BUY/SELL. */
  minQuorum: number;
  /** Weight share the leading side needs for BUY/SELL, 0..1. */
  minAgreement: number;
  /** Base weight by agent_id or source_type (agent_id wins); default 1. */
  baseWeights?: Readonly<Record<string, number>>;
  trackRecord?: Partial<TrackRecordOptions>;
  /** How far a signal's data time may be ahead of the symbol's latest data time. Default 1 h. */
  maxLeadMs?: number;
  /** How far bar_time/created_at may be ahead of the wall clock. Default 60 s. */
  maxClockSkewMs?: number;
  /** Symbols accepted before any price is seen. */
  symbols?: readonly Symbol[];
  /**
   * The fleet's tradable symbols (TRADABLE_SYMBOLS). When given, they are the known symbols: prices
   * of others are ignored and a signal for another is refused naming it. Without it (backtests),
   * prices make symbols known.
   */
  tradable?: TradableSymbols;
  /** Bound on known symbols (prices for further symbols are ignored). Default 10,000. */
  maxSymbols?: number;
  /** How many recent signal ids are remembered so that re-applying one is a no-op. Default 100,000. */
  maxRememberedIds?: number;
}

export type ConsensusReason = 'consensus' | 'hold' | 'tie' | 'no_quorum' | 'low_agreement' | 'no_signals';

export interface Consensus {
  symbol: Symbol;
  side: SignalSide;
  /** 0..1, 8 decimals. */
  confidence: number;
  /** 0..1, 8 decimals. */
  agreement: number;
  /** Distinct contributing sources. */
  sources: number;
  /** Contributing signals, in agent-id order. */
  signal_ids: string[];
  /** Latest price of the symbol (decimal string): from the price feed or the newest signal. */
  price: string;
  /** Data time (epoch ms) the consensus is as of. */
  ts: number;
  reason: ConsensusReason;
}

/** The one decision of a (symbol, timeframe, bar): `ts` is the bar's close. */
export interface BarConsensus extends Consensus {
  timeframe: Timeframe;
  bar_time: number;
}

export interface ApplyResult {
  consensus: Consensus;
  /** The signal id was applied before (a retry): state is unchanged. */
  duplicate: boolean;
  /** First signal ever seen from this agent. */
  newSource: boolean;
  /** The signal is older than the source's current one for the symbol: kept for scoring only. */
  superseded: boolean;
}

export interface SourceWeight extends SourceView {
  baseWeight: number;
  /** baseWeight × multiplier: the weight of a fresh signal at confidence 1. */
  effectiveWeight: number;
}

interface Entry {
  signal: SignalMessage;
  asOf: number;
}

interface SymbolState {
  /** Newest data time seen for the symbol (prices and signals); 0 = none. */
  latestTime: number;
  /** Newest price time; -1 = none. */
  priceTime: number;
  price: string;
  bySource: Map<string, Entry>;
}

const ROUND = 1e8;
const round8 = (x: number): number => Math.round(x * ROUND) / ROUND;

/** Data time of a signal: the close of the bar it was made on, when its `price` was current. */
export function signalAsOf(s: Pick<SignalMessage, 'bar_time' | 'timeframe'>): number {
  return s.bar_time + timeframeMs(s.timeframe);
}

/** Data time from which a price scores the signal: `horizon_ms` after its as-of time. */
export function signalDueAt(s: Pick<SignalMessage, 'bar_time' | 'timeframe' | 'horizon_ms'>): number {
  return signalAsOf(s) + s.horizon_ms;
}

export class ConsensusEngine {
  readonly trackRecord: TrackRecord;
  readonly options: Readonly<Required<Omit<ConsensusOptions, 'trackRecord' | 'symbols' | 'tradable'>>>;
  private readonly tradable: TradableSymbols | undefined;
  private readonly weights: ReadonlyMap<string, number>;
  private readonly states = new Map<string, SymbolState>();
  /** Per (symbol, timeframe): the sources' latest signals of decided bars (see `decide`). */
  private readonly barStates = new Map<string, SymbolState>();
  private readonly known = new Set<string>();
  private readonly seen: RecentSet;

  constructor(opts: ConsensusOptions) {
    const o = {
      baseWeights: {},
      maxLeadMs: 3_600_000,
      maxClockSkewMs: 60_000,
      maxSymbols: 10_000,
      maxRememberedIds: 100_000,
      ...opts,
    };
    if (!(o.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${o.halfLifeMs}`);
    if (!(o.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${o.maxAgeMs}`);
    if (!(Number.isInteger(o.minQuorum) && o.minQuorum >= 1)) throw new RangeError(`minQuorum must be an integer >= 1, got ${o.minQuorum}`);
    if (!(o.minAgreement >= 0 && o.minAgreement <= 1)) throw new RangeError(`minAgreement must be in [0, 1], got ${o.minAgreement}`);
    for (const [k, w] of Object.entries(o.baseWeights)) {
      if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`base weight of ${k} must be a finite number >= 0, got ${w}`);
    }
    this.options = {
      halfLifeMs: o.halfLifeMs,
      maxAgeMs: o.maxAgeMs,
      minQuorum: o.minQuorum,
      minAgreement: o.minAgreement,
      baseWeights: { ...o.baseWeights },
      maxLeadMs: o.maxLeadMs,
      maxClockSkewMs: o.maxClockSkewMs,
      maxSymbols: o.maxSymbols,
      maxRememberedIds: o.maxRememberedIds,
    };
    this.weights = new Map(Object.entries(o.baseWeights));
    this.trackRecord = new TrackRecord(opts.trackRecord);
    this.seen = new RecentSet(o.maxRememberedIds);
    this.tradable = opts.tradable;
    for (const s of opts.symbols ?? []) this.known.add(s);
    for (const s of opts.tradable?.list() ?? []) this.known.add(s);
  }

  // -------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------

  /**
   * Validates an untrusted signal without changing any state. `nowMs` is the wall clock, used
   * only for the shared contract's future-timestamp check; every other time check is data time.
   */
  validate(raw: unknown, nowMs: number, dataTimeChecks = true): SignalValidation {
    const v = validateSignalShape(raw, nowMs, this.options.maxClockSkewMs);
    if (!v.ok || !dataTimeChecks) return this.checkSymbol(v);
    return this.checkDataTime(this.checkSymbol(v));
  }

  private checkSymbol(v: SignalValidation): SignalValidation {
    if (!v.ok) return v;
    const s = v.signal;
    if (this.tradable !== undefined && !this.tradable.has(s.symbol)) {
      return { ok: false, reason: 'unknown_symbol', message: this.tradable.unknown(s.symbol, 'signal.symbol').message };
    }
    if (!this.known.has(s.symbol)) {
      return { ok: false, reason: 'unknown_symbol', message: `signal.symbol ${s.symbol} is not a known symbol` };
    }
    return v;
  }

  /** The data-time window against the symbol's latest time (the per-signal path; bar decisions use BarDecider). */
  private checkDataTime(v: SignalValidation): SignalValidation {
    if (!v.ok) return v;
    const s = v.signal;
    const st = this.states.get(s.symbol);
    const asOf = signalAsOf(s);
    if (st && st.latestTime > 0) {
      if (asOf > st.latestTime + this.options.maxLeadMs) {
        return { ok: false, reason: 'future', message: `signal as-of ${asOf} is ahead of ${s.symbol}'s data time ${st.latestTime} by more than ${this.options.maxLeadMs} ms` };
      }
      if (asOf < st.latestTime - this.options.maxAgeMs) {
        return { ok: false, reason: 'stale', message: `signal as-of ${asOf} is older than ${this.options.maxAgeMs} ms at ${s.symbol}'s data time ${st.latestTime}` };
      }
    }
    return v;
  }

  /**
   * Applies a validated signal and recomputes its symbol's consensus. Idempotent per signal id:
   * applying the same id again changes nothing and returns the current consensus. Does not
   * start scoring the signal: call `track` once it is safely stored (or use `ingest`).
   */
  apply(signal: SignalMessage): ApplyResult {
    const st = this.state(signal.symbol);
    const duplicate = this.seen.has(signal.id);
    let newSource = false;
    let superseded = false;
    if (!duplicate) {
      this.seen.add(signal.id);
      newSource = this.trackRecord.observe(signal.agent_id, signal.source_type);
      superseded = !this.place(st, signal);
    }
    return { consensus: this.computeState(signal.symbol, st), duplicate, newSource, superseded };
  }

  /** Starts scoring a BUY/SELL signal against the price at its due time; false when not tracked. */
  track(signal: SignalMessage): boolean {
    if (signal.side === 'HOLD') return false;
    return this.trackRecord.track(toPending(signal));
  }

  /** `apply` then `track`: the whole input path in one call (backtests). */
  ingest(signal: SignalMessage): ApplyResult {
    const r = this.apply(signal);
    if (!r.duplicate) this.track(signal);
    return r;
  }

  /**
   * A price (bar close or tick) at data time `ts`: the symbol becomes known, its data time
   * advances, and (with `score`) signals due by `ts` are scored. Returns the scored signals.
   * Per-bar decisions pass score=false: they score at each decided bar's own price (`decide`), so
   * the track record a decision sees does not depend on how far pub/sub prices ran ahead.
   */
  onPrice(symbol: Symbol, price: string, ts: number, score = true): ScoredSignal[] {
    if (!this.known.has(symbol)) {
      if (this.tradable !== undefined || this.known.size >= this.options.maxSymbols) return [];
      this.known.add(symbol);
    }
    const st = this.state(symbol);
    if (ts > st.latestTime) st.latestTime = ts;
    if (ts >= st.priceTime) {
      st.priceTime = ts;
      st.price = price;
    }
    return score ? this.trackRecord.onPrice(symbol, price, ts) : [];
  }

  /** Rebuilds state from a stored signal (start-up); `pending` = not yet scored. */
  restore(signal: SignalMessage, pending: boolean): void {
    if (this.seen.has(signal.id)) return;
    this.seen.add(signal.id);
    this.known.add(signal.symbol);
    this.trackRecord.observe(signal.agent_id, signal.source_type);
    this.place(this.state(signal.symbol), signal);
    if (pending) this.track(signal);
  }

  /**
   * The one consensus of a decided bar (BarDecider), as of the bar's close. Only signals of
   * decided bars of the same symbol and timeframe count (the bar's own, and each other source's
   * latest earlier one, decayed, within maxAgeMs), and the track record is first advanced to the
   * bar's close with the bar's own price, so the result is a function of the decided bars alone,
   * not of when prices or signals arrived. Marks the signals seen (like `apply`).
   */
  decide(bar: ReadyBar): { consensus: BarConsensus; scored: ScoredSignal[] } {
    const key = `${bar.symbol}|${bar.timeframe}`;
    let st = this.barStates.get(key);
    if (!st) {
      st = { latestTime: 0, priceTime: -1, price: '0', bySource: new Map() };
      this.barStates.set(key, st);
    }
    this.known.add(bar.symbol);
    for (const s of bar.signals) {
      if (!this.seen.has(s.id)) this.seen.add(s.id);
      this.trackRecord.observe(s.agent_id, s.source_type);
      this.place(st, s);
      // The shared per-symbol view (GET /consensus, restarts) follows too.
      this.place(this.state(s.symbol), s);
    }
    const asOf = bar.barTime + timeframeMs(bar.timeframe);
    const first = bar.signals[0];
    let scored: ScoredSignal[] = [];
    if (first) {
      st.price = first.price;
      st.priceTime = asOf;
      scored = this.trackRecord.onPrice(bar.symbol, first.price, asOf);
    }
    st.latestTime = asOf;
    return { consensus: { ...this.computeState(bar.symbol, st), ts: asOf, timeframe: bar.timeframe, bar_time: bar.barTime }, scored };
  }

  /** Rebuilds the decision state of a signal whose bar was decided before a restart. */
  restoreDecided(signal: SignalMessage): void {
    const key = `${signal.symbol}|${signal.timeframe}`;
    let st = this.barStates.get(key);
    if (!st) {
      st = { latestTime: 0, priceTime: -1, price: '0', bySource: new Map() };
      this.barStates.set(key, st);
    }
    this.place(st, signal);
  }

  addKnownSymbol(symbol: Symbol): void {
    this.known.add(symbol);
  }

  // -------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------

  /** The consensus of `symbol` at its latest data time; undefined for a symbol without state. */
  compute(symbol: Symbol): Consensus | undefined {
    const st = this.states.get(symbol);
    return st ? this.computeState(symbol, st) : undefined;
  }

  knownSymbols(): ReadonlySet<string> {
    return this.known;
  }

  isKnownSymbol(symbol: string): boolean {
    return this.known.has(symbol);
  }

  /** The symbol's latest data time, 0 when none. */
  latestTime(symbol: Symbol): number {
    return this.states.get(symbol)?.latestTime ?? 0;
  }

  baseWeight(agentId: string, sourceType: string): number {
    return this.weights.get(agentId) ?? this.weights.get(sourceType) ?? 1;
  }

  /** Each source's base weight, track record and effective weight (base × multiplier, before decay). */
  sources(): SourceWeight[] {
    return this.trackRecord.list().map((s) => {
      const baseWeight = this.baseWeight(s.agentId, s.sourceType);
      return { ...s, baseWeight, effectiveWeight: baseWeight * s.multiplier };
    });
  }

  // -------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------

  private state(symbol: string): SymbolState {
    let st = this.states.get(symbol);
    if (!st) {
      st = { latestTime: 0, priceTime: -1, price: '0', bySource: new Map() };
      this.states.set(symbol, st);
    }
    return st;
  }

  /** Makes `signal` its source's current one unless a newer one is in place; false when superseded. */
  private place(st: SymbolState, signal: SignalMessage): boolean {
    const asOf = signalAsOf(signal);
    if (asOf > st.latestTime) st.latestTime = asOf;
    if (asOf >= st.priceTime) {
      st.priceTime = asOf;
      st.price = signal.price;
    }
    const cur = st.bySource.get(signal.agent_id);
    if (cur && cur.asOf > asOf) return false;
    st.bySource.set(signal.agent_id, { signal, asOf });
    return true;
  }

  private computeState(symbol: Symbol, st: SymbolState): Consensus {
    const { halfLifeMs, maxAgeMs, minQuorum, minAgreement } = this.options;
    const now = st.latestTime;
    const agents = [...st.bySource.keys()].sort();
    let totalWeight = 0;
    let buy = 0;
    let sell = 0;
    let hold = 0;
    const ids: string[] = [];
    for (const agent of agents) {
      const e = st.bySource.get(agent)!;
      const age = now - e.asOf;
      if (age > maxAgeMs) {
        st.bySource.delete(agent);
        continue;
      }
      const decay = age <= 0 ? 1 : Math.pow(0.5, age / halfLifeMs);
      const s = e.signal;
      const w = this.baseWeight(agent, s.source_type) * this.trackRecord.multiplier(agent) * decay;
      const v = w * s.confidence;
      if (!(v > 0)) continue;
      totalWeight += w;
      if (s.side === 'BUY') buy += v;
      else if (s.side === 'SELL') sell += v;
      else hold += v;
      ids.push(s.id);
    }
    // Object literals, not spreads: V8 takes a slow path spreading into a literal (~5 µs here).
    const out = (side: SignalSide, confidence: number, agreement: number, reason: ConsensusReason): Consensus => ({
      symbol,
      side,
      confidence,
      agreement,
      sources: ids.length,
      signal_ids: ids,
      price: st.price,
      ts: now,
      reason,
    });
    const votes = buy + sell + hold;
    if (ids.length === 0 || votes <= 0) return out('HOLD', 0, 0, 'no_signals');
    const lead = Math.max(buy, sell, hold);
    const agreement = lead / votes;
    let side: SignalSide;
    let reason: ConsensusReason;
    if (hold === lead) {
      side = 'HOLD';
      reason = 'hold';
    } else if (buy === sell) {
      side = 'HOLD';
      reason = 'tie';
    } else {
      side = buy > sell ? 'BUY' : 'SELL';
      reason = 'consensus';
    }
    if (ids.length < minQuorum) return out('HOLD', 0, round8(agreement), 'no_quorum');
    if (reason === 'tie') return out(side, 0, round8(agreement), reason);
    if (reason === 'consensus' && agreement < minAgreement) return out('HOLD', 0, round8(agreement), 'low_agreement');
    return out(side, round8(Math.min(1, lead / totalWeight)), round8(agreement), reason);
  }
}

function toPending(s: SignalMessage): PendingSignal {
  return { id: s.id, agentId: s.agent_id, symbol: s.symbol, side: s.side as 'BUY' | 'SELL', price: s.price, dueAt: signalDueAt(s) };
}

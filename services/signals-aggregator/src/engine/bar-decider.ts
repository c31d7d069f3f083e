/**
 * BarDecider: when to take the one consensus decision of a (symbol, timeframe, bar).
 *
 * Signals are collected per bar. A bar is decided exactly once, in bar order per (symbol,
 * timeframe), as soon as one of these holds (all in data time, never wall time):
 *
 * - complete: every expected source has reported for it, or has moved past it (reported for a
 *   newer bar: each source publishes its bars in order, so it will not report this one). Expected
 *   = `expectedSources` distinct sources when that is > 0; otherwise the sources that reported for
 *   this symbol and timeframe within the last `learnWindowBars` bars (learned from the data; the
 *   first bar of a series has nothing to learn from, so it waits until a source moves past it);
 * - superseded (only when deadlineBars > 0): a signal arrived for a bar `deadlineBars` or more
 *   bars newer, from any source;
 * - overflow: more than `maxPendingBars` bars of the series are waiting (the oldest is decided);
 * - deadline: a price of the symbol at or after the bar's close + `graceMs` (only when graceMs > 0;
 *   off by default because pub/sub prices race the signal stream);
 * - an older bar is decided: earlier bars are decided first (deciding bar B forces every pending
 *   bar before B).
 *
 * A signal for a bar at or before the last decided one is `late`: the caller records and counts
 * it, and it never reaches a decision. The signals of a decided bar are handed over sorted by
 * agent id, one per agent (a repeated agent keeps its newest by created_at, then id), so the
 * decision is a function of the set of signals, whatever order they arrived in.
 *
 * Pure: no I/O, no clock.
 */
import { timeframeMs, type SignalMessage, type Symbol, type Timeframe } from '@cte/shared/core';

export interface BarDeciderOptions {
  /** Distinct sources that make a bar complete; 0 = learn them from the data. Default 0. */
  expectedSources?: number;
  /** With expectedSources 0: a source is expected when it reported within this many bars. Default 24. */
  learnWindowBars?: number;
  /** A signal (of any source) this many bars newer than a pending bar decides it; 0 = off. Default 0. */
  deadlineBars?: number;
  /** Bound on undecided bars per (symbol, timeframe). Default 10,000. */
  maxPendingBars?: number;
  /** Price data time after a bar's close that decides it; 0 = off. Default 0. */
  graceMs?: number;
}

export type DecideReason = 'complete' | 'superseded' | 'deadline' | 'ordered' | 'overflow';

export interface ReadyBar {
  symbol: Symbol;
  timeframe: Timeframe;
  /** Open time of the bar (epoch ms). */
  barTime: number;
  /** One signal per agent, sorted by agent id. */
  signals: SignalMessage[];
  reason: DecideReason;
}

export type AddStatus = 'pending' | 'late' | 'repeat';

interface Series {
  symbol: Symbol;
  timeframe: Timeframe;
  tfMs: number;
  /** Bar time of the last decided bar; -Infinity before any. */
  decidedThrough: number;
  pending: Map<number, Map<string, SignalMessage>>;
  /** Newest bar time each agent reported on. */
  lastSeen: Map<string, number>;
  /** Oldest bar time seen since start. */
  firstBar: number;
}

const newer = (a: SignalMessage, b: SignalMessage): boolean => a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id);

export class BarDecider {
  private readonly series = new Map<string, Series>();
  private readonly o: Required<BarDeciderOptions>;

  constructor(opts: BarDeciderOptions = {}) {
    this.o = { expectedSources: 0, learnWindowBars: 24, deadlineBars: 0, graceMs: 0, maxPendingBars: 10_000, ...opts };
    if (!(Number.isInteger(this.o.expectedSources) && this.o.expectedSources >= 0)) throw new RangeError(`expectedSources must be an integer >= 0, got ${this.o.expectedSources}`);
    if (!(Number.isInteger(this.o.learnWindowBars) && this.o.learnWindowBars >= 1)) throw new RangeError(`learnWindowBars must be an integer >= 1, got ${this.o.learnWindowBars}`);
    if (!(Number.isInteger(this.o.deadlineBars) && this.o.deadlineBars >= 0)) throw new RangeError(`deadlineBars must be an integer >= 0, got ${this.o.deadlineBars}`);
    if (!(Number.isInteger(this.o.maxPendingBars) && this.o.maxPendingBars >= 1)) throw new RangeError(`maxPendingBars must be an integer >= 1, got ${this.o.maxPendingBars}`);
    if (!(Number.isFinite(this.o.graceMs) && this.o.graceMs >= 0)) throw new RangeError(`graceMs must be >= 0, got ${this.o.graceMs}`);
  }

  /** Marks (symbol, timeframe) decided through `barTime` (restart: the stored decisions). */
  markDecided(symbol: Symbol, timeframe: Timeframe, barTime: number): void {
    const s = this.seriesOf(symbol, timeframe);
    if (barTime > s.decidedThrough) s.decidedThrough = barTime;
    for (const t of [...s.pending.keys()]) if (t <= barTime) s.pending.delete(t);
  }

  /** Whether the signal's bar is already decided (the signal would be late). */
  isLate(signal: Pick<SignalMessage, 'symbol' | 'timeframe' | 'bar_time'>): boolean {
    const s = this.series.get(keyOf(signal.symbol, signal.timeframe));
    return s !== undefined && signal.bar_time <= s.decidedThrough;
  }

  /**
   * Restart: puts a stored signal of an undecided bar back, deciding nothing (the next signal or
   * deadline does). Returns false when its bar is decided.
   */
  hold(signal: SignalMessage): boolean {
    const s = this.seriesOf(signal.symbol, signal.timeframe);
    this.seen(s, signal);
    if (signal.bar_time <= s.decidedThrough) return false;
    let bar = s.pending.get(signal.bar_time);
    if (!bar) {
      bar = new Map();
      s.pending.set(signal.bar_time, bar);
    }
    const cur = bar.get(signal.agent_id);
    if (!cur || newer(signal, cur)) bar.set(signal.agent_id, signal);
    return true;
  }

  /** Takes a signal; returns what became decidable, oldest first. */
  add(signal: SignalMessage): { status: AddStatus; ready: ReadyBar[] } {
    const s = this.seriesOf(signal.symbol, signal.timeframe);
    // A late signal still shows its source reports on this series: without it, a source that fell
    // out of the learn window (a data gap) would never be expected again and stay late for good.
    this.seen(s, signal);
    if (signal.bar_time <= s.decidedThrough) return { status: 'late', ready: [] };
    let bar = s.pending.get(signal.bar_time);
    if (!bar) {
      bar = new Map();
      s.pending.set(signal.bar_time, bar);
    }
    const cur = bar.get(signal.agent_id);
    let status: AddStatus = 'pending';
    if (cur) {
      status = 'repeat';
      if (newer(signal, cur)) bar.set(signal.agent_id, signal);
    } else {
      bar.set(signal.agent_id, signal);
    }
    const ready: ReadyBar[] = [];
    if (s.pending.size > this.o.maxPendingBars) ready.push(...this.collect(s, Math.min(...s.pending.keys()) + 1, 'overflow'));
    const forceBefore = this.o.deadlineBars > 0 ? signal.bar_time - (this.o.deadlineBars - 1) * s.tfMs : -Infinity;
    ready.push(...this.collect(s, forceBefore));
    return { status, ready };
  }

  /** A price of `symbol` at data time `ts`: with graceMs > 0, decides bars whose deadline passed. */
  onPrice(symbol: Symbol, ts: number): ReadyBar[] {
    if (this.o.graceMs <= 0) return [];
    const out: ReadyBar[] = [];
    for (const s of this.series.values()) {
      if (s.symbol !== symbol) continue;
      // Bars with close + grace <= ts, i.e. barTime <= ts - grace - tf.
      out.push(...this.collect(s, ts - this.o.graceMs - s.tfMs + 1, 'deadline'));
    }
    return out;
  }

  /** Pending bars (not yet decided), for metrics and tests. */
  pendingBars(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.pending.size;
    return n;
  }

  /** Decides every pending bar now (e.g. the end of a backtest). */
  flush(): ReadyBar[] {
    const out: ReadyBar[] = [];
    for (const s of this.series.values()) out.push(...this.collect(s, Infinity, 'deadline'));
    return out;
  }

  /**
   * Decides, in bar order: every pending bar older than `forceBefore` (reason `forced`), then
   * the leading bars that are complete.
   */
  private collect(s: Series, forceBefore: number, forcedReason: DecideReason = 'superseded'): ReadyBar[] {
    const out: ReadyBar[] = [];
    const times = [...s.pending.keys()].sort((a, b) => a - b);
    for (const t of times) {
      const signals = s.pending.get(t)!;
      let reason: DecideReason | undefined;
      if (t < forceBefore) reason = forcedReason;
      else if (this.complete(s, t, signals)) reason = 'complete';
      if (reason === undefined) {
        // A later complete bar forces this one first (decisions stay in bar order).
        const laterComplete = times.some((u) => u > t && this.complete(s, u, s.pending.get(u)!));
        if (!laterComplete) break;
        reason = 'ordered';
      }
      s.pending.delete(t);
      s.decidedThrough = t;
      out.push({ symbol: s.symbol, timeframe: s.timeframe, barTime: t, signals: [...signals.keys()].sort().map((a) => signals.get(a)!), reason });
    }
    return out;
  }

  private complete(s: Series, barTime: number, signals: ReadonlyMap<string, SignalMessage>): boolean {
    // Sources that moved past the bar without reporting on it count as done with it.
    let movedPast = 0;
    for (const [agent, last] of s.lastSeen) if (last > barTime && !signals.has(agent)) movedPast++;
    if (this.o.expectedSources > 0) return signals.size + movedPast >= this.o.expectedSources;
    if (barTime <= s.firstBar && s.decidedThrough === -Infinity && movedPast === 0 && ![...signals.keys()].some((a) => s.lastSeen.get(a)! > barTime)) return false;
    const from = barTime - this.o.learnWindowBars * s.tfMs;
    for (const [agent, last] of s.lastSeen) if (last >= from && last <= barTime && !signals.has(agent)) return false;
    return signals.size > 0;
  }

  private seen(s: Series, signal: SignalMessage): void {
    if ((s.lastSeen.get(signal.agent_id) ?? -Infinity) < signal.bar_time) s.lastSeen.set(signal.agent_id, signal.bar_time);
    if (signal.bar_time < s.firstBar) s.firstBar = signal.bar_time;
  }

  private seriesOf(symbol: Symbol, timeframe: Timeframe): Series {
    const k = keyOf(symbol, timeframe);
    let s = this.series.get(k);
    if (!s) {
      s = { symbol, timeframe, tfMs: timeframeMs(timeframe), decidedThrough: -Infinity, pending: new Map(), lastSeen: new Map(), firstBar: Infinity };
      this.series.set(k, s);
    }
    return s;
  }
}

const keyOf = (symbol: string, tf: string): string => `${symbol}|${tf}`;

import { InvalidArgumentError, TIMEFRAMES, parseTimeframe, timeframeMs } from '@cte/shared/core';
import type { Bar, Symbol, Tick, Timeframe } from '@cte/shared/core';

/** Returned when nothing closed; shared and frozen so the hot path allocates nothing. */
const NO_BARS: readonly Bar[] = Object.freeze([]);

export interface BarAggregatorStats {
  /** Ticks applied to the open bars. */
  ticksAccepted: number;
  /** Ticks older than the current open bar (or than a bar already closed): counted and dropped. */
  lateTicksDropped: number;
  /** Ticks with a non-finite or non-positive price, a negative or non-finite qty, or a non-finite ts. */
  invalidTicksDropped: number;
  barsClosed: number;
}

/** The bar being built for one timeframe of one series. Mutated in place. */
class OpenBar {
  active = false;
  openTime = 0;
  closeTime = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  trades = 0;
  /** Timestamps of the ticks that set `open` and `close`, so a tick reordered inside the bar lands right. */
  firstTs = 0;
  lastTs = 0;

  constructor(
    readonly timeframe: Timeframe,
    readonly periodMs: number,
  ) {}

  start(ts: number, price: number, qty: number): void {
    const openTime = ts - (((ts % this.periodMs) + this.periodMs) % this.periodMs);
    this.active = true;
    this.openTime = openTime;
    this.closeTime = openTime + this.periodMs;
    this.open = price;
    this.high = price;
    this.low = price;
    this.close = price;
    this.volume = qty;
    this.trades = 1;
    this.firstTs = ts;
    this.lastTs = ts;
  }

  apply(ts: number, price: number, qty: number): void {
    if (price > this.high) this.high = price;
    if (price < this.low) this.low = price;
    if (ts < this.firstTs) {
      this.open = price;
      this.firstTs = ts;
    }
    if (ts >= this.lastTs) {
      this.close = price;
      this.lastTs = ts;
    }
    this.volume += qty;
    this.trades++;
  }

  toBar(exchange: string, symbol: Symbol): Bar {
    return {
      exchange,
      symbol,
      timeframe: this.timeframe,
      openTime: this.openTime,
      closeTime: this.closeTime,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
      trades: this.trades,
    };
  }
}

/** All open bars of one (exchange, symbol). */
class Series {
  /**
   * Ticks before this are late: the start of the finest period of the newest
   * accepted tick, or the end of the newest bar already closed, whichever is later.
   * One watermark for all timeframes keeps them consistent with each other.
   */
  acceptFromMs = -Infinity;
  readonly bars: OpenBar[];

  constructor(
    readonly exchange: string,
    readonly symbol: Symbol,
    timeframes: readonly Timeframe[],
    periods: readonly number[],
  ) {
    this.bars = timeframes.map((tf, i) => new OpenBar(tf, periods[i]!));
  }
}

/**
 * Builds OHLCV bars from ticks, per (exchange, symbol), for several timeframes at once.
 *
 * - Bars are UTC-aligned (`openTime` is a multiple of the period since the epoch).
 * - A bar closes when a tick of a later period arrives (`onTick`) or when its
 *   period has ended on the clock (`closeDue`); `flush` closes everything.
 * - Periods without ticks produce no bar: gaps stay gaps.
 * - A tick older than the current open bar, or inside a bar already closed, is
 *   dropped and counted in `stats.lateTicksDropped`; closed bars are never changed.
 *   A tick reordered inside the open bar still counts, and `open`/`close` follow
 *   tick time (ties keep arrival order).
 */
export class BarAggregator {
  readonly timeframes: readonly Timeframe[];
  private readonly periods: readonly number[];
  private readonly finestMs: number;
  private readonly byExchange = new Map<string, Map<string, Series>>();
  private lastSeries: Series | undefined;
  /** Earliest closeTime among open bars; `closeDue` before it is a no-op. */
  private nextDueMs = Infinity;
  private readonly counters: BarAggregatorStats = {
    ticksAccepted: 0,
    lateTicksDropped: 0,
    invalidTicksDropped: 0,
    barsClosed: 0,
  };

  constructor(timeframes: readonly Timeframe[]) {
    if (timeframes.length === 0) throw new InvalidArgumentError('BarAggregator needs at least one timeframe');
    const unique = [...new Set(timeframes.map((tf) => parseTimeframe(tf)))];
    // Finest first, so the emitted bars of one tick come out finest to coarsest.
    unique.sort((a, b) => TIMEFRAMES.indexOf(a) - TIMEFRAMES.indexOf(b));
    this.timeframes = unique;
    this.periods = unique.map(timeframeMs);
    this.finestMs = this.periods[0]!;
  }

  /** Applies a tick; returns the bars it closed (finest timeframe first), usually none. */
  onTick(tick: Tick): readonly Bar[] {
    const ts = tick.ts;
    const price = tick.price;
    const qty = tick.qty;
    if (!(price > 0 && price < Infinity && qty >= 0 && qty < Infinity && Number.isFinite(ts))) {
      this.counters.invalidTicksDropped++;
      return NO_BARS;
    }
    const series = this.seriesFor(tick.exchange, tick.symbol);
    if (ts < series.acceptFromMs) {
      this.counters.lateTicksDropped++;
      return NO_BARS;
    }
    let closed: Bar[] | undefined;
    const bars = series.bars;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i]!;
      if (!bar.active) {
        bar.start(ts, price, qty);
        if (bar.closeTime < this.nextDueMs) this.nextDueMs = bar.closeTime;
      } else if (ts >= bar.closeTime) {
        (closed ??= []).push(bar.toBar(series.exchange, series.symbol));
        bar.start(ts, price, qty);
        if (bar.closeTime < this.nextDueMs) this.nextDueMs = bar.closeTime;
      } else {
        bar.apply(ts, price, qty);
      }
    }
    const finestStart = ts - (((ts % this.finestMs) + this.finestMs) % this.finestMs);
    if (finestStart > series.acceptFromMs) series.acceptFromMs = finestStart;
    this.counters.ticksAccepted++;
    if (closed === undefined) return NO_BARS;
    this.counters.barsClosed += closed.length;
    return closed;
  }

  /** Closes every open bar whose period ended at or before `nowMs` (time-based close). */
  closeDue(nowMs: number): Bar[] {
    if (nowMs < this.nextDueMs) return [];
    return this.closeWhere((bar) => bar.closeTime <= nowMs);
  }

  /** Closes every open bar regardless of time, e.g. at the end of a replay or a file. */
  flush(): Bar[] {
    return this.closeWhere(() => true);
  }

  /** Snapshots of the bars still being built. */
  openBars(): Bar[] {
    const out: Bar[] = [];
    for (const series of this.allSeries()) {
      for (const bar of series.bars) if (bar.active) out.push(bar.toBar(series.exchange, series.symbol));
    }
    return out;
  }

  stats(): BarAggregatorStats {
    return { ...this.counters };
  }

  private closeWhere(shouldClose: (bar: OpenBar) => boolean): Bar[] {
    const out: Bar[] = [];
    let nextDue = Infinity;
    for (const series of this.allSeries()) {
      for (const bar of series.bars) {
        if (!bar.active) continue;
        if (shouldClose(bar)) {
          out.push(bar.toBar(series.exchange, series.symbol));
          bar.active = false;
          if (bar.closeTime > series.acceptFromMs) series.acceptFromMs = bar.closeTime;
        } else if (bar.closeTime < nextDue) {
          nextDue = bar.closeTime;
        }
      }
    }
    this.nextDueMs = nextDue;
    this.counters.barsClosed += out.length;
    return out;
  }

  private *allSeries(): Iterable<Series> {
    for (const bySymbol of this.byExchange.values()) yield* bySymbol.values();
  }

  private seriesFor(exchange: string, symbol: Symbol): Series {
    const last = this.lastSeries;
    if (last !== undefined && last.symbol === symbol && last.exchange === exchange) return last;
    let bySymbol = this.byExchange.get(exchange);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.byExchange.set(exchange, bySymbol);
    }
    let series = bySymbol.get(symbol);
    if (series === undefined) {
      series = new Series(exchange, symbol, this.timeframes, this.periods);
      bySymbol.set(symbol, series);
    }
    this.lastSeries = series;
    return series;
  }
}

/**
 * Resamples bars into a coarser (or equal) timeframe: first open, max high,
 * min low, last close, summed volume and trade counts. Periods with no input
 * bar produce no output bar. Bars of each (exchange, symbol) must come in
 * strictly increasing `openTime`; series may be interleaved. Output is sorted
 * by `openTime`, series in order of first appearance within a period.
 */
export function aggregateBars(bars: readonly Bar[], timeframe: Timeframe): Bar[] {
  const tf = parseTimeframe(timeframe);
  const periodMs = timeframeMs(tf);
  const out: Bar[] = [];
  const current = new Map<string, Bar>();
  const lastOpen = new Map<string, number>();
  for (let i = 0; i < bars.length; i++) {
    const src = bars[i]!;
    const srcMs = timeframeMs(src.timeframe);
    if (srcMs > periodMs || periodMs % srcMs !== 0) {
      throw new InvalidArgumentError(`cannot aggregate ${src.timeframe} bars into ${tf}: ${tf} must be a multiple of ${src.timeframe}`);
    }
    const key = `${src.exchange}\u0000${src.symbol}`;
    const previous = lastOpen.get(key);
    if (previous !== undefined && src.openTime <= previous) {
      throw new InvalidArgumentError(
        `bars of ${src.exchange} ${src.symbol} must be in increasing time order: bar ${i} opens at ${src.openTime} after ${previous}`,
      );
    }
    lastOpen.set(key, src.openTime);
    const openTime = src.openTime - (((src.openTime % periodMs) + periodMs) % periodMs);
    const acc = current.get(key);
    if (acc !== undefined && acc.openTime === openTime) {
      if (src.high > acc.high) acc.high = src.high;
      if (src.low < acc.low) acc.low = src.low;
      acc.close = src.close;
      acc.volume += src.volume;
      acc.trades += src.trades;
      continue;
    }
    const next: Bar = {
      exchange: src.exchange,
      symbol: src.symbol,
      timeframe: tf,
      openTime,
      closeTime: openTime + periodMs,
      open: src.open,
      high: src.high,
      low: src.low,
      close: src.close,
      volume: src.volume,
      trades: src.trades,
    };
    current.set(key, next);
    out.push(next);
  }
  // Stable: series interleaved in time keep their first-appearance order within a period.
  return out.sort((a, b) => a.openTime - b.openTime);
}

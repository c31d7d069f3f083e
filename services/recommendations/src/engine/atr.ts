/**
 * Wilder's Average True Range, incremental and exact (decimal.js).
 *
 *   TR_t  = max(high_t − low_t, |high_t − close_{t−1}|, |low_t − close_{t−1}|)
 *   ATR   = mean of the first `period` TRs, then ATR_t = (ATR_{t−1} × (period − 1) + TR_t) / period
 *
 * As Wilder (and StockCharts, whose worked example is the reference in the tests), the first
 * bar's true range is its high − low, so ATR-14 has its first value on the 14th bar. (TA-Lib
 * skips the first bar instead and starts one bar later.)
 */
import { Dec } from '@cte/shared/core';

export interface AtrBar {
  /** Epoch ms; bars of one symbol must arrive in increasing order (older or repeated ones are ignored). */
  openTime: number;
  high: Dec;
  low: Dec;
  close: Dec;
}

export class WilderAtr {
  private prevClose: Dec | undefined;
  private readonly warmup: Dec[] = [];
  private current: Dec | undefined;

  constructor(readonly period: number) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError('ATR period must be a positive integer');
  }

  /** Adds a bar; returns the ATR once `period` true ranges are known. */
  update(high: Dec, low: Dec, close: Dec): Dec | undefined {
    const prev = this.prevClose;
    this.prevClose = close;
    const tr = prev === undefined ? high.minus(low) : Dec.max(high.minus(low), high.minus(prev).abs(), low.minus(prev).abs());
    if (this.current === undefined) {
      this.warmup.push(tr);
      if (this.warmup.length === this.period) {
        this.current = this.warmup.reduce((a, b) => a.plus(b), new Dec(0)).div(this.period);
        this.warmup.length = 0;
      }
      return this.current;
    }
    this.current = this.current.times(this.period - 1).plus(tr).div(this.period);
    return this.current;
  }

  get value(): Dec | undefined {
    return this.current;
  }
}

interface SymbolAtr {
  atr: WilderAtr;
  lastOpenTime: number;
  /** Bars seen while not yet ready, so a warm-up with older bars can rebuild in order. */
  early: AtrBar[];
}

/** ATR per symbol over one timeframe's closed bars, fed incrementally, optionally warmed from history. */
export class AtrBook {
  private readonly bySymbol = new Map<string, SymbolAtr>();

  constructor(readonly period: number) {}

  /** Adds a closed bar; false when it is not newer than the symbol's last bar. */
  push(symbol: string, bar: AtrBar): boolean {
    let s = this.bySymbol.get(symbol);
    if (!s) {
      s = { atr: new WilderAtr(this.period), lastOpenTime: -Infinity, early: [] };
      this.bySymbol.set(symbol, s);
    }
    if (bar.openTime <= s.lastOpenTime) return false;
    s.lastOpenTime = bar.openTime;
    s.atr.update(bar.high, bar.low, bar.close);
    if (s.atr.value === undefined) s.early.push(bar);
    else s.early.length = 0;
    return true;
  }

  value(symbol: string): Dec | undefined {
    return this.bySymbol.get(symbol)?.atr.value;
  }

  isReady(symbol: string): boolean {
    return this.value(symbol) !== undefined;
  }

  /**
   * Warms a symbol that has no ATR yet from historical bars: they are merged with the bars seen
   * so far (by open time, live bars win) and the ATR is rebuilt. A no-op once the ATR is ready.
   */
  seed(symbol: string, history: readonly AtrBar[]): void {
    const s = this.bySymbol.get(symbol);
    if (s?.atr.value !== undefined) return;
    const merged = new Map<number, AtrBar>();
    for (const b of history) merged.set(b.openTime, b);
    for (const b of s?.early ?? []) merged.set(b.openTime, b);
    this.bySymbol.delete(symbol);
    for (const b of [...merged.values()].sort((a, b) => a.openTime - b.openTime)) this.push(symbol, b);
  }

  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }
}

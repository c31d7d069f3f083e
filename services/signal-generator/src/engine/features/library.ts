/**
 * The indicators taken from trading-signals (v8, ESM-only; this CommonJS
 * package loads it with require(esm), see tsconfig `module: node20`). Each
 * was checked against the talipp reference values (src/__tests__/features-
 * reference.test.ts); the README section "Indicators: library vs own code"
 * says why the others are our own. The wrappers only turn the library's
 * `null` (not warm yet) into NaN and keep the library types out of the pipeline.
 */
import { ATR, BollingerBands, CCI, RSI } from 'trading-signals';

/** The OHLCV fields the candle indicators read (a `Bar` fits). */
export interface Candle {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** RSI with Wilder smoothing seeded by a simple average (matches talipp / TA-Lib). */
export class LibRsi {
  private readonly ind: RSI;
  constructor(readonly period: number) {
    this.ind = new RSI(period);
  }
  update(close: number): number {
    const r = this.ind.add(close);
    return r === null ? Number.NaN : r;
  }
}

/** ATR: Wilder smoothing of true range, first true range = high − low (matches talipp). */
export class LibAtr {
  private readonly ind: ATR;
  constructor(readonly period: number) {
    this.ind = new ATR(period);
  }
  update(bar: Candle): number {
    const r = this.ind.add(bar);
    return r === null ? Number.NaN : r;
  }
}

/** Bollinger bands: SMA middle, population σ (matches talipp). */
export class LibBollinger {
  private readonly ind: BollingerBands;
  upper = Number.NaN;
  middle = Number.NaN;
  lower = Number.NaN;
  constructor(
    readonly period: number,
    readonly k: number,
  ) {
    this.ind = new BollingerBands(period, k);
  }
  update(close: number): void {
    const r = this.ind.add(close);
    if (r !== null) {
      this.upper = r.upper;
      this.middle = r.middle;
      this.lower = r.lower;
    }
  }
}

/**
 * CCI of typical price, mean absolute deviation (matches talipp). The library
 * divides by 0 on a window of identical typical prices; the caller passes
 * `flat` (known from its own 20-bar range) and gets 0 there, and 0 for any
 * non-finite result.
 */
export class LibCci {
  private readonly ind: CCI;
  constructor(readonly period: number) {
    this.ind = new CCI(period);
  }
  update(bar: Candle, flat: boolean): number {
    const r = this.ind.add(bar);
    if (r === null) return Number.NaN;
    return flat || !Number.isFinite(r) ? 0 : r;
  }
}

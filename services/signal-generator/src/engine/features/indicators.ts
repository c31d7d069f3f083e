/**
 * Indicators written here rather than taken from trading-signals, because the
 * library's version disagrees with the talipp/TA-Lib reference (see the README
 * section "Indicators: library vs own code"). Each is O(1) per bar.
 */
import { Ema, RollingExtreme, RollingSum, Wilder } from './rolling';

/**
 * MACD: EMA(fast) − EMA(slow), both seeded with their SMA; signal = EMA(signal)
 * of the MACD line, seeded with the SMA of its first `signal` values (talipp).
 * trading-signals seeds every EMA with the first input, which differs from
 * the reference by up to 20–30% during the first few dozen bars.
 */
export class Macd {
  private readonly fast: Ema;
  private readonly slow: Ema;
  private readonly sig: Ema;
  macd = Number.NaN;
  signal = Number.NaN;
  hist = Number.NaN;

  constructor(fast: number, slow: number, signal: number) {
    this.fast = new Ema(fast);
    this.slow = new Ema(slow);
    this.sig = new Ema(signal);
  }

  /** Feeds a close; the fast and slow EMAs are readable afterwards. */
  update(close: number): void {
    const f = this.fast.push(close);
    const s = this.slow.push(close);
    if (s === s && f === f) {
      this.macd = f - s;
      this.signal = this.sig.push(this.macd);
      this.hist = this.macd - this.signal;
    }
  }

  get fastValue(): number {
    return this.fast.value;
  }

  get slowValue(): number {
    return this.slow.value;
  }
}

/**
 * ADX / +DI / −DI (Wilder, as talipp): directional movement from the second
 * bar, each smoothed with Wilder's average seeded by the SMA of the first
 * `period` values, DI = 100 · smoothed DM / ATR, ADX = Wilder average of DX.
 * trading-signals feeds a zero movement for the first bar into the average
 * (so DI is defined one bar early and ADX differs by up to 4% in its first
 * bars) and returns DI as a fraction.
 */
export class Adx {
  readonly period: number;
  private prevHigh = Number.NaN;
  private prevLow = Number.NaN;
  private readonly pdm: Wilder;
  private readonly mdm: Wilder;
  private readonly adxAvg: Wilder;
  pdi = Number.NaN;
  mdi = Number.NaN;
  adx = Number.NaN;

  constructor(period: number) {
    this.period = period;
    this.pdm = new Wilder(period);
    this.mdm = new Wilder(period);
    this.adxAvg = new Wilder(period);
  }

  /** `atr` is ATR(period) including this bar (NaN while it warms up). */
  update(high: number, low: number, atr: number): void {
    const ph = this.prevHigh;
    const pl = this.prevLow;
    this.prevHigh = high;
    this.prevLow = low;
    if (ph !== ph) return; // first bar: no movement yet
    const up = high - ph;
    const down = pl - low;
    const spdm = this.pdm.push(up > down && up > 0 ? up : 0);
    const smdm = this.mdm.push(down > up && down > 0 ? down : 0);
    if (spdm !== spdm) return;
    if (atr > 0) {
      this.pdi = (100 * spdm) / atr;
      this.mdi = (100 * smdm) / atr;
    } else {
      this.pdi = 0;
      this.mdi = 0;
    }
    const sum = this.pdi + this.mdi;
    const dx = sum > 0 ? (100 * Math.abs(this.pdi - this.mdi)) / sum : 0;
    this.adx = this.adxAvg.push(dx);
  }
}

/**
 * Stochastic of an arbitrary series over `period` values, then SMA(kSmooth)
 * for %K and SMA(dSmooth) of %K for %D (talipp's Stoch/StochRSI form: 100
 * when the window's range is 0). Used for StochRSI on RSI values.
 * `flatRange`: a window whose range is at most this counts as flat. RSI over
 * a run of unchanged closes is constant in exact arithmetic but not in
 * floating point (the averages decay with rounding noise of ~1e-14 RSI
 * points), and the stochastic of that noise is arbitrary; a range ≤ 1e-9
 * RSI points is taken as flat.
 * trading-signals' StochasticRSI returns 0..1 but 100 on a flat window,
 * skips the %K/%D updates on a flat window and whenever the RSI or %K is
 * exactly 0, and does not smooth its main output.
 */
export class StochOfSeries {
  private readonly hi: RollingExtreme;
  private readonly lo: RollingExtreme;
  private readonly kAvg: RollingSum;
  private readonly dAvg: RollingSum;
  k = Number.NaN;
  d = Number.NaN;

  constructor(
    period: number,
    kSmooth: number,
    dSmooth: number,
    private readonly flatRange = 0,
  ) {
    this.hi = new RollingExtreme(period, 'max');
    this.lo = new RollingExtreme(period, 'min');
    this.kAvg = new RollingSum(kSmooth);
    this.dAvg = new RollingSum(dSmooth);
  }

  /** Feeds a value (skip NaN: the series has not started). */
  update(x: number): void {
    if (x !== x) return;
    this.hi.push(x);
    this.lo.push(x);
    if (!this.hi.full) return;
    const hh = this.hi.value;
    const ll = this.lo.value;
    const raw = hh - ll <= this.flatRange ? 100 : (100 * (x - ll)) / (hh - ll);
    this.kAvg.push(raw);
    if (!this.kAvg.full) return;
    this.k = this.kAvg.mean;
    this.dAvg.push(this.k);
    if (this.dAvg.full) this.d = this.dAvg.mean;
  }
}

/**
 * Money Flow Index over `period` bars of typical price (TA-Lib's definition:
 * flow = typical price × volume, positive when the typical price rose, 50
 * when there is no flow). O(1): two rolling sums. trading-signals' MFI gives
 * the same values but recomputes and re-maps its window every bar (about
 * 260 ns and one array allocation per bar, the costliest indicator here).
 */
export class Mfi {
  private prevTp = Number.NaN;
  private readonly pos: RollingSum;
  private readonly neg: RollingSum;
  value = Number.NaN;

  constructor(period: number) {
    this.pos = new RollingSum(period);
    this.neg = new RollingSum(period);
  }

  update(high: number, low: number, close: number, volume: number): number {
    const tp = (high + low + close) / 3;
    const prev = this.prevTp;
    this.prevTp = tp;
    if (prev !== prev) return this.value;
    const flow = tp * volume;
    this.pos.push(tp > prev ? flow : 0);
    this.neg.push(tp < prev ? flow : 0);
    if (this.pos.full) {
      const p = this.pos.sum;
      const total = p + this.neg.sum;
      this.value = total > 0 ? (100 * p) / total : 50;
    }
    return this.value;
  }
}

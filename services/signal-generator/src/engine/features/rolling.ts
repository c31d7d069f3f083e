/**
 * O(1) streaming building blocks for the feature pipeline (own code; see the
 * README section "Indicators: library vs own code"). Fixed-size typed-array
 * ring buffers: no allocation after construction.
 */

/**
 * Sum of the last `period` values, O(1) per push.
 *
 * A plain running sum (add the new value, subtract the evicted one) drifts:
 * every step leaves a rounding error the size of an ulp of the largest sum
 * seen, so after a spike leaves the window, or when every value in it is 0,
 * it no longer equals a fresh sum. Here each add is an error-free two-sum
 * (the rounding error goes into `lo`), so what is left of a value that has
 * left the window is ~1e-32 of it, the window is re-summed each time the ring
 * wraps (amortised O(1)), and a count of non-zero values makes an all-zero
 * window sum to exactly 0 and restart from a clean state.
 */
export class RollingSum {
  readonly period: number;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private hi = 0;
  private lo = 0;
  private nonZero = 0;

  constructor(period: number) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
    this.period = period;
    this.buf = new Float64Array(period);
  }

  push(x: number): void {
    if (this.n === this.period) {
      const old = this.buf[this.pos]!;
      if (old !== 0) {
        if (--this.nonZero === 0) {
          this.hi = 0; // the window is all zeros: drop any residue of what left it
          this.lo = 0;
        } else {
          this.add(-old);
        }
      }
    } else {
      this.n++;
    }
    this.buf[this.pos] = x;
    if (x !== 0) this.nonZero++;
    this.add(x);
    if (++this.pos === this.period) {
      this.pos = 0;
      this.resum();
    }
  }

  /** True once `period` values have been pushed. */
  get full(): boolean {
    return this.n === this.period;
  }

  get count(): number {
    return this.n;
  }

  /** Sum of the values in the window (all of them while not full). */
  get sum(): number {
    return this.nonZero === 0 ? 0 : this.hi + this.lo;
  }

  /** Mean over a full window; NaN before. */
  get mean(): number {
    return this.n === this.period ? this.sum / this.period : Number.NaN;
  }

  private add(x: number): void {
    const s = this.hi + x;
    const bp = s - this.hi;
    this.lo += this.hi - (s - bp) + (x - bp);
    this.hi = s;
  }

  private resum(): void {
    this.hi = 0;
    this.lo = 0;
    for (let k = 0; k < this.n; k++) this.add(this.buf[k]!);
  }
}

/**
 * The last `capacity` values, for lags ("the close k bars ago") and for
 * statistics that must be computed from the window itself (see `windowMeanStd`).
 */
export class Ring {
  readonly capacity: number;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.buf = new Float64Array(capacity);
  }

  push(x: number): void {
    this.buf[this.pos] = x;
    if (++this.pos === this.capacity) this.pos = 0;
    if (this.n < this.capacity) this.n++;
  }

  get count(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n === this.capacity;
  }

  /** The value pushed `k` pushes ago (0 = the latest); NaN when not held. */
  ago(k: number): number {
    if (k < 0 || k >= this.n) return Number.NaN;
    let i = this.pos - 1 - k;
    if (i < 0) i += this.capacity;
    return this.buf[i]!;
  }

  /**
   * Population mean and standard deviation of a full window, two passes in
   * chronological order (the same arithmetic as a fresh computation over the
   * same values). Bounded work (capacity ≤ 50 here), used where a sliding
   * variance update would be ill-conditioned. Writes into `out`; NaN before full.
   */
  meanStd(out: MeanStd): void {
    const n = this.capacity;
    if (this.n < n) {
      out.mean = Number.NaN;
      out.std = Number.NaN;
      return;
    }
    const buf = this.buf;
    let s = 0;
    for (let k = 0, i = this.pos; k < n; k++) {
      s += buf[i]!;
      if (++i === n) i = 0;
    }
    const mean = s / n;
    let ss = 0;
    for (let k = 0, i = this.pos; k < n; k++) {
      const d = buf[i]! - mean;
      ss += d * d;
      if (++i === n) i = 0;
    }
    out.mean = mean;
    out.std = Math.sqrt(ss / n);
  }
}

export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * Highest (or lowest) of the last `period` values, O(1) amortised per push
 * (monotonic deque over a fixed ring of values and their sequence numbers).
 */
export class RollingExtreme {
  readonly period: number;
  private readonly isMax: boolean;
  private readonly vals: Float64Array;
  private readonly seqs: Float64Array;
  private head = 0;
  private size = 0;
  private seq = 0;

  constructor(period: number, kind: 'max' | 'min') {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
    this.period = period;
    this.isMax = kind === 'max';
    this.vals = new Float64Array(period);
    this.seqs = new Float64Array(period);
  }

  push(x: number): void {
    const cap = this.period;
    const seq = this.seq++;
    // Evict the front when it has left the window.
    if (this.size > 0 && this.seqs[this.head]! <= seq - cap) {
      if (++this.head === cap) this.head = 0;
      this.size--;
    }
    // Drop from the back every value the new one dominates.
    while (this.size > 0) {
      let back = this.head + this.size - 1;
      if (back >= cap) back -= cap;
      const v = this.vals[back]!;
      if (this.isMax ? v <= x : v >= x) this.size--;
      else break;
    }
    let at = this.head + this.size;
    if (at >= cap) at -= cap;
    this.vals[at] = x;
    this.seqs[at] = seq;
    this.size++;
  }

  /** True once `period` values have been pushed. */
  get full(): boolean {
    return this.seq >= this.period;
  }

  /** Extreme of the window (of the values so far while not full); NaN when empty. */
  get value(): number {
    return this.size === 0 ? Number.NaN : this.vals[this.head]!;
  }
}

/**
 * Exponential moving average seeded with the simple average of the first
 * `period` inputs, then `alpha·x + (1 − alpha)·prev` with alpha = 2/(period+1)
 * (TA-Lib and talipp; trading-signals seeds with the first input instead).
 */
export class Ema {
  readonly period: number;
  private readonly alpha: number;
  private n = 0;
  private seedSum = 0;
  value = Number.NaN;

  constructor(period: number) {
    this.period = period;
    this.alpha = 2 / (period + 1);
  }

  push(x: number): number {
    const n = ++this.n;
    if (n < this.period) {
      this.seedSum += x;
    } else if (n === this.period) {
      this.seedSum += x;
      this.value = this.seedSum / this.period;
    } else {
      this.value = this.alpha * x + (1 - this.alpha) * this.value;
    }
    return this.value;
  }
}

/**
 * Wilder's smoothing (RMA): the simple average of the first `period` inputs,
 * then `(prev·(period − 1) + x) / period` (talipp's form).
 */
export class Wilder {
  readonly period: number;
  private n = 0;
  private seedSum = 0;
  value = Number.NaN;

  constructor(period: number) {
    this.period = period;
  }

  push(x: number): number {
    const n = ++this.n;
    const p = this.period;
    if (n < p) {
      this.seedSum += x;
    } else if (n === p) {
      this.seedSum += x;
      this.value = this.seedSum / p;
    } else {
      this.value = (this.value * (p - 1) + x) / p;
    }
    return this.value;
  }
}

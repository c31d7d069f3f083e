/**
 * Sliding-window extreme (minimum or maximum) of (time, value) samples in
 * amortised O(1): values that can never be the extreme again are dropped on
 * push, and samples that left the window are dropped from the front.
 * Backed by a growable ring buffer of numbers, so steady state allocates nothing.
 */
export class MonotonicDeque {
  private times: Float64Array;
  private values: Float64Array;
  private head = 0;
  private count = 0;

  /** `kind: 'min'` keeps the window minimum at the front, `'max'` the maximum. */
  constructor(
    readonly kind: 'min' | 'max',
    initialCapacity = 16,
  ) {
    const capacity = Math.max(2, initialCapacity);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The window's extreme value; undefined when empty. */
  front(): number | undefined {
    return this.count === 0 ? undefined : this.values[this.head];
  }

  push(time: number, value: number): void {
    // Drop from the back every sample the new one dominates (ties: the newer one wins, it lives longer).
    const isMin = this.kind === 'min';
    while (this.count > 0) {
      const back = this.values[this.index(this.count - 1)]!;
      if (isMin ? back >= value : back <= value) this.count--;
      else break;
    }
    if (this.count === this.times.length) this.grow();
    const at = this.index(this.count);
    this.times[at] = time;
    this.values[at] = value;
    this.count++;
  }

  /** Drops samples with time < `oldestTime`. */
  evictBefore(oldestTime: number): void {
    while (this.count > 0 && this.times[this.head]! < oldestTime) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private index(offset: number): number {
    return (this.head + offset) % this.times.length;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      times[i] = this.times[this.index(i)]!;
      values[i] = this.values[this.index(i)]!;
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}

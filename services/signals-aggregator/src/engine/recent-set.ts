/**
 * A set of the most recent `capacity` strings: adding beyond it forgets the oldest. A ring
 * buffer decides what to forget (evicting through a Set's iterator is O(deleted entries) in V8
 * until the table is compacted).
 */
export class RecentSet {
  private readonly set = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(1, capacity));
  }

  has(key: string): boolean {
    return this.set.has(key);
  }

  /** Adds `key` (no-op when present). */
  add(key: string): void {
    if (this.set.has(key)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
    this.set.add(key);
  }

  get size(): number {
    return this.set.size;
  }
}

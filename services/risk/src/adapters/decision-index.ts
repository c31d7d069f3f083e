/**
 * Where the idempotency of Check looks first: the most recent decisions in memory (LRU by
 * recommendation_id), and a Bloom filter of every recommendation_id with a final decision in
 * risk_events (filled at startup, then with every decision). A miss in memory costs a MySQL
 * lookup only when the filter says the id may have been decided before; an id the filter has
 * never seen is new for sure (a Bloom filter has no false negatives), which is the common case
 * and keeps the hot path free of database round trips. ~1.2 MB per million ids at 1% false
 * positives; past its design capacity the false-positive rate (extra lookups) grows, answers stay right.
 */

/** A decision as Check returns it. */
export interface StoredDecision {
  decision: string;
  approved_qty: string;
  reasons: string[];
  trading_state: string;
  event_id: string;
  reduces_position: boolean;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.map.size;
  }
}

/** FNV-1a 32-bit with a seed. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly m: number;
  private readonly k: number;
  private count = 0;

  /** Sized for `capacity` items at false-positive rate `p`. */
  constructor(readonly capacity: number, p = 0.01) {
    const n = Math.max(1, capacity);
    this.m = Math.max(64, Math.ceil((-n * Math.log(p)) / (Math.LN2 * Math.LN2)));
    this.k = Math.max(1, Math.round((this.m / n) * Math.LN2));
    this.bits = new Uint32Array(Math.ceil(this.m / 32));
  }

  add(key: string): void {
    const h1 = fnv1a(key, 0);
    const h2 = fnv1a(key, 0x5bd1e995) | 1;
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const idx = bit % this.m;
      this.bits[idx >>> 5]! |= 1 << (idx & 31);
    }
    this.count++;
  }

  mightContain(key: string): boolean {
    const h1 = fnv1a(key, 0);
    const h2 = fnv1a(key, 0x5bd1e995) | 1;
    for (let i = 0; i < this.k; i++) {
      const idx = ((h1 + Math.imul(i, h2)) >>> 0) % this.m;
      if ((this.bits[idx >>> 5]! & (1 << (idx & 31))) === 0) return false;
    }
    return true;
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.bits.byteLength;
  }
}

export class DecisionIndex {
  readonly recent: LruMap<string, StoredDecision>;
  readonly seen: BloomFilter;

  constructor(cacheSize: number, bloomCapacity: number) {
    this.recent = new LruMap(cacheSize);
    this.seen = new BloomFilter(bloomCapacity);
  }

  get(recommendationId: string): StoredDecision | undefined {
    return this.recent.get(recommendationId);
  }

  /** May this id have a stored decision that is not in memory? */
  mayExist(recommendationId: string): boolean {
    return this.seen.mightContain(recommendationId);
  }

  /** Remembers a final decision (in memory and in the filter). */
  remember(recommendationId: string, d: StoredDecision): void {
    this.recent.set(recommendationId, d);
    this.seen.add(recommendationId);
  }

  /** Marks an id as decided without caching its decision (startup scan). */
  markSeen(recommendationId: string): void {
    this.seen.add(recommendationId);
  }
}

import { decCmp, decIsZero } from './decimal';
import type { Level } from './types';

export interface AppliedUpdate {
  /** First and last sequence number this update consumed (one per changed level, at least one). */
  firstSeq: number;
  lastSeq: number;
  bids: readonly Level[];
  asks: readonly Level[];
}

/**
 * An L2 book with venue-style sequence numbers. Every changed level consumes one sequence
 * number, so a client that tracks `lastSeq` sees a gap when one is skipped.
 */
export class OrderBook {
  private readonly bids = new Map<string, string>();
  private readonly asks = new Map<string, string>();
  private seq: number;
  /** Best levels, cached until the book changes (tickers and market lists ask for them per market). */
  private bestCache: { bid: Level | undefined; ask: Level | undefined } | undefined;

  constructor(startSeq: number) {
    if (!Number.isSafeInteger(startSeq) || startSeq < 0) throw new Error('startSeq must be a non-negative safe integer');
    this.seq = startSeq;
  }

  /** The last sequence number used (a snapshot taken now is consistent up to it). */
  get sequence(): number {
    return this.seq;
  }

  apply(bids: readonly Level[], asks: readonly Level[]): AppliedUpdate {
    const firstSeq = this.seq + 1;
    for (const [p, s] of bids) this.set(this.bids, p, s);
    for (const [p, s] of asks) this.set(this.asks, p, s);
    this.seq += Math.max(1, bids.length + asks.length);
    return { firstSeq, lastSeq: this.seq, bids, asks };
  }

  /**
   * Replaces the whole book (a captured snapshot) by publishing the difference as one update:
   * removed levels with size "0", then the new levels. Clients that apply deltas end up with
   * exactly the snapshot.
   */
  reset(bids: readonly Level[], asks: readonly Level[]): AppliedUpdate {
    return this.apply(diff(this.bids, bids), diff(this.asks, asks));
  }

  /** Burns `n` sequence numbers without publishing them: the fault a gap detector must catch. */
  skip(n: number): void {
    this.seq += n;
  }

  /** Best `depth` levels per side, best first. */
  snapshot(depth = Number.MAX_SAFE_INTEGER): { sequence: number; bids: Level[]; asks: Level[] } {
    return { sequence: this.seq, bids: sorted(this.bids, -1).slice(0, depth), asks: sorted(this.asks, 1).slice(0, depth) };
  }

  best(): { bid: Level | undefined; ask: Level | undefined } {
    this.bestCache ??= { bid: extreme(this.bids, 1), ask: extreme(this.asks, -1) };
    return this.bestCache;
  }

  private set(side: Map<string, string>, price: string, size: string): void {
    this.bestCache = undefined;
    if (decIsZero(size)) side.delete(price);
    else side.set(price, size);
  }
}

function sorted(side: Map<string, string>, dir: 1 | -1): Level[] {
  return [...side.entries()].sort((a, b) => dir * decCmp(a[0], b[0])).map(([p, s]) => [p, s] as const);
}

/** The highest (dir 1) or lowest (dir -1) price level, in one pass. */
function extreme(side: Map<string, string>, dir: 1 | -1): Level | undefined {
  let best: Level | undefined;
  for (const [p, s] of side) if (best === undefined || dir * decCmp(p, best[0]) > 0) best = [p, s];
  return best;
}

function diff(side: Map<string, string>, next: readonly Level[]): Level[] {
  const keep = new Set(next.map(([p]) => p));
  const out: Level[] = [];
  for (const p of side.keys()) if (!keep.has(p)) out.push([p, '0']);
  for (const [p, s] of next) if (side.get(p) !== s) out.push([p, s]);
  return out;
}

/**
 * TrackRecord: each source's realised hit rate. A BUY or SELL signal is remembered until the
 * first price at or after its due time (`dueAt`) arrives for its symbol; then it is a hit when
 * the price moved its way (BUY: rose, SELL: fell; unchanged is a miss) and a miss otherwise.
 * HOLD signals are not scored.
 *
 * The hit rate is Bayesian-smoothed with a Beta prior of mean `priorMean` worth
 * `priorStrength` observations:
 *
 *     hitRate = (hits + priorMean·priorStrength) / (scored + priorStrength)
 *
 * so a new source starts at the prior (0.5: neutral) and moves away from it only as evidence
 * accumulates. The weight multiplier is `2·hitRate` clipped to [0, 2]: a coin-flip source keeps
 * its base weight, a 75 % source gets 1.5×, a 25 % source 0.5×, an always-wrong one 0.
 *
 * Pure and deterministic: time is the data time of the prices it is given.
 */
import { compareDecimal } from './decimal';
import { MinHeap } from './min-heap';

export interface TrackRecordOptions {
  /** Prior mean hit rate, 0..1. Default 0.5. */
  priorMean: number;
  /** Weight of the prior, in observations. Default 10. */
  priorStrength: number;
  /** Unscored signals remembered per symbol; further ones are not scored. Default 10,000. */
  maxPendingPerSymbol: number;
}

export const TRACK_RECORD_DEFAULTS: TrackRecordOptions = { priorMean: 0.5, priorStrength: 10, maxPendingPerSymbol: 10_000 };

export interface SourceRecord {
  agentId: string;
  sourceType: string;
  hits: number;
  scored: number;
  /** Data time (epoch ms) of the price that scored its last signal. */
  lastScoredAt: number | null;
}

export interface SourceView extends SourceRecord {
  hitRate: number;
  multiplier: number;
  /** BUY/SELL signals waiting for their due price. */
  pending: number;
}

export interface PendingSignal {
  id: string;
  agentId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  /** Price the signal was made at (decimal string). */
  price: string;
  /** Data time from which a price scores it. */
  dueAt: number;
}

export interface ScoredSignal extends PendingSignal {
  exitPrice: string;
  /** Data time of the scoring price. */
  scoredAt: number;
  hit: boolean;
}

export class TrackRecord {
  readonly options: TrackRecordOptions;
  private readonly alpha: number;
  private readonly sources = new Map<string, SourceRecord>();
  private readonly pending = new Map<string, MinHeap<PendingSignal>>();
  private readonly pendingIds = new Set<string>();
  private readonly pendingByAgent = new Map<string, number>();

  constructor(opts: Partial<TrackRecordOptions> = {}) {
    this.options = { ...TRACK_RECORD_DEFAULTS, ...opts };
    const { priorMean, priorStrength, maxPendingPerSymbol } = this.options;
    if (!(priorMean >= 0 && priorMean <= 1)) throw new RangeError(`priorMean must be in [0, 1], got ${priorMean}`);
    if (!(priorStrength > 0) || !Number.isFinite(priorStrength)) throw new RangeError(`priorStrength must be > 0, got ${priorStrength}`);
    if (!(maxPendingPerSymbol >= 0)) throw new RangeError(`maxPendingPerSymbol must be >= 0, got ${maxPendingPerSymbol}`);
    this.alpha = priorMean * priorStrength;
  }

  /** Registers a source (no-op when known); true when it is new. The latest source type wins. */
  observe(agentId: string, sourceType: string): boolean {
    const rec = this.sources.get(agentId);
    if (rec) {
      rec.sourceType = sourceType;
      return false;
    }
    this.sources.set(agentId, { agentId, sourceType, hits: 0, scored: 0, lastScoredAt: null });
    return true;
  }

  /** Restores persisted counts (at start-up). */
  load(rec: SourceRecord): void {
    this.sources.set(rec.agentId, { ...rec });
  }

  has(agentId: string): boolean {
    return this.sources.has(agentId);
  }

  record(agentId: string): SourceRecord | undefined {
    const r = this.sources.get(agentId);
    return r ? { ...r } : undefined;
  }

  hitRate(agentId: string): number {
    const r = this.sources.get(agentId);
    const hits = r?.hits ?? 0;
    const scored = r?.scored ?? 0;
    return (hits + this.alpha) / (scored + this.options.priorStrength);
  }

  multiplier(agentId: string): number {
    const m = 2 * this.hitRate(agentId);
    return m < 0 ? 0 : m > 2 ? 2 : m;
  }

  /**
   * Remembers a BUY/SELL signal until its due price. Returns false (not tracked) for a signal
   * id already pending, or when the symbol already has `maxPendingPerSymbol` pending signals.
   */
  track(p: PendingSignal): boolean {
    if (this.pendingIds.has(p.id)) return false;
    let heap = this.pending.get(p.symbol);
    if (!heap) {
      heap = new MinHeap<PendingSignal>((x) => x.dueAt);
      this.pending.set(p.symbol, heap);
    }
    if (heap.size >= this.options.maxPendingPerSymbol) return false;
    heap.push({ id: p.id, agentId: p.agentId, symbol: p.symbol, side: p.side, price: p.price, dueAt: p.dueAt });
    this.pendingIds.add(p.id);
    this.pendingByAgent.set(p.agentId, (this.pendingByAgent.get(p.agentId) ?? 0) + 1);
    return true;
  }

  isPending(id: string): boolean {
    return this.pendingIds.has(id);
  }

  pendingCount(agentId?: string): number {
    return agentId === undefined ? this.pendingIds.size : (this.pendingByAgent.get(agentId) ?? 0);
  }

  /** Scores every pending signal of `symbol` due at or before `ts`, against `price`. */
  onPrice(symbol: string, price: string, ts: number): ScoredSignal[] {
    const heap = this.pending.get(symbol);
    if (!heap || heap.size === 0 || heap.peek()!.dueAt > ts) return [];
    const out: ScoredSignal[] = [];
    while (heap.size > 0 && heap.peek()!.dueAt <= ts) {
      const p = heap.pop()!;
      this.pendingIds.delete(p.id);
      const left = (this.pendingByAgent.get(p.agentId) ?? 1) - 1;
      if (left > 0) this.pendingByAgent.set(p.agentId, left);
      else this.pendingByAgent.delete(p.agentId);
      const move = compareDecimal(price, p.price);
      const hit = p.side === 'BUY' ? move > 0 : move < 0;
      let rec = this.sources.get(p.agentId);
      if (!rec) {
        rec = { agentId: p.agentId, sourceType: 'unknown', hits: 0, scored: 0, lastScoredAt: null };
        this.sources.set(p.agentId, rec);
      }
      rec.scored++;
      if (hit) rec.hits++;
      if (rec.lastScoredAt === null || ts > rec.lastScoredAt) rec.lastScoredAt = ts;
      out.push({ id: p.id, agentId: p.agentId, symbol: p.symbol, side: p.side, price: p.price, dueAt: p.dueAt, exitPrice: price, scoredAt: ts, hit });
    }
    if (heap.size === 0) this.pending.delete(symbol);
    return out;
  }

  /** Every known source, sorted by agent id. */
  list(): SourceView[] {
    return [...this.sources.values()]
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
      .map((r) => ({ ...r, hitRate: this.hitRate(r.agentId), multiplier: this.multiplier(r.agentId), pending: this.pendingCount(r.agentId) }));
  }
}

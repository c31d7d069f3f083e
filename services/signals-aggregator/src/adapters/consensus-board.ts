import { EventEmitter } from 'node:events';
import type { ConsensusRecord } from './records';

/**
 * The latest consensus per symbol, in memory, plus an event per new one for in-process
 * streams (gRPC StreamConsensus). Restored from MySQL at start.
 */
export class ConsensusBoard {
  private readonly latest = new Map<string, ConsensusRecord>();
  private readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  restore(records: readonly ConsensusRecord[]): void {
    for (const r of records) this.latest.set(r.symbol, r);
  }

  post(record: ConsensusRecord): void {
    this.latest.set(record.symbol, record);
    this.events.emit('consensus', record);
  }

  get(symbol: string): ConsensusRecord | undefined {
    return this.latest.get(symbol);
  }

  all(): ConsensusRecord[] {
    return [...this.latest.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  /** Calls `fn` for every new consensus; returns the unsubscribe function. */
  onConsensus(fn: (r: ConsensusRecord) => void): () => void {
    this.events.on('consensus', fn);
    return () => this.events.off('consensus', fn);
  }
}

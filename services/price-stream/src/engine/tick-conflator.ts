import type { Tick } from '@cte/shared/core';

export interface TickConflatorStats {
  /** Ticks offered. */
  received: number;
  /** Ticks replaced by a newer one of the same (exchange, symbol) before a drain. */
  conflated: number;
  /** Ticks older than the pending or last drained tick of their (exchange, symbol): dropped. */
  stale: number;
}

/**
 * Keeps only the latest tick per (exchange, symbol) between drains, so a
 * publisher flushing every N ms sends at most one tick per symbol per flush.
 * "Latest" is by tick time; an equal time replaces (arrival order).
 */
export class TickConflator {
  private readonly pending = new Map<string, Map<string, Tick>>();
  /** Newest tick time published (drained) per exchange and symbol, to refuse going back in time. */
  private readonly lastDrainedTs = new Map<string, Map<string, number>>();
  private pendingCount = 0;
  private readonly counters: TickConflatorStats = { received: 0, conflated: 0, stale: 0 };

  add(tick: Tick): void {
    this.counters.received++;
    let bySymbol = this.pending.get(tick.exchange);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.pending.set(tick.exchange, bySymbol);
    }
    const existing = bySymbol.get(tick.symbol);
    if (existing !== undefined) {
      if (tick.ts < existing.ts) {
        this.counters.stale++;
        return;
      }
      this.counters.conflated++;
      bySymbol.set(tick.symbol, tick);
      return;
    }
    const drained = this.lastDrainedTs.get(tick.exchange)?.get(tick.symbol);
    if (drained !== undefined && tick.ts < drained) {
      this.counters.stale++;
      return;
    }
    bySymbol.set(tick.symbol, tick);
    this.pendingCount++;
  }

  /** Returns the latest tick of every (exchange, symbol) that changed since the last drain, and clears them. */
  drain(): Tick[] {
    if (this.pendingCount === 0) return [];
    const out: Tick[] = [];
    for (const [exchange, bySymbol] of this.pending) {
      let drained = this.lastDrainedTs.get(exchange);
      if (drained === undefined) {
        drained = new Map();
        this.lastDrainedTs.set(exchange, drained);
      }
      for (const [symbol, tick] of bySymbol) {
        out.push(tick);
        drained.set(symbol, tick.ts);
      }
      bySymbol.clear();
    }
    this.pendingCount = 0;
    return out;
  }

  /** Number of (exchange, symbol) pairs waiting to be drained. */
  get size(): number {
    return this.pendingCount;
  }

  stats(): TickConflatorStats {
    return { ...this.counters };
  }
}

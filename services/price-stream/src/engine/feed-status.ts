import type { FeedStatusMessage } from '@cte/shared/core';
import type { FeedHealth } from './live-feed';

/**
 * Which feed statuses to publish, and when (pure: the caller's timer passes `nowMs`). Each feed
 * is judged by FeedHealth.isStale; a feed whose verdict changed since the last look is published
 * at once (a transition), and every feed is published again each `intervalMs`, so a subscriber
 * that starts later learns the state. Every feed starts live (FeedHealth counts its age from the
 * start), so the first look publishes all of them and reports as transitions only feeds already
 * stale.
 */
export interface FeedTransition {
  exchange: string;
  symbol: string;
  to: 'stale' | 'live';
  ageMs: number;
}

export interface FeedStatusRound {
  /** Statuses to publish now, in feed order. */
  statuses: FeedStatusMessage[];
  transitions: FeedTransition[];
}

export class FeedStatusTracker {
  private readonly stale = new Map<FeedHealth, boolean>();
  private nextFullMs: number | undefined;

  constructor(
    private readonly thresholdMs: number,
    private readonly intervalMs: number,
  ) {
    if (!(thresholdMs > 0) || !(intervalMs > 0)) throw new RangeError('thresholdMs and intervalMs must be > 0');
  }

  round(feeds: readonly FeedHealth[], nowMs: number): FeedStatusRound {
    const full = this.nextFullMs === undefined || nowMs >= this.nextFullMs;
    if (full) this.nextFullMs = nowMs + this.intervalMs;
    const statuses: FeedStatusMessage[] = [];
    const transitions: FeedTransition[] = [];
    for (const f of feeds) {
      const stale = f.isStale(nowMs, this.thresholdMs);
      const was = this.stale.get(f) ?? false;
      this.stale.set(f, stale);
      const ageMs = Math.max(0, f.ageMs(nowMs));
      if (stale !== was) transitions.push({ exchange: f.exchange, symbol: f.symbol, to: stale ? 'stale' : 'live', ageMs });
      if (full || stale !== was) statuses.push(this.status(f, stale, ageMs, nowMs));
    }
    return { statuses, transitions };
  }

  /** Feeds stale at the last round. */
  staleCount(): number {
    let n = 0;
    for (const s of this.stale.values()) if (s) n++;
    return n;
  }

  private status(f: FeedHealth, stale: boolean, ageMs: number, nowMs: number): FeedStatusMessage {
    return {
      exchange: f.exchange,
      symbol: f.symbol,
      stale,
      last_message_ms: f.lastMessageMs ?? null,
      age_ms: Math.round(ageMs),
      threshold_ms: this.thresholdMs,
      interval_ms: this.intervalMs,
      ts: nowMs,
    };
  }
}

/** How often the staleness is looked at: a tenth of the threshold, between 50 ms and 1 s (a stall is seen within threshold + this). */
export function feedCheckPeriodMs(thresholdMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(thresholdMs / 10)));
}

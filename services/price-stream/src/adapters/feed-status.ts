import { Counter, type Registry } from 'prom-client';
import { FEED_CHANNELS, FEED_STATUS_TYPE, type Bus, type FeedStatusMessage, type Logger } from '@cte/shared';
import { feedCheckPeriodMs, FeedStatusTracker } from '../engine/feed-status';
import type { FeedHealth } from '../engine/live-feed';

export interface FeedStatusPublisherOptions {
  /** The live source's feeds and its clock (wall ms). */
  source: { health(): readonly FeedHealth[]; now(): number };
  bus: Bus;
  logger: Logger;
  /** From createFeedStatusMetrics. */
  transitions: Counter<'exchange' | 'symbol' | 'to'>;
  staleMs: number;
  /** Every feed's status is re-sent this often (FEED_STATUS_INTERVAL_MS). */
  intervalMs: number;
  /** How often staleness is looked at; default feedCheckPeriodMs(staleMs). */
  checkMs?: number;
  channel?: string;
}

/**
 * cte_feed_stale_transitions_total{exchange,symbol,to}, zero for each of `feeds`. Replay has no
 * feeds and registers it (like the other cte_feed_* families) without series, so dashboards and
 * alert rules name the same families in either mode.
 */
export function createFeedStatusMetrics(registry: Registry, feeds: readonly FeedHealth[]): Counter<'exchange' | 'symbol' | 'to'> {
  const transitions = new Counter<'exchange' | 'symbol' | 'to'>({
    name: 'cte_feed_stale_transitions_total',
    help: 'Live feed transitions between live and stale (`to`), each published on data.feeds.',
    labelNames: ['exchange', 'symbol', 'to'],
    registers: [registry],
  });
  for (const f of feeds) for (const to of ['stale', 'live']) transitions.inc({ exchange: f.exchange, symbol: f.symbol, to }, 0);
  return transitions;
}

/**
 * Publishes the live feeds' health on `data.feeds` (see FeedStatusTracker for when) from a wall
 * clock timer, counts transitions in cte_feed_stale_transitions_total{exchange,symbol,to} and
 * logs them. A failed publish is logged; the next round repeats the state anyway.
 */
export class FeedStatusPublisher {
  private readonly tracker: FeedStatusTracker;
  private readonly transitions: Counter<'exchange' | 'symbol' | 'to'>;
  private readonly channel: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: FeedStatusPublisherOptions) {
    this.tracker = new FeedStatusTracker(o.staleMs, o.intervalMs);
    this.channel = o.channel ?? FEED_CHANNELS.status;
    this.transitions = o.transitions;
  }

  start(): void {
    if (this.timer) return;
    this.round();
    this.timer = setInterval(() => this.round(), this.o.checkMs ?? feedCheckPeriodMs(this.o.staleMs));
  }

  /** Stops the timer and waits for publishes in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One look at every feed (the timer's job; public for tests). */
  round(): void {
    const { statuses, transitions } = this.tracker.round(this.o.source.health(), this.o.source.now());
    for (const t of transitions) {
      this.transitions.inc({ exchange: t.exchange, symbol: t.symbol, to: t.to });
      const fields = { exchange: t.exchange, symbol: t.symbol, age_ms: t.ageMs, threshold_ms: this.o.staleMs };
      if (t.to === 'stale') this.o.logger.warn(fields, 'live feed stale');
      else this.o.logger.info(fields, 'live feed live again');
    }
    for (const s of statuses) this.publish(s);
  }

  private publish(status: FeedStatusMessage): void {
    const p = this.o.bus
      .publish(this.channel, { type: FEED_STATUS_TYPE, data: status })
      .catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message, exchange: status.exchange, symbol: status.symbol }, 'feed status publish failed'))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}

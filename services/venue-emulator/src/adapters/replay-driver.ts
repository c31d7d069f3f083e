/**
 * Drives each venue's replay from the wall clock (speed > 0) or only on request (speed 0,
 * manual: tests and the admin API step it). Every event is applied to the venue state, then
 * published to that venue's WebSocket sessions.
 */
import { ReplayClock, Replayer } from '../engine/replay';
import type { VenueState } from '../engine/market-state';
import type { FeedEvent, VenueId } from '../engine/types';
import type { EmulatorMetrics } from './metrics';
import type { VenueServer } from './venue-server';

const TICK_MS = 20;

export interface ReplayVenue {
  venue: VenueId;
  state: VenueState;
  server: VenueServer;
  replayer: Replayer;
}

export class ReplayDriver {
  private timer: NodeJS.Timeout | undefined;
  private clock: ReplayClock | undefined;

  constructor(
    private readonly venues: readonly ReplayVenue[],
    private readonly speed: number,
    private readonly metrics: EmulatorMetrics,
    private readonly now: () => number,
    /** The rebased time of the first event (the replay start). */
    private readonly start: number,
  ) {}

  get manual(): boolean {
    return this.speed === 0;
  }

  begin(): void {
    if (this.manual || this.timer) return;
    this.clock = new ReplayClock(this.now(), this.start, this.speed);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.clock) return;
    const t = this.clock.captureTimeAt(this.now());
    for (const v of this.venues) this.apply(v, v.replayer.advanceTo(t));
  }

  /** Replays the next `events` events of one venue (or each venue) now, whatever the clock says. */
  step(venue: VenueId | undefined, events: number): number {
    let n = 0;
    for (const v of this.venues) {
      if (venue !== undefined && v.venue !== venue) continue;
      const evs = v.replayer.step(events);
      this.apply(v, evs);
      n += evs.length;
    }
    return n;
  }

  /** Replays every event of one venue (or each venue) up to rebased time `t`. */
  advanceTo(venue: VenueId | undefined, t: number): number {
    let n = 0;
    for (const v of this.venues) {
      if (venue !== undefined && v.venue !== venue) continue;
      const evs = v.replayer.advanceTo(t, Number.MAX_SAFE_INTEGER);
      this.apply(v, evs);
      n += evs.length;
    }
    return n;
  }

  private apply(v: ReplayVenue, events: readonly FeedEvent[]): void {
    for (const e of events) {
      const u = v.state.apply(e);
      if (u) v.server.publish(u);
    }
    if (events.length > 0) this.metrics.replayed.inc({ venue: v.venue }, events.length);
  }
}

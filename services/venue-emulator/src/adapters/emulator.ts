/**
 * The emulator without the kit around it: per-venue state, servers and replay, plus the fault
 * operations the admin API exposes. main.ts wires it into the service kit; tests start it directly.
 */
import type { Logger } from '@cte/shared';
import type { VenueEmulatorConfig } from '../config';
import { CODECS } from '../engine/encoders';
import { FaultBook, type MalformedKind, type RestFault } from '../engine/faults';
import { VenueState } from '../engine/market-state';
import { rebaseAndMerge, Replayer } from '../engine/replay';
import type { MarketDef, VenueId } from '../engine/types';
import { loadVenueCaptures, type CaptureSource } from './captures';
import type { EmulatorMetrics } from './metrics';
import { ReplayDriver, type ReplayVenue } from './replay-driver';
import { VenueServer } from './venue-server';

/** The configuration's replay settings, the venues and their ports, and what the kit provides. */
export interface EmulatorOptions extends Pick<VenueEmulatorConfig, 'host' | 'speed' | 'loop' | 'dataDir' | 'heartbeatMs' | 'restDelayMs'> {
  venues: readonly VenueId[];
  ports: Readonly<Record<VenueId, number>>;
  metrics: EmulatorMetrics;
  logger: Logger;
  now?: () => number;
  /** Where capture events come from (default: read the files; tests reuse one parse). */
  captures?: (venue: VenueId) => CaptureSource[];
}

export interface VenueInfo {
  venue: VenueId;
  port: number;
  markets: string[];
  connections: number;
  replayed: number;
  next_event_ts: number | null;
  pending_rest_faults: number;
}

export class Emulator {
  readonly faults = new FaultBook();
  private readonly venues: ReplayVenue[] = [];
  private driver!: ReplayDriver;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Rebased time of the first replayed event. */
  start = 0;

  constructor(private readonly o: EmulatorOptions) {
    this.now = o.now ?? Date.now;
  }

  async startAll(): Promise<void> {
    this.start = this.now();
    for (const venue of this.o.venues) {
      const sources = this.o.captures ? this.o.captures(venue) : loadVenueCaptures(this.o.dataDir, venue);
      const markets = new Map<string, MarketDef>();
      for (const s of sources) for (const m of s.markets) markets.set(m.symbol, m);
      const state = new VenueState(venue, [...markets.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)));
      const server = new VenueServer({ codec: CODECS[venue], state, faults: this.faults, metrics: this.o.metrics, logger: this.o.logger, now: this.now, restDelayMs: this.o.restDelayMs });
      const replayer = new Replayer(rebaseAndMerge(sources.map((s) => s.events), this.start), 0, this.o.loop);
      this.venues.push({ venue, state, server, replayer });
      const skipped = sources.reduce((n, s) => n + s.skippedLines, 0);
      if (skipped > 0) this.o.logger.warn({ venue, skipped }, 'capture lines skipped');
    }
    for (const v of this.venues) await v.server.listen(this.o.ports[v.venue], this.o.host);
    this.driver = new ReplayDriver(this.venues, this.o.speed, this.o.metrics, this.now, this.start);
    this.driver.begin();
    this.heartbeat = setInterval(() => {
      for (const v of this.venues) v.server.heartbeat();
    }, this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  get manual(): boolean {
    return this.driver.manual;
  }

  venue(venue: VenueId): ReplayVenue | undefined {
    return this.venues.find((v) => v.venue === venue);
  }

  port(venue: VenueId): number {
    return this.venue(venue)?.server.port ?? 0;
  }

  info(): VenueInfo[] {
    return this.venues.map((v) => {
      const pos = this.driver.position(v.venue);
      return {
        venue: v.venue,
        port: v.server.port,
        markets: [...v.state.markets.keys()],
        connections: v.server.connections,
        replayed: pos.replayed,
        next_event_ts: pos.nextTs ?? null,
        pending_rest_faults: this.faults.pendingRest(v.venue),
      };
    });
  }

  step(venue: VenueId | undefined, events: number): number {
    return this.driver.step(venue, events);
  }

  /** Replays everything up to `ms` after the replay start. */
  advanceBy(venue: VenueId | undefined, ms: number): number {
    return this.driver.advanceTo(venue, this.start + ms);
  }

  armRest(venue: VenueId, fault: RestFault, count: number, pathPrefix = ''): void {
    this.faults.armRest(venue, fault, count, pathPrefix);
  }

  drop(venue: VenueId, mode: 'close' | 'reset'): number {
    return this.venue(venue)?.server.drop(mode) ?? 0;
  }

  stall(venue: VenueId, durationMs: number): number {
    this.faults.stall(venue, this.now() + durationMs);
    this.o.metrics.fault(venue, 'ws_stall');
    return this.venue(venue)?.server.connections ?? 0;
  }

  malformed(venue: VenueId, kind: MalformedKind, count: number): number {
    return this.venue(venue)?.server.malformed(kind, count) ?? 0;
  }

  skipSequence(venue: VenueId, symbol: string | undefined, n: number): number {
    return this.venue(venue)?.server.skipSequence(symbol, n) ?? 0;
  }

  async close(graceMs = 1000): Promise<void> {
    this.driver?.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all(this.venues.map((v) => v.server.close(graceMs)));
  }
}

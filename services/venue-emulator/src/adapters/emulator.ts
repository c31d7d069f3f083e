/**
 * The emulator without the kit around it: per-venue state, servers and replay, plus the fault
 * operations the admin API exposes. main.ts wires it into the service kit; tests start it directly.
 */
import type { Logger } from '@cte/shared';
import type { VenueEmulatorConfig } from '../config';
import { CODECS } from '../engine/encoders';
import { FaultBook, type MalformedKind, type RestFault } from '../engine/faults';
import { PrintSeries } from '../engine/bar-events';
import { VenueState } from '../engine/market-state';
import { arraySeries, rebaseOffset, Replayer, shiftSeries, type EventSeries, type RebaseMode } from '../engine/replay';
import { relabelSeries, scaledSeries, syntheticFactor, syntheticMarket } from '../engine/synthetic';
import type { FeedEvent, MarketDef, VenueId } from '../engine/types';
import { loadBarMarkets, type BarMarket, type BarsItem, type BarWindow } from './bars';
import { loadVenueCaptures, type CaptureSource } from './captures';
import type { EmulatorMetrics } from './metrics';
import { BinanceUsPrivate } from './private/binanceus';
import { CoinbasePrivate } from './private/coinbase';
import { KucoinPrivate } from './private/kucoin';
import type { AccountConfig } from './private/accounts';
import type { PrivateVenue } from './private/types';
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
  /** Trading accounts created at start (VENUE_EMULATOR_ACCOUNTS). */
  accounts?: readonly AccountConfig[];
  /** Serve the captured markets (default true); false still reads them when synthetic markets need a source. */
  useCaptures?: boolean;
  /** Bundled bar files to serve as markets (VENUE_EMULATOR_BARS), and the window of them. */
  bars?: readonly BarsItem[];
  barsWindow?: BarWindow;
  /** `start` (default): each source's first event at the start; `end`: its last event at the start, all in the past. */
  rebase?: RebaseMode;
  /** Extra markets per venue derived from capture markets (VENUE_EMULATOR_SYNTHETIC_MARKETS). */
  syntheticMarkets?: number;
}

/** Where one venue's replay stands; `done` is what a script waits for with VENUE_EMULATOR_LOOP=false. */
export interface ReplayStatus {
  /** True once every event has been replayed (never with VENUE_EMULATOR_LOOP=true). */
  done: boolean;
  loop: boolean;
  /** Completed laps (looping replays). */
  lap: number;
  /** Events replayed so far, all laps. */
  replayed: number;
  /** Events in one lap. */
  events: number;
  /** Rebased time of the first and last event of the first lap, ms. */
  first_event_ts: number | null;
  last_event_ts: number | null;
  next_event_ts: number | null;
}

export interface VenueInfo {
  venue: VenueId;
  port: number;
  markets: string[];
  connections: number;
  replayed: number;
  next_event_ts: number | null;
  pending_rest_faults: number;
  replay: ReplayStatus;
  /** Markets from VENUE_EMULATOR_BARS and VENUE_EMULATOR_SYNTHETIC_MARKETS (also in `markets`). */
  bar_markets: string[];
  synthetic_markets: number;
}

interface VenueSources {
  defs: MarketDef[];
  series: EventSeries[];
  history: Map<string, number>;
  barMarkets: string[];
  synthetic: number;
}

/** Bar markets keep their whole window of trades for REST history and candles, up to this many. */
const MAX_BAR_HISTORY = 1_000_000;
/** Synthetic markets keep fewer trades: thousands of them must not grow to TRADE_HISTORY each. */
const SYNTHETIC_HISTORY = 1_000;

export class Emulator {
  readonly faults = new FaultBook();
  /** Private sides (orders, user-data streams) of the enabled venues: what the admin API serves. */
  readonly privateSides = new Map<VenueId, PrivateVenue>();
  /** The same sides with their venue-specific parts (tests reach into them). */
  binanceusPrivate: BinanceUsPrivate | undefined;
  coinbasePrivate: CoinbasePrivate | undefined;
  kucoinPrivate: KucoinPrivate | undefined;
  private readonly venues: ReplayVenue[] = [];
  private driver!: ReplayDriver;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly extras = new Map<VenueId, { barMarkets: string[]; synthetic: number }>();
  /** Rebased time of the first replayed event (with VENUE_EMULATOR_REBASE=end, in the past). */
  start = 0;

  constructor(private readonly o: EmulatorOptions) {
    this.now = o.now ?? Date.now;
  }

  async startAll(): Promise<void> {
    const at = this.now();
    const bars = this.o.bars && this.o.bars.length > 0 ? loadBarMarkets(this.o.bars, this.o.barsWindow) : [];
    const built = this.o.venues.map((venue) => ({ venue, ...this.sources(venue, at, bars.filter((b) => b.venue === venue)) }));
    const replayers = built.map((b) => new Replayer(b.series, 0, this.o.loop));
    const firsts = replayers.map((r) => r.firstTs).filter((t): t is number => t !== undefined);
    this.start = firsts.length > 0 ? Math.min(...firsts) : at;
    built.forEach((b, i) => {
      const state = new VenueState(b.venue, b.defs.sort((x, y) => x.symbol.localeCompare(y.symbol)), 1_000_000, b.history);
      const common = { state, codec: CODECS[b.venue], faults: this.faults, metrics: this.o.metrics, logger: this.o.logger, now: this.now };
      let privateSide: PrivateVenue;
      let cb: CoinbasePrivate | undefined;
      if (b.venue === 'binanceus') privateSide = this.binanceusPrivate = new BinanceUsPrivate(common);
      else if (b.venue === 'coinbase') privateSide = this.coinbasePrivate = cb = new CoinbasePrivate(common);
      else privateSide = this.kucoinPrivate = new KucoinPrivate(common);
      this.privateSides.set(b.venue, privateSide);
      for (const acc of this.o.accounts ?? []) if (acc.venue === b.venue) privateSide.createAccount(acc);
      const server = new VenueServer({ ...common, restDelayMs: this.o.restDelayMs, privateSide, privateWs: cb });
      this.venues.push({ venue: b.venue, state, server, replayer: replayers[i] as Replayer });
      this.extras.set(b.venue, { barMarkets: b.barMarkets, synthetic: b.synthetic });
    });
    for (const v of this.venues) await v.server.listen(this.o.ports[v.venue], this.o.host);
    this.driver = new ReplayDriver(this.venues, this.o.speed, this.o.metrics, this.now, this.start);
    this.driver.begin();
    this.heartbeat = setInterval(() => {
      for (const v of this.venues) v.server.heartbeat();
    }, this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  /** One venue's markets and event series, each source rebased on its own to `at`. */
  private sources(venue: VenueId, at: number, bars: readonly BarMarket[]): VenueSources {
    const mode = this.o.rebase ?? 'start';
    const useCaptures = this.o.useCaptures ?? true;
    const synthetic = this.o.syntheticMarkets ?? 0;
    const out: VenueSources = { defs: [], series: [], history: new Map(), barMarkets: [], synthetic };
    const barSymbols = new Set(bars.map((b) => b.def.symbol));
    const groups = useCaptures || synthetic > 0 ? (this.o.captures ? this.o.captures(venue) : loadVenueCaptures(this.o.dataDir, venue)) : [];
    // Capture groups: a bar market of the same name replaces the captured one.
    const rebased: { group: CaptureSource; events: FeedEvent[]; offset: number }[] = [];
    for (const g of groups) {
      const events = barSymbols.size === 0 ? g.events : g.events.filter((e) => !barSymbols.has(e.symbol));
      const first = events[0]?.ts;
      const last = events[events.length - 1]?.ts;
      if (first === undefined || last === undefined) continue;
      rebased.push({ group: g, events, offset: rebaseOffset(first, last, at, mode) });
      const skipped = g.skippedLines;
      if (skipped > 0 && useCaptures) this.o.logger.warn({ venue, file: g.file, skipped }, 'capture lines skipped');
    }
    if (useCaptures) {
      const defs = new Map<string, MarketDef>();
      for (const r of rebased) {
        for (const m of r.group.markets) if (!barSymbols.has(m.symbol)) defs.set(m.symbol, m);
        out.series.push(arraySeries(r.events, r.offset));
      }
      out.defs.push(...defs.values());
    }
    for (const b of bars) {
      const s = new PrintSeries(b.def.symbol, b.prints, b.alignMs);
      const first = b.prints[0]?.ts ?? 0;
      const last = b.prints[b.prints.length - 1]?.ts ?? 0;
      out.series.push(shiftSeries(s, rebaseOffset(first, last, at, mode, b.alignMs)));
      out.defs.push(b.def);
      out.history.set(b.def.symbol, Math.min(MAX_BAR_HISTORY, Math.max(b.prints.length, 1)));
      out.barMarkets.push(b.def.symbol);
    }
    if (synthetic > 0) {
      // Sources: captured markets with both trades and book updates, busiest first, used in turn.
      const candidates: { events: FeedEvent[]; offset: number; trades: number }[] = [];
      for (const r of rebased) {
        for (const m of r.group.markets) {
          const events = r.events.filter((e) => e.symbol === m.symbol);
          const trades = events.filter((e) => e.kind === 'trade').length;
          if (trades > 0 && trades < events.length) candidates.push({ events, offset: r.offset, trades });
        }
      }
      candidates.sort((a, b) => b.trades - a.trades);
      if (candidates.length === 0) throw new Error(`${venue}: no captured market with trades and book updates to derive synthetic markets from`);
      const taken = new Set(out.defs.map((d) => d.symbol));
      const sourceSeries = candidates.map((c) => arraySeries(c.events, c.offset));
      // One scaled series per (source, factor), shared by every market that uses that pair.
      const scaled = new Map<string, EventSeries>();
      for (let n = 1; n <= synthetic; n++) {
        const def = syntheticMarket(venue, n);
        if (taken.has(def.symbol)) throw new Error(`${venue}: synthetic market ${def.symbol} collides with a served market`);
        const src = (n - 1) % sourceSeries.length;
        const factor = syntheticFactor(n);
        const key = `${src}x${factor}`;
        let s = scaled.get(key);
        if (!s) {
          s = scaledSeries(sourceSeries[src] as EventSeries, factor);
          scaled.set(key, s);
        }
        out.series.push(relabelSeries(s, def));
        out.defs.push(def);
        out.history.set(def.symbol, SYNTHETIC_HISTORY);
      }
    }
    return out;
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
      const r = v.replayer;
      const extra = this.extras.get(v.venue);
      return {
        venue: v.venue,
        port: v.server.port,
        markets: [...v.state.markets.keys()],
        connections: v.server.connections,
        replayed: r.replayed,
        next_event_ts: r.nextTs() ?? null,
        pending_rest_faults: this.faults.pendingRest(v.venue),
        replay: {
          done: r.exhausted,
          loop: this.o.loop,
          lap: r.lap,
          replayed: r.replayed,
          events: r.total,
          first_event_ts: r.firstTs ?? null,
          last_event_ts: r.lastTs ?? null,
          next_event_ts: r.nextTs() ?? null,
        },
        bar_markets: extra?.barMarkets ?? [],
        synthetic_markets: extra?.synthetic ?? 0,
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

import * as ccxt from 'ccxt';
import { describeValue, InvalidArgumentError, truncateText, type Logger, type Tick } from '@cte/shared';
import type { LiveConfig, LiveExchangeConfig, LiveExchangeId } from '../../config';
import { checkVenueTrade, describeStaleFeeds, FeedHealth, reconnectDelayMs, TradeIdWindow } from '../../engine/live-feed';
import type { MarketSource, TickSink } from './market-source';

export type ProExchange = InstanceType<(typeof ccxt.pro)['binanceus']>;

const CLASSES: Record<LiveExchangeId, new (opts: Record<string, unknown>) => ProExchange> = {
  binanceus: ccxt.pro.binanceus,
  coinbase: ccxt.pro.coinbase as unknown as new (opts: Record<string, unknown>) => ProExchange,
  kucoin: ccxt.pro.kucoin as unknown as new (opts: Record<string, unknown>) => ProExchange,
};

/** Per-exchange ccxt options: spot markets only, and trade ids that match between the stream and REST. */
const CCXT_OPTIONS: Record<LiveExchangeId, Record<string, unknown>> = {
  binanceus: {},
  coinbase: {},
  kucoin: { fetchMarkets: { types: ['spot'] } },
};
/** Binance's REST trades are aggregate trades, so the stream is too: a backfill then dedups by the same ids. */
const WATCH_PARAMS: Record<LiveExchangeId, Record<string, unknown>> = { binanceus: { name: 'aggTrade' }, coinbase: {}, kucoin: {} };

/**
 * Venues whose REST trades carry the same ids as their stream, so a backfill can be deduplicated.
 * KuCoin's `market/histories` has no trade id at all (ccxt leaves `id` undefined).
 */
const BACKFILL: Record<LiveExchangeId, boolean> = { binanceus: true, coinbase: true, kucoin: false };
const MAX_BACKFILL_PAGES = 50;
/** A page this long may have more behind it (Binance returns 500 by default, Coinbase up to 100 or so). */
const BACKFILL_PAGE_MIN = 50;

/** The label of drops that cannot be tied to one symbol (a frame ccxt could not parse). */
export const ANY_SYMBOL = '*';

export type DropReason = 'malformed' | 'out_of_range' | 'duplicate';

export interface LiveFeedEvents {
  accepted(exchange: string, symbol: string): void;
  dropped(exchange: string, symbol: string, reason: DropReason): void;
  reconnected(exchange: string, symbol: string): void;
  backfilled(exchange: string, symbol: string, trades: number): void;
}

export interface CcxtSourceOptions {
  live: LiveConfig;
  logger: Logger;
  events?: LiveFeedEvents | undefined;
  /** Seconds-resolution wall clock and jitter, replaceable in tests. */
  clock?: () => number;
  random?: () => number;
}

/** Every URL string in a ccxt `urls.api` tree, with its origin replaced by `origin` (ws/wss follow http/https). */
export function rebaseUrls(v: unknown, origin: URL): unknown {
  if (typeof v === 'string') {
    const m = /^(https?|wss?):\/\/[^/]+(.*)$/.exec(v);
    if (!m) return v;
    const secure = origin.protocol === 'https:';
    const scheme = m[1]?.startsWith('ws') ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
    return `${scheme}://${origin.host}${m[2] ?? ''}`;
  }
  if (Array.isArray(v)) return v.map((x) => rebaseUrls(x, origin));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebaseUrls(x, origin)]));
  return v;
}

interface Feed {
  ex: ProExchange;
  cfg: LiveExchangeConfig;
  health: FeedHealth;
  ids: TradeIdWindow;
  /** Timestamp of the newest accepted trade: where a backfill starts. */
  lastTradeTs: number | undefined;
}

/**
 * Live trades through ccxt.pro `watchTrades`, one loop per (exchange, symbol), into the same sink
 * as replay. Every trade is validated at the boundary and dropped by id when seen before; a
 * failed watch reconnects with capped exponential backoff and jitter, then backfills the gap over
 * REST (`fetchTrades` since the last accepted trade) before streaming on.
 */
export class CcxtSource implements MarketSource {
  readonly name = 'ccxt';
  private stopped = false;
  private connected = false;
  private lastWall: number | undefined;
  private readonly exchanges = new Map<LiveExchangeId, ProExchange>();
  private readonly feeds: Feed[] = [];
  private readonly sleeps = new Set<() => void>();
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly o: CcxtSourceOptions) {
    this.clock = o.clock ?? Date.now;
    this.random = o.random ?? Math.random;
    const started = this.clock();
    for (const cfg of o.live.exchanges) {
      const ex = new CLASSES[cfg.id]({ enableRateLimit: true, timeout: 10_000, options: CCXT_OPTIONS[cfg.id] });
      ex.log = (...args: unknown[]): void => o.logger.debug({ exchange: cfg.id, ccxt: args.map(String).join(' ').slice(0, 300) }, 'ccxt log');
      if (cfg.baseUrl !== undefined) ex.urls['api'] = rebaseUrls(ex.urls['api'], new URL(cfg.baseUrl)) as (typeof ex.urls)['api'];
      this.guardFrames(ex, cfg.id);
      this.exchanges.set(cfg.id, ex);
      for (const s of cfg.symbols) {
        this.feeds.push({ ex, cfg, health: new FeedHealth(cfg.id, s.symbol, s.venue, started), ids: new TradeIdWindow(), lastTradeTs: undefined });
      }
    }
  }

  /** Loads every venue's markets and checks that each configured market is listed and active. Throws naming the variable. */
  async connect(): Promise<void> {
    for (const cfg of this.o.live.exchanges) {
      const ex = this.exchanges.get(cfg.id)!;
      // ccxt refuses plain ws:// until it has an http agent (the emulator or a non-TLS proxy).
      if (cfg.baseUrl?.startsWith('http:')) await ex.loadHttpProxyAgent();
      const markets = await this.withRetry(cfg.id, () => ex.loadMarkets());
      const missing = cfg.symbols.filter((s) => markets[s.venue] === undefined || markets[s.venue]?.active === false).map((s) => s.venue);
      if (missing.length > 0) throw new InvalidArgumentError(`${cfg.symbolsVar}: ${cfg.id} lists no active market ${missing.slice(0, 10).join(', ')}`);
    }
    this.connected = true;
    this.o.logger.info({ feeds: this.feeds.map((f) => `${f.cfg.id}:${f.health.venueSymbol}>${f.health.symbol}`) }, 'live markets loaded');
  }

  /** Metrics hooks, attached once the registry exists. */
  setEvents(events: LiveFeedEvents): void {
    this.o.events = events;
  }

  health(): readonly FeedHealth[] {
    return this.feeds.map((f) => f.health);
  }

  /** Readiness detail; throws (not ready) only when every feed is stale. */
  readiness(): string {
    const now = this.clock();
    const all = this.health();
    const { stale, text } = describeStaleFeeds(all, now, this.o.live.staleMs);
    if (all.length > 0 && stale.length === all.length) throw new Error(text);
    return text;
  }

  now(): number {
    return this.clock();
  }

  lastTickWallMs(): number | undefined {
    return this.lastWall;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const wake of this.sleeps) wake();
    for (const ex of this.exchanges.values()) void ex.close().catch(() => undefined);
  }

  async run(sink: TickSink): Promise<void> {
    if (!this.connected) await this.connect();
    await Promise.all(this.feeds.map((f) => this.runFeed(f, sink)));
    this.o.logger.info('live feeds stopped');
  }

  private async runFeed(feed: Feed, sink: TickSink): Promise<void> {
    const { ex, cfg, health } = feed;
    let attempt = 0;
    // After a reconnect: backfill at once, and again with the first stream batch (see below).
    let repairing: 'no' | 'now' | 'with_first_batch' = 'no';
    while (!this.stopped) {
      try {
        const watching = ex.watchTrades(health.venueSymbol, undefined, undefined, { ...WATCH_PARAMS[cfg.id] });
        if (repairing === 'now') {
          watching.catch(() => undefined);
          this.acceptInOrder(feed, await this.tradesSinceLast(feed), [], sink);
          repairing = 'with_first_batch';
        }
        const trades: unknown[] = await watching;
        attempt = 0;
        if (repairing === 'with_first_batch') {
          // The stream is live now, so REST since the last accepted trade covers whatever fell between
          // the first backfill and the subscription taking effect. Merged in time order; overlap drops by id.
          repairing = 'no';
          const firstStreamed = trades.reduce<number>((m, t) => Math.min(m, timestampOf(t) ?? m), Number.POSITIVE_INFINITY);
          this.acceptInOrder(feed, await this.tradesSinceLast(feed, firstStreamed), trades, sink);
        } else {
          for (const raw of trades) this.accept(feed, raw, sink);
        }
      } catch (err) {
        if (this.stopped) break;
        health.reconnects++;
        this.o.events?.reconnected(cfg.id, health.symbol);
        const delay = reconnectDelayMs(attempt++, this.o.live.reconnectBaseMs, this.o.live.reconnectMaxMs, this.random());
        this.o.logger.warn({ exchange: cfg.id, symbol: health.symbol, attempt, delay_ms: delay, err: errorText(err) }, 'live feed lost; reconnecting');
        repairing = 'now';
        await this.sleep(delay);
      }
    }
  }

  /**
   * REST trades since the last accepted one, page after page until a page reaches `untilTs` (where
   * the stream has taken over) or comes back short; empty where the venue cannot be deduplicated.
   */
  private async tradesSinceLast(feed: Feed, untilTs = Number.POSITIVE_INFINITY): Promise<unknown[]> {
    if (feed.lastTradeTs === undefined) return [];
    if (!BACKFILL[feed.cfg.id]) {
      this.o.logger.warn({ exchange: feed.cfg.id, symbol: feed.health.symbol }, 'no REST backfill on this venue (its REST trades carry no trade ids): trades during the outage are missing');
      return [];
    }
    const out: unknown[] = [];
    let since = feed.lastTradeTs;
    // Pages until a short page; a page ending where it started (one instant with more trades than a page) stops too.
    for (let page = 0; page < MAX_BACKFILL_PAGES && !this.stopped; page++) {
      const trades = await feed.ex.fetchTrades(feed.health.venueSymbol, since);
      out.push(...trades);
      const last = trades.reduce((m, t) => Math.max(m, t.timestamp ?? 0), 0);
      if (trades.length < BACKFILL_PAGE_MIN || last <= since || last >= untilTs) break;
      since = last;
    }
    return out;
  }

  /** Accepts REST and streamed trades merged in time order (ties: REST first, then each source's order); counts the REST ones that were new. */
  private acceptInOrder(feed: Feed, rest: unknown[], streamed: unknown[], sink: TickSink): void {
    const items = [...rest.map((t, i) => ({ t, i, rest: true })), ...streamed.map((t, i) => ({ t, i: rest.length + i, rest: false }))];
    items.sort((a, b) => (timestampOf(a.t) ?? 0) - (timestampOf(b.t) ?? 0) || a.i - b.i);
    let n = 0;
    for (const { t, rest: fromRest } of items) if (this.accept(feed, t, sink) && fromRest) n++;
    this.o.events?.backfilled(feed.cfg.id, feed.health.symbol, n);
    if (n > 0) this.o.logger.info({ exchange: feed.cfg.id, symbol: feed.health.symbol, trades: n }, 'live feed repaired over REST');
  }

  private accept(feed: Feed, raw: unknown, sink: TickSink): boolean {
    const { health } = feed;
    const now = this.clock();
    const checked = checkVenueTrade(raw, health, now);
    if (!checked.ok) {
      health.rejected++;
      this.o.events?.dropped(health.exchange, health.symbol, checked.kind);
      this.o.logger.debug({ exchange: health.exchange, symbol: health.symbol, field: checked.reason, kind: checked.kind }, 'venue trade rejected');
      return false;
    }
    if (!feed.ids.offer(checked.tick.tradeId ?? '')) {
      health.duplicates++;
      this.o.events?.dropped(health.exchange, health.symbol, 'duplicate');
      return false;
    }
    health.accepted++;
    health.lastMessageMs = now;
    this.lastWall = now;
    if (feed.lastTradeTs === undefined || checked.tick.ts > feed.lastTradeTs) feed.lastTradeTs = checked.tick.ts;
    this.o.events?.accepted(health.exchange, health.symbol);
    this.emit(checked.tick, sink);
    return true;
  }

  private emit(tick: Tick, sink: TickSink): void {
    // A live venue cannot be paused: backpressure is absorbed by the write queue (see TickSink).
    const p = sink(tick);
    if (p) p.catch((err: unknown) => this.o.logger.error({ err: errorText(err) }, 'tick sink failed'));
  }

  /**
   * The boundary in front of ccxt's own parser: a frame that is not JSON reaches handleMessage as
   * a string, and a frame ccxt's handler throws on would otherwise reject every pending watch of
   * the connection (and look like a dropped socket). Both are counted and dropped.
   */
  private guardFrames(ex: ProExchange, id: LiveExchangeId): void {
    const original = ex.handleMessage.bind(ex) as (client: unknown, message: unknown) => void;
    const dropped = (why: string): void => {
      this.o.events?.dropped(id, ANY_SYMBOL, 'malformed');
      this.o.logger.debug({ exchange: id, why }, 'malformed venue frame dropped');
    };
    ex.handleMessage = (client: unknown, message: unknown): void => {
      if (typeof message !== 'object' || message === null) return dropped('not a JSON object');
      try {
        original(client, message);
      } catch (err) {
        dropped(errorText(err));
      }
    };
  }

  private async withRetry<T>(id: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt + 1 >= attempts || this.stopped || !(err instanceof ccxt.NetworkError)) throw err;
        const delay = reconnectDelayMs(attempt, this.o.live.reconnectBaseMs, this.o.live.reconnectMaxMs, this.random());
        this.o.logger.warn({ exchange: id, attempt: attempt + 1, delay_ms: delay, err: errorText(err) }, 'venue unreachable; retrying');
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }

  /** For tests and the bench: the ccxt client of one exchange. */
  client(id: LiveExchangeId): ProExchange | undefined {
    return this.exchanges.get(id);
  }

  /** Stale feeds now (for metrics). */
  staleFeeds(): FeedHealth[] {
    return describeStaleFeeds(this.health(), this.clock(), this.o.live.staleMs).stale;
  }
}

function timestampOf(t: unknown): number | undefined {
  const v = typeof t === 'object' && t !== null ? (t as { timestamp?: unknown }).timestamp : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? truncateText(`${err.constructor.name}: ${err.message}`, 300) : describeValue(err, 300);
}

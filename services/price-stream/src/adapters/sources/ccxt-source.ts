import * as ccxt from 'ccxt';
import { newProExchange, type ProExchange } from '@cte/shared/ccxt';
import { describeValue, InvalidArgumentError, rebaseUrls, Sleeper, truncateText, type Logger, type Tick } from '@cte/shared';
import type { LiveConfig, LiveExchangeConfig, LiveExchangeId } from '../../config';
import { checkVenueTrade, describeStaleFeeds, FeedHealth, reconnectDelayMs, TradeIdWindow } from '../../engine/live-feed';
import { candleTicks, MINUTE_MS, minutesBetween, MinuteTally, pageConnects, parseMinuteCandle, planGap, withDedupId, type KeyedTrade, type MinuteCandle } from '../../engine/backfill';
import type { MarketSource, TickSink } from './market-source';

export type { ProExchange };

/**
 * ccxt's per-market trade cache holds what arrives between two reads of one feed, and during a
 * repair the feed awaits REST while the stream goes on: a cache smaller than ccxt's default of
 * 1,000 trades lost trades there (the reconnect test, at 250). ~740 KB a market once full, which
 * is why 1,000 live symbols need more memory than price-stream declares (make bench).
 */
export const CCXT_TRADES_LIMIT = 1_000;
/** Trade ids remembered per feed for dedupe: covers a full REST page (1,000) overlapping the stream. */
export const TRADE_ID_WINDOW = 1_000;

/** Per-exchange ccxt options: spot markets only, and trade ids that match between the stream and REST. */
const CCXT_OPTIONS: Record<LiveExchangeId, Record<string, unknown>> = {
  binanceus: { tradesLimit: CCXT_TRADES_LIMIT },
  coinbase: { tradesLimit: CCXT_TRADES_LIMIT },
  kucoin: { tradesLimit: CCXT_TRADES_LIMIT, fetchMarkets: { types: ['spot'] } },
};
/** Binance's REST trades are aggregate trades, so the stream is too: a backfill then dedups by the same ids. */
const WATCH_PARAMS: Record<LiveExchangeId, Record<string, unknown>> = { binanceus: { name: 'aggTrade' }, coinbase: {}, kucoin: {} };

interface BackfillSpec {
  /** `since`: trades from a time on, in windows of `windowMs`; `latest`: only the newest page, no time parameter. */
  mode: 'since' | 'latest';
  /** Trades asked per page (and what the venue returns at most); a shorter page is the whole window. */
  limit: number;
  windowMs: number;
  /** 1-minute candles per fetchOHLCV call, and whether the call takes an explicit `until`. */
  candleLimit: number;
  candleUntil: boolean;
}

/**
 * REST repair per venue. Trades are deduplicated against the stream by the same key on both
 * paths: ccxt's id (Binance aggregate trade id, Coinbase trade_id), KuCoin's `sequence` (its REST
 * history has no trade id; see withDedupId). Binance aggTrades windows are at most an hour;
 * Coinbase needs an `until` with `since`; KuCoin's `market/histories` is the latest 100 trades.
 */
const BACKFILL: Record<LiveExchangeId, BackfillSpec> = {
  binanceus: { mode: 'since', limit: 1000, windowMs: 3_600_000, candleLimit: 1000, candleUntil: true },
  coinbase: { mode: 'since', limit: 1000, windowMs: 3_600_000, candleLimit: 300, candleUntil: true },
  kucoin: { mode: 'latest', limit: 100, windowMs: 0, candleLimit: 1500, candleUntil: false },
};
const MAX_BACKFILL_PAGES = 50;

/** What REST recovered: trades connected to what is known, up to `knownBefore`, and a newest-trades page that did not connect. */
interface RestCoverage {
  chain: unknown[];
  knownBefore: number;
  tail: { trades: unknown[]; minTs: number; maxTs: number } | undefined;
}

/** The label of drops that cannot be tied to one symbol (a frame ccxt could not parse). */
export const ANY_SYMBOL = '*';

export type DropReason = 'malformed' | 'out_of_range' | 'duplicate';

/** Sees every JSON frame of a venue before ccxt handles it (order-book sequence checks); must not throw. */
export type FrameTap = (exchange: LiveExchangeId, client: object, frame: object) => void;

export interface LiveFeedEvents {
  accepted(exchange: string, symbol: string): void;
  dropped(exchange: string, symbol: string, reason: DropReason): void;
  reconnected(exchange: string, symbol: string): void;
  backfilled(exchange: string, symbol: string, trades: number): void;
  /** Minutes filled from 1-minute candles after a reconnect that trade history could not cover. */
  backfilledBars?(exchange: string, symbol: string, bars: number): void;
}

export interface CcxtSourceOptions {
  live: LiveConfig;
  logger: Logger;
  events?: LiveFeedEvents | undefined;
  /** Trades asked per REST page on `since` venues (default: the venue's maximum, 1000); smaller makes the candle path reachable in tests. */
  restPageLimit?: number;
  /** Seconds-resolution wall clock and jitter, replaceable in tests. */
  clock?: () => number;
  random?: () => number;
}

/** Moved to the kit; re-exported for existing importers. */
export { rebaseUrls };

interface Feed {
  ex: ProExchange;
  cfg: LiveExchangeConfig;
  health: FeedHealth;
  ids: TradeIdWindow;
  /** Timestamp of the newest accepted trade: where a backfill starts. */
  lastTradeTs: number | undefined;
  /** The newest minute of accepted trades, for merging its candle. */
  tally: MinuteTally;
  /** Trades before this are covered by candles (applied or pending) and dropped. */
  claimedUntil: number;
  /** A claimed minute whose candle waits for the venue to move past it (a later trade). */
  pendingMinute: number | undefined;
}

/**
 * Live trades through ccxt.pro `watchTrades`, one loop per (exchange, symbol), into the same sink
 * as replay. Every trade is validated at the boundary and dropped by id when seen before; a
 * failed watch reconnects with capped exponential backoff and jitter, then backfills the gap over
 * REST: `fetchTrades` since the last accepted trade, and 1-minute candles (`fetchOHLCV`) for the
 * minutes trade history cannot cover (see engine/backfill.ts).
 */
export class CcxtSource implements MarketSource {
  readonly name = 'ccxt';
  private stopped = false;
  private connected = false;
  private lastWall: number | undefined;
  /** The newest accepted trade's time and the wall time it arrived: the venue's clock (see now()). */
  private newestTradeTs: number | undefined;
  private newestTradeWall = 0;
  private readonly exchanges = new Map<LiveExchangeId, ProExchange>();
  private readonly feeds: Feed[] = [];
  private readonly sleeper = new Sleeper();
  private readonly taps: FrameTap[] = [];
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly o: CcxtSourceOptions) {
    this.clock = o.clock ?? Date.now;
    this.random = o.random ?? Math.random;
    const started = this.clock();
    for (const cfg of o.live.exchanges) {
      const ex = newProExchange(cfg.id, { enableRateLimit: true, timeout: 10_000, options: CCXT_OPTIONS[cfg.id] });
      ex.log = (...args: unknown[]): void => o.logger.debug({ exchange: cfg.id, ccxt: args.map(String).join(' ').slice(0, 300) }, 'ccxt log');
      if (cfg.baseUrl !== undefined) ex.urls['api'] = rebaseUrls(ex.urls['api'], new URL(cfg.baseUrl)) as (typeof ex.urls)['api'];
      this.guardFrames(ex, cfg.id);
      this.exchanges.set(cfg.id, ex);
      for (const s of cfg.symbols) {
        this.feeds.push({ ex, cfg, health: new FeedHealth(cfg.id, s.symbol, s.venue, started), ids: new TradeIdWindow(TRADE_ID_WINDOW), lastTradeTs: undefined, tally: new MinuteTally(), claimedUntil: Number.NEGATIVE_INFINITY, pendingMinute: undefined });
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

  /** Adds a tap on every venue's frames (see FrameTap). */
  addFrameTap(tap: FrameTap): void {
    this.taps.push(tap);
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

  /**
   * Data time for time-based bar closes: the newest trade's time advanced by the wall time since
   * it arrived, never ahead of the wall clock. On a live venue that is the wall clock (less the
   * feed's latency), so a quiet market's bars still close on time; on a venue replaying the past
   * (the venue emulator in make sandbox) bars close on the next period's trades, as in a replay.
   */
  now(): number {
    const wall = this.clock();
    if (this.newestTradeTs === undefined) return wall;
    return Math.min(wall, this.newestTradeTs + (wall - this.newestTradeWall));
  }

  lastTickWallMs(): number | undefined {
    return this.lastWall;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sleeper.wakeAll();
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
          // Before the stream is back only trades that connect to what is known are taken; gaps are decided with the first batch.
          this.acceptInOrder(feed, (await this.tradesSinceLast(feed)).chain, [], sink);
          repairing = 'with_first_batch';
        }
        const trades: unknown[] = await watching;
        attempt = 0;
        if (repairing === 'with_first_batch' && (await this.repair(feed, trades, sink))) {
          repairing = 'no';
        } else if (repairing !== 'with_first_batch') {
          if (feed.pendingMinute !== undefined) await this.resolvePending(feed, trades, sink);
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
   * The repair with the first stream batch after a reconnect. REST covers what it can: trades
   * that connect to what is known, up to G. When that does not reach the stream (a venue that
   * only gives its newest trades, a page chain cut short), the minutes from G to where known
   * trades resume come from 1-minute candles, and trades inside them are dropped. False when the
   * batch has no new valid trade to tell where the stream starts (the repair waits for the next).
   */
  private async repair(feed: Feed, streamed: unknown[], sink: TickSink): Promise<boolean> {
    const fresh = this.keyed(feed, streamed).filter((t) => !feed.ids.has(t.key));
    if (fresh.length === 0) {
      for (const raw of streamed) this.accept(feed, raw, sink);
      return false;
    }
    const streamFrom = Math.min(...fresh.map((t) => t.ts));
    const rest = await this.tradesSinceLast(feed, streamFrom);
    const newestTs = Math.max(...fresh.map((t) => t.ts), rest.tail?.maxTs ?? Number.NEGATIVE_INFINITY);
    const plan = Number.isFinite(rest.knownBefore) ? planGap({ knownBefore: rest.knownBefore, streamFrom, tail: rest.tail, newestTs }) : undefined;
    if (plan === undefined) {
      this.acceptInOrder(feed, [...rest.chain, ...(rest.tail?.trades ?? [])], streamed, sink);
      return true;
    }
    const fromMinute = Math.min(plan.fromMinute, feed.pendingMinute ?? Number.POSITIVE_INFINITY);
    const lastReady = plan.lastMinuteClosed ? plan.toMinute : plan.toMinute - MINUTE_MS;
    // Fetched before anything changes, so a failed fetch leaves the feed as it was for the next repair.
    const candles = await this.fetchCandles(feed, fromMinute, lastReady);
    this.acceptInOrder(feed, rest.chain, [], sink);
    feed.claimedUntil = Math.max(feed.claimedUntil, plan.claimedUntil);
    feed.pendingMinute = plan.lastMinuteClosed ? undefined : plan.toMinute;
    const bars = this.applyCandles(feed, candles, fromMinute, lastReady, sink);
    this.o.logger.info(
      { exchange: feed.cfg.id, symbol: feed.health.symbol, from: new Date(fromMinute).toISOString(), to: new Date(plan.toMinute).toISOString(), bars, pending: feed.pendingMinute !== undefined },
      'trade history does not cover the outage: minutes filled from 1m candles',
    );
    this.acceptInOrder(feed, rest.tail?.trades ?? [], streamed, sink);
    return true;
  }

  /** Applies the pending minute's candle once a streamed trade shows the venue has moved past it. */
  private async resolvePending(feed: Feed, batch: unknown[], sink: TickSink): Promise<void> {
    const m = feed.pendingMinute;
    if (m === undefined || !this.keyed(feed, batch).some((t) => t.ts >= m + MINUTE_MS)) return;
    const candles = await this.fetchCandles(feed, m, m);
    feed.pendingMinute = undefined;
    const bars = this.applyCandles(feed, candles, m, m, sink);
    this.o.logger.info({ exchange: feed.cfg.id, symbol: feed.health.symbol, minute: new Date(m).toISOString(), bars }, 'live feed repaired: last outage minute filled from its 1m candle');
  }

  /**
   * REST trades after what is known. `since` venues: windows from G on, page after page; a page
   * shorter than the limit is its whole window, a full one must hold a known trade (or an older
   * one) to connect, else it is the newest trades of a longer stretch and becomes the tail.
   * `latest` venues: one page of the newest trades, connected when it reaches back to a known
   * trade. With the stream's first trade given, the walk stops past it.
   */
  private async tradesSinceLast(feed: Feed, streamFrom = Number.POSITIVE_INFINITY): Promise<RestCoverage> {
    const start = Math.max(feed.lastTradeTs ?? Number.NEGATIVE_INFINITY, feed.claimedUntil);
    const none: RestCoverage = { chain: [], knownBefore: start, tail: undefined };
    if (!Number.isFinite(start)) return none;
    const spec = BACKFILL[feed.cfg.id];
    const chainKeys = new Set<string>();
    const known = (key: string): boolean => feed.ids.has(key) || chainKeys.has(key);
    const tailOf = (trades: unknown[], keyed: KeyedTrade[]): RestCoverage['tail'] =>
      keyed.length === 0 ? undefined : { trades, minTs: Math.min(...keyed.map((t) => t.ts)), maxTs: Math.max(...keyed.map((t) => t.ts)) };
    if (spec.mode === 'latest') {
      const page = await feed.ex.fetchTrades(feed.health.venueSymbol);
      const keyed = this.keyed(feed, page);
      if (keyed.length === 0) return none;
      if (!pageConnects(keyed, start, true, known)) return { ...none, tail: tailOf(page, keyed) };
      return { chain: page, knownBefore: Math.max(start, ...keyed.map((t) => t.ts)) + 1, tail: undefined };
    }
    const limit = Math.min(spec.limit, this.o.restPageLimit ?? spec.limit);
    const present = Number.isFinite(streamFrom) ? streamFrom + 1 : this.clock();
    const chain: unknown[] = [];
    let cursor = start;
    let knownBefore = start;
    for (let page = 0; page < MAX_BACKFILL_PAGES && cursor < present && !this.stopped; page++) {
      const windowEnd = Math.min(cursor + spec.windowMs, present);
      const trades = await feed.ex.fetchTrades(feed.health.venueSymbol, cursor, limit, { until: windowEnd });
      const keyed = this.keyed(feed, trades);
      const full = trades.length >= limit;
      if (!pageConnects(keyed, cursor, full, known)) return { chain, knownBefore, tail: tailOf(trades, keyed) };
      chain.push(...trades);
      for (const t of keyed) chainKeys.add(t.key);
      const newest = Math.max(cursor, ...keyed.map((t) => t.ts));
      if (!full) {
        // The window is complete, unless it was meant to reach the stream and does not (a REST view lagging the stream).
        const reachesStream = windowEnd < present || keyed.some((t) => t.ts >= streamFrom) || !Number.isFinite(streamFrom);
        knownBefore = reachesStream ? windowEnd : newest;
        if (!reachesStream) break;
        cursor = windowEnd;
        continue;
      }
      if (newest <= cursor) break; // one instant with more trades than a page: leave the rest to candles
      knownBefore = newest;
      cursor = newest;
    }
    return { chain, knownBefore, tail: undefined };
  }

  /** The 1m candles of minutes from..to (none when to < from), checked at the boundary. */
  private async fetchCandles(feed: Feed, from: number, to: number): Promise<Map<number, MinuteCandle>> {
    const spec = BACKFILL[feed.cfg.id];
    const { health } = feed;
    const candles = new Map<number, MinuteCandle>();
    for (let since = from, page = 0; since <= to && page < MAX_BACKFILL_PAGES && !this.stopped; page++) {
      const count = Math.min(spec.candleLimit, (to - since) / MINUTE_MS + 1);
      const rows: unknown[] = await feed.ex.fetchOHLCV(health.venueSymbol, '1m', since, count, spec.candleUntil ? { until: since + count * MINUTE_MS - 1 } : {});
      for (const row of rows) {
        const c = parseMinuteCandle(row);
        if (c === undefined) {
          health.rejected++;
          this.o.events?.dropped(health.exchange, health.symbol, 'malformed');
        } else if (c.openTime >= since && c.openTime <= to) {
          candles.set(c.openTime, c);
        }
      }
      since += count * MINUTE_MS;
    }
    return candles;
  }

  /**
   * Feeds candles of minutes from..to to the engine as the ticks that make each minute's bars equal
   * the candle (merged with what the engine holds of the first minute). Returns the minutes filled.
   */
  private applyCandles(feed: Feed, candles: ReadonlyMap<number, MinuteCandle>, from: number, to: number, sink: TickSink): number {
    const { health } = feed;
    let bars = 0;
    for (const minute of minutesBetween(from, to)) {
      const c = candles.get(minute);
      if (c === undefined) continue; // no trade in that minute: gaps stay gaps
      const have = feed.tally.of(minute);
      const ticks = candleTicks(c, have, health);
      if (ticks.length === 0) continue;
      for (const t of ticks) this.emit(t, sink);
      feed.tally.setFromCandle(c, ticks.length, have);
      bars++;
    }
    if (bars > 0) this.lastWall = this.clock();
    this.o.events?.backfilledBars?.(health.exchange, health.symbol, bars);
    return bars;
  }

  /** Valid trades of a REST page or stream batch as (dedup key, time); invalid ones are left to accept() to count. */
  private keyed(feed: Feed, raws: readonly unknown[]): KeyedTrade[] {
    const now = this.clock();
    const out: KeyedTrade[] = [];
    for (const raw of raws) {
      const c = checkVenueTrade(withDedupId(feed.cfg.id, raw), feed.health, now);
      if (c.ok) out.push({ key: c.tick.tradeId ?? '', ts: c.tick.ts });
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
    const checked = checkVenueTrade(withDedupId(feed.cfg.id, raw), health, now);
    if (!checked.ok) {
      health.rejected++;
      this.o.events?.dropped(health.exchange, health.symbol, checked.kind);
      this.o.logger.debug({ exchange: health.exchange, symbol: health.symbol, field: checked.reason, kind: checked.kind }, 'venue trade rejected');
      return false;
    }
    // Inside minutes filled from candles: the candle has it already.
    if (checked.tick.ts < feed.claimedUntil) return false;
    if (!feed.ids.offer(checked.tick.tradeId ?? '')) {
      health.duplicates++;
      this.o.events?.dropped(health.exchange, health.symbol, 'duplicate');
      return false;
    }
    health.accepted++;
    health.lastMessageMs = now;
    this.lastWall = now;
    if (this.newestTradeTs === undefined || checked.tick.ts >= this.newestTradeTs) {
      this.newestTradeTs = checked.tick.ts;
      this.newestTradeWall = now;
    }
    if (feed.lastTradeTs === undefined || checked.tick.ts > feed.lastTradeTs) feed.lastTradeTs = checked.tick.ts;
    feed.tally.add(checked.tick.ts, checked.tick.price, checked.tick.qty);
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
      if (typeof client === 'object' && client !== null) for (const tap of this.taps) tap(id, client, message);
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
    return this.sleeper.sleep(ms);
  }

  /** The ccxt client of one exchange (the order-book feed shares it; tests and the bench too). */
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

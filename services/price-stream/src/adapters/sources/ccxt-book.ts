import * as ccxt from 'ccxt';
import { describeValue, Sleeper, truncateText, type BookTopMessage, type Logger, type Symbol } from '@cte/shared';
import type { LiveConfig, LiveExchangeId } from '../../config';
import { BookSequenceTracker, bookBehindStream } from '../../engine/book-sequence';
import { bookTopOf, sameTop, toBookTopMessage, type BookTop, type BookTopRejection } from '../../engine/book-top';
import { reconnectDelayMs } from '../../engine/live-feed';
import type { FrameTap, ProExchange } from './ccxt-source';

export interface BookFeedEvents {
  /** A sequence gap (or a book found behind its stream): the book is resynchronised. */
  gap(exchange: string, symbol: string): void;
  /** The book is consistent again after a gap. */
  resynced(exchange: string, symbol: string): void;
  /** A changed top handed on for publishing (before conflation). */
  updated(exchange: string, symbol: string): void;
  /** A book whose top is not published: empty, crossed or malformed. */
  rejected(exchange: string, symbol: string, reason: BookTopRejection): void;
}

export interface BookTopSink {
  /** The changed top of a consistent book. */
  top(msg: BookTopMessage): void;
  /** The book of (exchange, symbol) turned out inconsistent: a top not yet published must not be. */
  invalidate(exchange: string, symbol: Symbol): void;
}

/** What the book feed needs of the live source: its ccxt clients (markets loaded) and a tap on their frames. */
export interface BookFeedSource {
  client(id: LiveExchangeId): ProExchange | undefined;
  addFrameTap(tap: FrameTap): void;
}

export interface CcxtBookFeedOptions {
  source: BookFeedSource;
  live: LiveConfig;
  logger: Logger;
  sink: BookTopSink;
  events?: BookFeedEvents | undefined;
  /** Wall clock (ms) for tops whose venue sends no book time, and jitter; replaceable in tests. */
  clock?: () => number;
  random?: () => number;
}

/** Ends a pending watch whose book has a sequence gap; the loop then waits for the rebuilt book. */
export class BookGapError extends Error {
  override readonly name = 'BookGapError';
}

/** The part of a ccxt WebSocket client the resync touches. */
interface WsClientLike {
  subscriptions: Record<string, unknown>;
  reject(err: unknown, messageHash?: string): unknown;
}

interface BookFeed {
  ex: ProExchange;
  exchange: LiveExchangeId;
  venueSymbol: string;
  symbol: Symbol;
  /** The market id the venue's frames carry (`OMGBUSD`, `DAPPT-BTC`). */
  marketId: string;
  /** A gap was counted and the book is being rebuilt: nothing is published until it is consistent. */
  resyncing: boolean;
  /** The last top handed to the sink. */
  last: BookTop | undefined;
}

/**
 * Top of book through ccxt.pro `watchOrderBook`, one loop per (exchange, symbol), on the live
 * source's ccxt clients (so on the same connections as its trades). Every raw frame passes a
 * sequence check first (BookSequenceTracker, fed through the source's frame tap); on a gap the
 * gap is counted, the book's unpublished top is dropped, and ccxt is made to rebuild that book:
 *
 * - Binance.US: as ccxt does on its own gap (ChecksumError): the book and its subscription are
 *   dropped, the next watch subscribes again, and ccxt syncs from a REST snapshot plus the buffered
 *   deltas by `U`/`u`. A ChecksumError ccxt raises itself is handled the same way.
 * - Coinbase: `sequence_num` counts every frame of the connection, so every book of that
 *   connection is dropped and subscribed again; Coinbase answers a subscribe with a fresh
 *   snapshot, and ccxt skips updates until it arrives.
 * - KuCoin: the book is replaced by an empty one without a sequence; ccxt then buffers the deltas
 *   and syncs from a REST snapshot by sequence (its loadOrderBook).
 *
 * A REST snapshot laid over the cached book (`orderbooks[s].reset(snapshot)`) is not used: an
 * update the venue applied after taking the snapshot but delivered before the reply would be
 * wiped, and Coinbase's REST book carries no sequence to line it up with the stream at all.
 * The first book that resolves consistent (not behind the sequence seen on the wire) counts as a
 * resync. Tops are handed to the sink only when they changed; empty or crossed books are counted
 * and not published. Other failures (a dropped socket) retry with the source's backoff; ccxt
 * resubscribes, which rebuilds the book from scratch.
 */
export class CcxtBookFeed {
  private stopped = false;
  private readonly feeds: BookFeed[] = [];
  private readonly trackers = new Map<LiveExchangeId, BookSequenceTracker>();
  private readonly sleeper = new Sleeper();
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly o: CcxtBookFeedOptions) {
    this.clock = o.clock ?? Date.now;
    this.random = o.random ?? Math.random;
    for (const cfg of o.live.exchanges) this.trackers.set(cfg.id, new BookSequenceTracker(cfg.id));
    o.source.addFrameTap((id, client, frame) => this.onFrame(id, client, frame));
  }

  /** The (exchange, symbol) books this feed follows, for metrics. */
  labels(): Array<{ exchange: string; symbol: string }> {
    return this.o.live.exchanges.flatMap((cfg) => cfg.symbols.map((s) => ({ exchange: cfg.id, symbol: s.symbol })));
  }

  /** Metrics hooks, attached once the registry exists. */
  setEvents(events: BookFeedEvents): void {
    this.o.events = events;
  }

  /** Runs until stop(); the source must be connected (markets loaded). */
  async run(): Promise<void> {
    for (const cfg of this.o.live.exchanges) {
      const ex = this.o.source.client(cfg.id);
      if (ex === undefined) throw new Error(`no ccxt client for ${cfg.id}`);
      for (const s of cfg.symbols) {
        const marketId = ex.market(s.venue).id;
        if (marketId === undefined) throw new Error(`${cfg.id} has no market id for ${s.venue}`);
        this.feeds.push({ ex, exchange: cfg.id, venueSymbol: s.venue, symbol: s.symbol, marketId, resyncing: false, last: undefined });
      }
    }
    await Promise.all(this.feeds.map((f) => this.runBook(f)));
    this.o.logger.info('order book feeds stopped');
  }

  stop(): void {
    this.stopped = true;
    this.sleeper.wakeAll();
  }

  private async runBook(feed: BookFeed): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        const book: unknown = await feed.ex.watchOrderBook(feed.venueSymbol);
        attempt = 0;
        this.onBook(feed, book);
      } catch (err) {
        // The source closed the clients (shutdown): a new watch would open a new connection.
        if (this.stopped || err instanceof ccxt.ExchangeClosedByUser) break;
        if (err instanceof ccxt.ChecksumError) {
          // Binance: ccxt found a gap itself and has dropped the book and its subscription.
          this.gap(feed, errorText(err));
        } else if (!(err instanceof BookGapError)) {
          this.o.logger.warn({ exchange: feed.exchange, symbol: feed.symbol, attempt: attempt + 1, err: errorText(err) }, 'order book watch failed; retrying');
        }
        // The first retry after a gap is immediate; repeated failures back off like the trade feed.
        if (attempt > 0 || !(err instanceof BookGapError || err instanceof ccxt.ChecksumError)) {
          await this.sleep(reconnectDelayMs(attempt, this.o.live.reconnectBaseMs, this.o.live.reconnectMaxMs, this.random()));
        }
        attempt++;
      }
    }
  }

  private onBook(feed: BookFeed, book: unknown): void {
    // A book object ccxt has since replaced (a snapshot that landed after its book was dropped) is not the book.
    if (book !== feed.ex.orderbooks[feed.venueSymbol]) return;
    const b = book as { nonce?: unknown; timestamp?: unknown };
    const seen = this.trackers.get(feed.exchange)?.lastSeen(feed.marketId);
    if (bookBehindStream(b.nonce, seen)) {
      this.gap(feed, `book at sequence ${describeValue(b.nonce)} is behind the stream at ${seen}`);
      this.dropBook(feed, undefined);
      return;
    }
    if (feed.resyncing) {
      feed.resyncing = false;
      this.o.events?.resynced(feed.exchange, feed.symbol);
      this.o.logger.info({ exchange: feed.exchange, symbol: feed.symbol, seq: b.nonce }, 'order book resynchronised');
    }
    const check = bookTopOf(book);
    if (!check.ok) {
      this.o.events?.rejected(feed.exchange, feed.symbol, check.reason);
      return;
    }
    if (feed.last !== undefined && sameTop(feed.last, check.top)) return;
    feed.last = check.top;
    const venueTs = b.timestamp;
    const ts = typeof venueTs === 'number' && Number.isSafeInteger(venueTs) && venueTs > 0 ? venueTs : this.clock();
    const seq = typeof b.nonce === 'number' && Number.isSafeInteger(b.nonce) && b.nonce >= 0 ? b.nonce : undefined;
    this.o.sink.top(toBookTopMessage(feed.exchange, feed.symbol, check.top, ts, seq));
    this.o.events?.updated(feed.exchange, feed.symbol);
  }

  /** The frame tap: sequence check before ccxt applies the frame, so the rebuilt book starts with it. */
  private onFrame(id: LiveExchangeId, client: object, frame: object): void {
    try {
      const gap = this.trackers.get(id)?.observe(client, frame);
      if (gap === undefined) return;
      for (const feed of this.feeds) {
        if (feed.exchange !== id || (gap.market !== undefined && gap.market !== feed.marketId)) continue;
        this.gap(feed, `sequence gap: expected ${gap.expected}, got ${gap.got}`);
        const ws = client as WsClientLike;
        ws.reject(new BookGapError(`${id} ${feed.venueSymbol}: sequence gap`), this.dropBook(feed, ws));
      }
    } catch (err) {
      this.o.logger.error({ exchange: id, err: errorText(err) }, 'order book sequence check failed');
    }
  }

  private gap(feed: BookFeed, why: string): void {
    feed.resyncing = true;
    this.o.sink.invalidate(feed.exchange, feed.symbol);
    this.o.events?.gap(feed.exchange, feed.symbol);
    this.o.logger.warn({ exchange: feed.exchange, symbol: feed.symbol, why }, 'order book gap; resynchronising');
  }

  /** Makes ccxt rebuild `feed`'s book (see the class comment); returns the message hash of its watch. */
  private dropBook(feed: BookFeed, client: WsClientLike | undefined): string {
    const { ex, venueSymbol } = feed;
    const clients = client ? [client] : (Object.values(ex.clients) as unknown as WsClientLike[]);
    switch (feed.exchange) {
      case 'kucoin':
        ex.orderbooks[venueSymbol] = ex.orderBook({}, undefined);
        return `orderbook:${venueSymbol}`;
      case 'binanceus':
      case 'coinbase': {
        const hash = feed.exchange === 'binanceus' ? `orderbook::${venueSymbol}` : `level2::${venueSymbol}`;
        delete ex.orderbooks[venueSymbol];
        for (const c of clients) delete c.subscriptions[hash];
        return hash;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? truncateText(`${err.constructor.name}: ${err.message}`, 300) : describeValue(err, 300);
}

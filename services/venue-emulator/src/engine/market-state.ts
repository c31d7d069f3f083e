import { candlesFromTrades, selectCandles } from './candles';
import { decAdd, decCmp, decMul } from './decimal';
import { OrderBook, type AppliedUpdate } from './order-book';
import type { BookEvent, Candle, FeedEvent, MarketDef, TickerStats, TradeEvent, VenueId } from './types';

/** Trades kept per market for REST history and candles. */
export const TRADE_HISTORY = 20_000;

export type VenueUpdate =
  | { kind: 'trade'; market: MarketState; trade: TradeEvent }
  | { kind: 'book'; market: MarketState; ts: number; update: AppliedUpdate; snapshot: boolean };

export class MarketState {
  readonly book: OrderBook;
  readonly trades: TradeEvent[] = [];
  private stats: TickerStats;
  lastBookTs: number | undefined;

  constructor(readonly def: MarketDef, startSeq: number) {
    this.book = new OrderBook(startSeq);
    this.stats = {
      symbol: def.symbol,
      open: undefined,
      high: undefined,
      low: undefined,
      last: undefined,
      lastSize: undefined,
      volume: '0',
      quoteVolume: '0',
      count: 0,
      firstTradeId: undefined,
      lastTradeId: undefined,
      openTime: undefined,
      closeTime: undefined,
      bestBid: undefined,
      bestAsk: undefined,
    };
  }

  ticker(): TickerStats {
    const { bid, ask } = this.book.best();
    return { ...this.stats, bestBid: bid, bestAsk: ask };
  }

  applyTrade(t: TradeEvent): void {
    this.trades.push(t);
    if (this.trades.length > TRADE_HISTORY) this.trades.splice(0, this.trades.length - TRADE_HISTORY);
    const s = this.stats;
    s.open ??= t.price;
    s.openTime ??= t.ts;
    s.firstTradeId ??= t.id;
    if (s.high === undefined || decCmp(t.price, s.high) > 0) s.high = t.price;
    if (s.low === undefined || decCmp(t.price, s.low) < 0) s.low = t.price;
    s.last = t.price;
    s.lastSize = t.size;
    s.volume = decAdd(s.volume, t.size);
    s.quoteVolume = decAdd(s.quoteVolume, decMul(t.price, t.size));
    s.count += 1;
    s.lastTradeId = t.id;
    s.closeTime = t.ts;
  }

  applyBook(e: BookEvent): AppliedUpdate {
    this.lastBookTs = e.ts;
    return e.snapshot ? this.book.reset(e.bids, e.asks) : this.book.apply(e.bids, e.asks);
  }

  candles(timeframeMs: number, opts: { since?: number; until?: number; limit?: number } = {}): Candle[] {
    return selectCandles(candlesFromTrades(this.trades, timeframeMs), opts);
  }

  /** Trades newest last; `since` inclusive, at most `limit` (the newest). */
  recentTrades(opts: { since?: number; until?: number; limit?: number } = {}): TradeEvent[] {
    let out = this.trades.filter((t) => (opts.since === undefined || t.ts >= opts.since) && (opts.until === undefined || t.ts < opts.until));
    if (opts.limit !== undefined && out.length > opts.limit) out = out.slice(out.length - opts.limit);
    return out;
  }
}

/** Everything one venue knows: its markets and their state. */
export class VenueState {
  readonly markets = new Map<string, MarketState>();

  constructor(readonly venue: VenueId, defs: readonly MarketDef[], startSeq = 1_000_000) {
    defs.forEach((d, i) => this.markets.set(d.symbol, new MarketState(d, startSeq + i * 1_000_000_000)));
  }

  market(symbol: string): MarketState | undefined {
    return this.markets.get(symbol);
  }

  apply(e: FeedEvent): VenueUpdate | undefined {
    const m = this.markets.get(e.symbol);
    if (!m) return undefined;
    if (e.kind === 'trade') {
      m.applyTrade(e);
      return { kind: 'trade', market: m, trade: e };
    }
    return { kind: 'book', market: m, ts: e.ts, update: m.applyBook(e), snapshot: e.snapshot };
  }
}

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

  constructor(
    readonly def: MarketDef,
    startSeq: number,
    /** Trades kept for REST history and candles (bar markets keep their whole window). */
    readonly historyLimit = TRADE_HISTORY,
  ) {
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
    // Trimmed in chunks: one splice per limit/8 trades instead of one per trade.
    if (this.trades.length > this.historyLimit + Math.ceil(this.historyLimit / 8)) this.trades.splice(0, this.trades.length - this.historyLimit);
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
    // Only the trades of the buckets asked for are aggregated (trades are kept in time order).
    const from = opts.since === undefined ? undefined : Math.floor(opts.since / timeframeMs) * timeframeMs;
    const to = opts.until === undefined ? undefined : Math.ceil(opts.until / timeframeMs) * timeframeMs;
    return selectCandles(candlesFromTrades(this.tradesBetween(from, to), timeframeMs), opts);
  }

  /** Trades newest last; `since` inclusive, at most `limit` (the newest). */
  recentTrades(opts: { since?: number; until?: number; limit?: number } = {}): TradeEvent[] {
    let out = this.tradesBetween(opts.since, opts.until);
    if (opts.limit !== undefined && out.length > opts.limit) out = out.slice(out.length - opts.limit);
    return out;
  }

  /** Trades with `since` <= ts < `until`, by binary search (the replay appends them in time order). */
  private tradesBetween(since: number | undefined, until: number | undefined): TradeEvent[] {
    const lo = since === undefined ? 0 : lowerBound(this.trades, since);
    const hi = until === undefined ? this.trades.length : lowerBound(this.trades, until);
    return this.trades.slice(lo, Math.max(lo, hi));
  }
}

/** First index whose trade is at or after `ts`. */
function lowerBound(trades: readonly TradeEvent[], ts: number): number {
  let lo = 0;
  let hi = trades.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((trades[mid] as TradeEvent).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Everything one venue knows: its markets and their state. */
export class VenueState {
  readonly markets = new Map<string, MarketState>();
  private index: { idOf: (def: MarketDef) => string; size: number; byId: Map<string, MarketDef> } | undefined;

  constructor(
    readonly venue: VenueId,
    defs: readonly MarketDef[],
    startSeq = 1_000_000,
    /** Trade history per symbol where it differs from TRADE_HISTORY. */
    history: ReadonlyMap<string, number> = new Map(),
  ) {
    // Each book's sequence numbers start far from the others' (1e9 apart; 2,000+ markets stay safe integers).
    defs.forEach((d, i) => this.markets.set(d.symbol, new MarketState(d, startSeq + i * 1_000_000_000, history.get(d.symbol))));
  }

  market(symbol: string): MarketState | undefined {
    return this.markets.get(symbol);
  }

  /** The market whose venue id (`idOf`, a codec's marketId) is `id`; indexed, so thousands of markets stay cheap. */
  byVenueId(idOf: (def: MarketDef) => string, id: string): MarketDef | undefined {
    if (this.index?.idOf !== idOf || this.index.size !== this.markets.size) {
      const byId = new Map<string, MarketDef>();
      for (const m of this.markets.values()) byId.set(idOf(m.def), m.def);
      this.index = { idOf, size: this.markets.size, byId };
    }
    return this.index.byId.get(id);
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

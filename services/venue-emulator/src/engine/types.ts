/** Canonical market data the emulator replays; every venue encoder turns these into its own wire format. */
export type VenueId = 'binanceus' | 'coinbase' | 'kucoin';
export const VENUE_IDS: readonly VenueId[] = ['binanceus', 'coinbase', 'kucoin'];

export type Side = 'buy' | 'sell';
/** [price, size] as decimal strings, exactly as captured. Size "0" removes the level. */
export type Level = readonly [string, string];

export interface MarketDef {
  /** Canonical `BASE/QUOTE`. */
  symbol: string;
  base: string;
  quote: string;
}

export interface TradeEvent {
  kind: 'trade';
  symbol: string;
  /** Exchange time, ms since the epoch (already rebased by the replay). */
  ts: number;
  /** Venue trade id (monotonic per symbol). */
  id: number;
  price: string;
  size: string;
  /** The taker's side. */
  side: Side;
}

export interface BookEvent {
  kind: 'book';
  symbol: string;
  ts: number;
  bids: readonly Level[];
  asks: readonly Level[];
  /** True when the event replaces the whole book (a captured snapshot). */
  snapshot: boolean;
}

export type FeedEvent = TradeEvent | BookEvent;

export interface Candle {
  /** Open time, ms. */
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  count: number;
  takerBuyVolume: string;
  takerBuyQuoteVolume: string;
}

/** Rolling statistics of a market since replay start (the emulator's "24 h"). */
export interface TickerStats {
  symbol: string;
  open: string | undefined;
  high: string | undefined;
  low: string | undefined;
  last: string | undefined;
  lastSize: string | undefined;
  volume: string;
  quoteVolume: string;
  count: number;
  firstTradeId: number | undefined;
  lastTradeId: number | undefined;
  openTime: number | undefined;
  closeTime: number | undefined;
  bestBid: Level | undefined;
  bestAsk: Level | undefined;
}

/** Timeframes the emulator serves, in ms, keyed by the canonical (ccxt) name. */
export const TIMEFRAME_MS: Readonly<Record<string, number>> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
};

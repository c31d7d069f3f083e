/**
 * Synthetic markets: extra listings whose feed is a real capture market's feed, re-labelled and
 * with prices multiplied by a small integer. Each synthetic market has its own book (its own
 * sequence numbers in the venue state) and the source market's trade ids, which are unique and
 * increasing within the market. Events are derived on demand from the shared source events.
 */
import { decMul } from './decimal';
import type { EventSeries } from './replay';
import type { FeedEvent, Level, MarketDef, VenueId } from './types';

export const MAX_SYNTHETIC_MARKETS = 2000;

/** The quote every synthetic market of a venue uses (a quote that venue really lists). */
export const SYNTHETIC_QUOTE: Readonly<Record<VenueId, string>> = { binanceus: 'USDT', coinbase: 'USD', kucoin: 'USDT' };

/**
 * Synthetic market `n` (1-based) of a venue: `S0001/USDT` … on Binance.US and KuCoin,
 * `S0001/USD` … on Coinbase. The base is `S` and four digits, a valid fleet symbol that no real
 * asset uses.
 */
export function syntheticMarket(venue: VenueId, n: number): MarketDef {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SYNTHETIC_MARKETS) throw new Error(`synthetic market number must be 1..${MAX_SYNTHETIC_MARKETS}`);
  const base = `S${String(n).padStart(4, '0')}`;
  const quote = SYNTHETIC_QUOTE[venue];
  return { symbol: `${base}/${quote}`, base, quote };
}

/** The price multiplier of synthetic market `n`: 2..9, so prices keep their number of decimals. */
export function syntheticFactor(n: number): string {
  return String(2 + ((n - 1) % 8));
}

const scale = (ls: readonly Level[], f: string): Level[] => ls.map(([p, s]) => [decMul(p, f), s] as const);

/** `source` (one market's events, time-ordered) as the market `def`, prices times `factor`. */
export function syntheticSeries(source: EventSeries, def: MarketDef, factor: string): EventSeries {
  return {
    length: source.length,
    ts: (i) => source.ts(i),
    event: (i): FeedEvent => {
      const e = source.event(i);
      if (e.kind === 'trade') return { ...e, symbol: def.symbol, price: decMul(e.price, factor) };
      return { ...e, symbol: def.symbol, bids: scale(e.bids, factor), asks: scale(e.asks, factor) };
    },
    tradeIds: source.tradeIds,
  };
}

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

/**
 * `source` with prices times `factor`, still under the source's symbol. The last event is kept:
 * the synthetic markets that share a source and a factor take the same event one after another
 * (same time, consecutive in the merge), so each event is scaled once for all of them.
 */
export function scaledSeries(source: EventSeries, factor: string): EventSeries {
  let lastIndex = -1;
  let last: FeedEvent | undefined;
  return {
    length: source.length,
    ts: (i) => source.ts(i),
    event: (i): FeedEvent => {
      if (i === lastIndex && last) return last;
      const e = source.event(i);
      last = e.kind === 'trade' ? { ...e, price: decMul(e.price, factor) } : { ...e, bids: scale(e.bids, factor), asks: scale(e.asks, factor) };
      lastIndex = i;
      return last;
    },
    tradeIds: source.tradeIds,
  };
}

/** `source` re-labelled as the market `def` (levels are shared, never mutated). */
export function relabelSeries(source: EventSeries, def: MarketDef): EventSeries {
  return {
    length: source.length,
    ts: (i) => source.ts(i),
    event: (i): FeedEvent => ({ ...source.event(i), symbol: def.symbol }),
    tradeIds: source.tradeIds,
  };
}

/** `source` (one market's events, time-ordered) as the market `def`, prices times `factor`. */
export function syntheticSeries(source: EventSeries, def: MarketDef, factor: string): EventSeries {
  return relabelSeries(scaledSeries(source, factor), def);
}

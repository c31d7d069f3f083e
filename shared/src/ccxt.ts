/**
 * The ccxt.pro clients of the venues the fleet trades on, in one place for price-stream (market
 * data) and execution (orders). A subpath of the kit (`@cte/shared/ccxt`), not in its barrel, so
 * only the services that talk to a venue load ccxt.
 */
import * as ccxt from 'ccxt';

/** The venues with a ccxt client (each has a wire-faithful emulator in services/venue-emulator). */
export const CCXT_VENUES = ['binanceus', 'coinbase', 'kucoin'] as const;
export type CcxtVenueId = (typeof CCXT_VENUES)[number];

/** One type for the three clients: they share ccxt.pro's Exchange surface the fleet uses. */
export type ProExchange = InstanceType<(typeof ccxt.pro)['binanceus']>;

type ProExchangeClass = new (opts: Record<string, unknown>) => ProExchange;

const CLASSES: Record<CcxtVenueId, ProExchangeClass> = {
  binanceus: ccxt.pro.binanceus,
  coinbase: ccxt.pro.coinbase as unknown as ProExchangeClass,
  kucoin: ccxt.pro.kucoin as unknown as ProExchangeClass,
};

/** A new ccxt.pro client of `venue` with ccxt's constructor options `opts`. */
export function newProExchange(venue: CcxtVenueId, opts: Record<string, unknown>): ProExchange {
  return new CLASSES[venue](opts);
}

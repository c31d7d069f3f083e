/**
 * Several live venues behind the one `Venue` the service talks to: each symbol is traded on exactly
 * one venue (LIVE_SYMBOLS_<VENUE>), so every call goes to the venue of its symbol. Fills carry
 * their own venue's id, so trades stay unique per (venue, venue_trade_id).
 */
import type { Symbol } from '@cte/shared';
import type { VenueAccountBalances } from '../engine/venue-balances';
import type { FillHandler, OrderUpdateHandler, Venue, VenueAck, VenueOrderRef, VenueOrderRequest, VenueOrderState } from './venue';

export interface RoutedVenue {
  venue: Venue;
  symbols: readonly Symbol[];
}

export class VenueRouter implements Venue {
  readonly name: string;
  private readonly bySymbol = new Map<Symbol, Venue>();
  private readonly venues: Venue[];

  constructor(routes: readonly RoutedVenue[]) {
    this.venues = routes.map((r) => r.venue);
    // orders.venue is VARCHAR(32): 'binanceus+coinbase+kucoin' fits.
    this.name = this.venues.map((v) => v.name).join('+');
    for (const r of routes) {
      for (const s of r.symbols) {
        if (this.bySymbol.has(s)) throw new Error(`${s} is routed to two venues`);
        this.bySymbol.set(s, r.venue);
      }
    }
  }

  private of(symbol: Symbol): Venue | undefined {
    return this.bySymbol.get(symbol);
  }

  async submit(order: VenueOrderRequest): Promise<VenueAck> {
    const v = this.of(order.symbol);
    if (!v) return { accepted: false, reason: `no_venue_for_symbol: ${order.symbol}`.slice(0, 64) };
    return v.submit(order);
  }

  async cancel(ref: VenueOrderRef): Promise<boolean> {
    const v = this.of(ref.symbol);
    return v ? v.cancel(ref) : false;
  }

  async fetchOpenOrders(symbol?: Symbol): Promise<VenueOrderState[]> {
    if (symbol !== undefined) return (await this.of(symbol)?.fetchOpenOrders(symbol)) ?? [];
    return (await Promise.all(this.venues.map((v) => v.fetchOpenOrders()))).flat();
  }

  async fetchOrder(ref: VenueOrderRef): Promise<VenueOrderState | undefined> {
    return this.of(ref.symbol)?.fetchOrder(ref);
  }

  async accountBalances(): Promise<VenueAccountBalances[]> {
    return (await Promise.all(this.venues.map((v) => (v.accountBalances ? v.accountBalances() : Promise.resolve([]))))).flat();
  }

  onFill(handler: FillHandler): void {
    for (const v of this.venues) v.onFill(handler);
  }

  onOrderUpdate(handler: OrderUpdateHandler): void {
    for (const v of this.venues) v.onOrderUpdate(handler);
  }

  async close(): Promise<void> {
    await Promise.all(this.venues.map((v) => v.close()));
  }
}

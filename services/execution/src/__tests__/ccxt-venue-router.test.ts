/** Several live venues behind one Venue: each symbol goes to its own venue. */
import { Dec } from '@cte/shared';
import { VenueRouter } from '../adapters/ccxt-venue-router';
import type { FillHandler, OrderUpdateHandler, Venue, VenueAck, VenueOrderRef, VenueOrderRequest, VenueOrderState } from '../adapters/venue';

class RecordingVenue implements Venue {
  readonly calls: string[] = [];
  handler: FillHandler | undefined;
  updates: OrderUpdateHandler | undefined;
  closed = false;

  constructor(readonly name: string) {}

  async submit(o: VenueOrderRequest): Promise<VenueAck> {
    this.calls.push(`submit ${o.symbol}`);
    return { accepted: true, venueOrderId: `${this.name}-1` };
  }

  async cancel(ref: VenueOrderRef): Promise<boolean> {
    this.calls.push(`cancel ${ref.symbol}`);
    return true;
  }

  async fetchOpenOrders(): Promise<VenueOrderState[]> {
    return [{ venueOrderId: `${this.name}-open`, orderId: '', clientOrderId: '', symbol: 'X/Y', status: 'open', filledQty: new Dec(0), fills: [] }];
  }

  async fetchOrder(ref: VenueOrderRef): Promise<VenueOrderState | undefined> {
    this.calls.push(`fetch ${ref.symbol}`);
    return undefined;
  }

  onFill(h: FillHandler): void {
    this.handler = h;
  }

  onOrderUpdate(h: OrderUpdateHandler): void {
    this.updates = h;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const order = (symbol: string): VenueOrderRequest => ({ orderId: 'o', clientOrderId: 'c', symbol, side: 'buy', type: 'market', qty: new Dec(1), limitPrice: null });

it('routes every call by symbol, merges open orders, and refuses a symbol no venue trades', async () => {
  const a = new RecordingVenue('binanceus');
  const b = new RecordingVenue('kucoin');
  const r = new VenueRouter([
    { venue: a, symbols: ['BTC/USDT'] },
    { venue: b, symbols: ['ETH/USDT'] },
  ]);
  expect(r.name).toBe('binanceus+kucoin');
  expect(await r.submit(order('ETH/USDT'))).toEqual({ accepted: true, venueOrderId: 'kucoin-1' });
  expect(await r.submit(order('BTC/USDT'))).toEqual({ accepted: true, venueOrderId: 'binanceus-1' });
  expect(await r.submit(order('SOL/USDT'))).toEqual({ accepted: false, reason: 'no_venue_for_symbol: SOL/USDT' });
  await r.cancel({ orderId: 'o', clientOrderId: 'c', venueOrderId: 'v', symbol: 'ETH/USDT' });
  await r.fetchOrder({ orderId: 'o', clientOrderId: 'c', venueOrderId: null, symbol: 'BTC/USDT' });
  expect(a.calls).toEqual(['submit BTC/USDT', 'fetch BTC/USDT']);
  expect(b.calls).toEqual(['submit ETH/USDT', 'cancel ETH/USDT']);
  expect((await r.fetchOpenOrders()).map((o) => o.venueOrderId)).toEqual(['binanceus-open', 'kucoin-open']);
  const h: FillHandler = () => undefined;
  r.onFill(h);
  expect([a.handler, b.handler]).toEqual([h, h]);
  const u: OrderUpdateHandler = () => undefined;
  r.onOrderUpdate(u);
  expect([a.updates, b.updates]).toEqual([u, u]);
  await r.close();
  expect([a.closed, b.closed]).toEqual([true, true]);
});

it('refuses a symbol routed to two venues', () => {
  const a = new RecordingVenue('binanceus');
  expect(() => new VenueRouter([{ venue: a, symbols: ['BTC/USDT'] }, { venue: new RecordingVenue('kucoin'), symbols: ['BTC/USDT'] }])).toThrow(/BTC\/USDT is routed to two venues/);
});

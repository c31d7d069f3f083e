import type { Dec, Symbol } from '@cte/shared';
import { PaperExchange, venueOrderIdFor, type PaperExchangeOptions, type PaperOrderState } from '../engine/paper-exchange';
import type { Fill } from '../engine/types';
import type { FillHandler, OpenOrderSnapshot, Venue, VenueAck, VenueOrderRef, VenueOrderRequest, VenueOrderState } from './venue';

/**
 * The paper venue (TRADING_MODE=mock): the PaperExchange engine fed by price-stream's ticks.
 * Resting orders live in this process's memory; after a restart the service re-registers its open
 * orders from MySQL (`restoreOpenOrders`) before it reports ready.
 */
export class MockVenue implements Venue {
  readonly name: string;
  readonly exchange: PaperExchange;
  private handler: FillHandler | undefined;

  constructor(
    opts: PaperExchangeOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.exchange = new PaperExchange(opts);
    this.name = opts.venue;
  }

  onFill(handler: FillHandler): void {
    this.handler = handler;
  }

  /** No-op: a paper order changes status only through submit, its fills and our cancel, each of which the service already sees. */
  onOrderUpdate(): void {}

  /** A price from the feed: fills resting orders it crosses. */
  onPrice(symbol: Symbol, price: Dec, ts: number): void {
    this.emit(this.exchange.onPrice(symbol, price, ts, this.clock()));
  }

  /** `order.dataTime` (when the caller has it): fills at the first price at or after it. */
  async submit(order: VenueOrderRequest): Promise<VenueAck> {
    const r = this.exchange.submit(order, this.clock(), order.dataTime);
    if (!r.accepted) return r;
    // Fills of a marketable order are emitted right away; the service applies them after it has
    // stored SUBMITTED (they queue behind this order's submission).
    this.emit(r.fills);
    return { accepted: true, venueOrderId: r.venueOrderId };
  }

  async cancel(ref: VenueOrderRef): Promise<boolean> {
    return this.exchange.cancel(ref.venueOrderId ?? venueOrderIdFor(ref.orderId));
  }

  async fetchOpenOrders(symbol?: Symbol): Promise<VenueOrderState[]> {
    return this.exchange.openOrders(symbol).map(toVenueState);
  }

  async fetchOrder(ref: VenueOrderRef): Promise<VenueOrderState | undefined> {
    const s = this.exchange.order(ref.venueOrderId ?? venueOrderIdFor(ref.orderId));
    return s ? toVenueState(s) : undefined;
  }

  async restoreOpenOrders(orders: readonly OpenOrderSnapshot[]): Promise<void> {
    for (const o of orders) this.exchange.restore(o);
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }

  private emit(fills: readonly Fill[]): void {
    if (!this.handler) return;
    for (const f of fills) this.handler(f);
  }
}

function toVenueState(s: PaperOrderState): VenueOrderState {
  return {
    venueOrderId: s.venueOrderId,
    orderId: s.orderId,
    clientOrderId: s.clientOrderId,
    symbol: s.symbol,
    status: s.status,
    filledQty: s.filledQty,
    fills: [],
  };
}

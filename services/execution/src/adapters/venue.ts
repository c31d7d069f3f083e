/**
 * The venue boundary. The mock paper venue implements it today; a ccxt venue (Coinbase Advanced,
 * Binance.US, KuCoin) implements the same interface later without touching the order manager.
 */
import type { Dec, OrderSide, Symbol } from '@cte/shared';
import type { Fill } from '../engine/types';
import type { OrderType } from '../engine/validation';
import type { VenueOrderStatus } from '../engine/venue-update';
import type { VenueAccountBalances } from '../engine/venue-balances';

export interface VenueOrderRequest {
  /** Our order id. */
  orderId: string;
  /** Sent to the venue as its client order id, so the venue itself dedupes a resend. */
  clientOrderId: string;
  symbol: Symbol;
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  limitPrice: Dec | null;
  /** The order's data time (epoch ms), when it has one: the paper venue fills at the first price at or after it; live venues ignore it (they fill at market). */
  dataTime?: number;
}

export type VenueAck = { accepted: true; venueOrderId: string } | { accepted: false; reason: string };

export interface VenueOrderRef {
  orderId: string;
  clientOrderId: string;
  venueOrderId: string | null;
  symbol: Symbol;
}

/** What the venue says about one order (for reconciliation). */
export interface VenueOrderState {
  venueOrderId: string;
  orderId: string;
  clientOrderId: string;
  symbol: Symbol;
  status: 'open' | 'filled' | 'canceled' | 'rejected' | 'expired';
  filledQty: Dec;
  /** Fills of the order the venue reports (a ccxt venue: fetchMyTrades); applied idempotently. */
  fills: Fill[];
}

/** An open order from our database, handed to a venue that needs it back after a restart. */
export interface OpenOrderSnapshot extends VenueOrderRequest {
  venueOrderId: string;
  filledQty: Dec;
  fillCount: number;
}

export type FillHandler = (fill: Fill) => void;

export type { VenueOrderStatus };

/**
 * A status change of one of our orders seen at the venue: from its user stream, or from a REST
 * reconciliation (periodic, after a reconnect, after a failed cancel). Statuses never carry fills:
 * filled quantity only ever comes from fills (`onFill`); `filledQty` is what the venue reported,
 * for logs. Delivered at least once and possibly out of order: the service applies it through
 * the order state machine, so a repeat or a late update never moves an order backwards.
 */
export interface VenueOrderUpdate {
  orderId: string;
  clientOrderId: string;
  /** The venue's order id; null when the venue provably has no such order (status `rejected`). */
  venueOrderId: string | null;
  symbol: Symbol;
  status: VenueOrderStatus;
  filledQty: Dec;
  /** Why it ended ('' when the venue gave no reason). */
  reason: string;
  source: 'stream' | 'rest';
  /** When it was seen (wall clock, epoch ms). */
  ts: number;
}

export type OrderUpdateHandler = (update: VenueOrderUpdate) => void;

export interface Venue {
  /** `mock`, or a ccxt exchange id. */
  readonly name: string;
  submit(order: VenueOrderRequest): Promise<VenueAck>;
  /** true when canceled; false when the venue no longer has it open (filled or gone). */
  cancel(ref: VenueOrderRef): Promise<boolean>;
  fetchOpenOrders(symbol?: Symbol): Promise<VenueOrderState[]>;
  /** undefined when the venue does not know the order. */
  fetchOrder(ref: VenueOrderRef): Promise<VenueOrderState | undefined>;
  /** Every fill, as it happens (possibly synchronously inside submit). One handler. */
  onFill(handler: FillHandler): void;
  /**
   * Every status change of our orders the venue makes on its own (a cancel or expiry at the
   * venue, an ambiguous submission resolved). One handler. A venue whose orders change only
   * through our own calls (the paper venue) never calls it.
   */
  onOrderUpdate(handler: OrderUpdateHandler): void;
  /**
   * Only for venues that keep no state of their own across our restarts (the mock venue keeps
   * resting orders in memory): re-register our open orders before reconciliation.
   */
  restoreOpenOrders?(orders: readonly OpenOrderSnapshot[]): Promise<void>;
  /** Live venues only: each venue's account balances, a venue that fails reported with its error. */
  accountBalances?(): Promise<VenueAccountBalances[]>;
  close(): Promise<void>;
}

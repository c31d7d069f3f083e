import type { Dec, OrderEventMessage, OrderSide, OrderStatus, Symbol, TradingStateName } from '@cte/shared/core';
import type { OrderType } from './validation';

/** An order as the engine sees it (money as Dec). */
export interface Order {
  id: string;
  clientOrderId: string;
  venue: string;
  /** Set once the venue acknowledged it. */
  venueOrderId: string | null;
  symbol: Symbol;
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  limitPrice: Dec | null;
  status: OrderStatus;
  filledQty: Dec;
  avgFillPrice: Dec | null;
  fees: Dec;
  feeCurrency: string;
  /** Why rejected / failed / canceled / expired; '' otherwise. */
  reason: string;
  recommendationId: string;
  traceId: string;
  /** The order's data time (epoch ms) when the caller gave one: the paper venue fills at the first price at or after it. */
  dataTime?: number;
  /** Wall time, epoch ms. */
  createdAt: number;
  updatedAt: number;
}

export type Liquidity = 'maker' | 'taker';

/** One execution of (part of) an order at a venue. */
export interface Fill {
  venue: string;
  venueTradeId: string;
  venueOrderId: string;
  orderId: string;
  clientOrderId: string;
  symbol: Symbol;
  side: OrderSide;
  qty: Dec;
  price: Dec;
  /** In feeCurrency (the quote currency). */
  fee: Dec;
  feeCurrency: string;
  liquidity: Liquidity;
  /** Data time of the fill (the price's ts). */
  ts: number;
}

export type OrderEventName = OrderEventMessage['event'];

export const EVENT_FOR_STATUS: Readonly<Record<OrderStatus, OrderEventName>> = {
  NEW: 'created',
  SUBMITTED: 'submitted',
  PARTIALLY_FILLED: 'partially_filled',
  FILLED: 'filled',
  CANCELED: 'canceled',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  FAILED: 'failed',
};

export type { TradingStateName };

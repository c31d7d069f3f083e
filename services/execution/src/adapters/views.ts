import type { Order } from '../engine/types';

/** An order as REST returns it (and, with '' for null, gRPC). */
export interface OrderView {
  id: string;
  client_order_id: string;
  venue: string;
  venue_order_id: string | null;
  symbol: string;
  side: string;
  type: string;
  qty: string;
  limit_price: string | null;
  status: string;
  filled_qty: string;
  avg_fill_price: string | null;
  fees: string;
  fee_currency: string;
  reason: string;
  recommendation_id: string;
  trace_id: string;
  created_at: number;
  updated_at: number;
}

export function toOrderView(o: Order): OrderView {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    venue: o.venue,
    venue_order_id: o.venueOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty.toFixed(),
    limit_price: o.limitPrice?.toFixed() ?? null,
    status: o.status,
    filled_qty: o.filledQty.toFixed(),
    avg_fill_price: o.avgFillPrice?.toFixed() ?? null,
    fees: o.fees.toFixed(),
    fee_currency: o.feeCurrency,
    reason: o.reason,
    recommendation_id: o.recommendationId,
    trace_id: o.traceId,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

import type * as grpc from '@grpc/grpc-js';
import { serverStream, unary, untilAborted, type ExecutionHandlers, type Symbol } from '@cte/shared';
import type { Order } from '../engine/types';
import type { ExecutionService, OrderEventNotice } from './execution-service';

/** The generated message types, derived from the handler types (no extra contract exports needed). */
type OrderProto = ExecutionHandlers['GetOrder'] extends grpc.handleUnaryCall<infer _Req, infer Res> ? Res : never;

export function executionGrpcHandlers(svc: ExecutionService): ExecutionHandlers {
  return {
    Submit: unary(async (req, _call, ctx) => toOrderProto((await svc.submit(req, ctx.traceId)).order)),
    Cancel: unary(async (req) => toOrderProto(await svc.cancel({ id: req.id, client_order_id: req.client_order_id }))),
    GetOrder: unary(async (req) => toOrderProto(await svc.getOrder({ id: req.id, client_order_id: req.client_order_id }))),
    ListOrders: unary(async (req) => {
      const r = await svc.listOrders({ status: req.status, symbol: req.symbol, limit: req.limit, offset: req.offset });
      return { orders: r.orders.map(toOrderProto), total: r.total };
    }),
    GetVenueBalances: unary(async () => ({
      venues: (await svc.venueBalances()).map((v) => ({ venue: v.venue, balances: v.balances.map((b) => ({ asset: b.asset, total: b.total })), error: v.error ?? '' })),
    })),
    StreamOrderEvents: serverStream(async (call, ctx) => {
      const filter = new Set<Symbol>();
      for (const s of call.request.symbols ?? []) filter.add(svc.symbols.require(s, 'symbols'));
      const listener = (n: OrderEventNotice): void => {
        if (filter.size === 0 || filter.has(n.order.symbol)) call.write({ event: n.message.event, order: toOrderProto(n.order), ts: String(n.message.ts), trace_id: n.message.trace_id });
      };
      svc.events.on('order', listener);
      try {
        await untilAborted(ctx.signal);
      } finally {
        svc.events.off('order', listener);
      }
    }),
  };
}

export function toOrderProto(o: Order): OrderProto {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    venue: o.venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty.toFixed(),
    limit_price: o.limitPrice?.toFixed() ?? '',
    status: o.status,
    filled_qty: o.filledQty.toFixed(),
    avg_fill_price: o.avgFillPrice?.toFixed() ?? '',
    fees: o.fees.toFixed(),
    fee_currency: o.feeCurrency,
    reason: o.reason,
    recommendation_id: o.recommendationId,
    created_at: String(o.createdAt),
    updated_at: String(o.updatedAt),
    venue_order_id: o.venueOrderId ?? '',
  };
}

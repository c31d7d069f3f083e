import type { Router } from 'express';
import type { ExecutionService } from './execution-service';
import type { TradingStateGuard } from './trading-state';
import { toOrderView } from './views';

/**
 * REST routes, mounted on the kit's protected router (X-TRADING-API-KEY, JSON errors). There is
 * one API key today; `POST /orders` and `DELETE /orders/:id` are the "trade" role once roles arrive.
 */
export interface VenuePrice {
  symbol: string;
  price: string;
  ts: number;
}

export function mountExecutionRoutes(router: Router, svc: ExecutionService, tradingState: TradingStateGuard, venuePrices: () => { data_time: number; prices: VenuePrice[] }): void {
  router.post('/orders', async (req, res) => {
    const r = await svc.submit(req.body, req.traceId, true);
    res.status(r.created ? 201 : 200).json(toOrderView(r.order));
  });
  router.get('/orders', async (req, res) => {
    const q = req.query;
    const r = await svc.listOrders({ status: q.status, symbol: q.symbol, limit: q.limit, offset: q.offset });
    res.json({ orders: r.orders.map(toOrderView), total: r.total });
  });
  router.get('/orders/:id', async (req, res) => {
    res.json(toOrderView(await svc.getOrder({ id: req.params.id })));
  });
  router.delete('/orders/:id', async (req, res) => {
    res.json(toOrderView(await svc.cancel({ id: req.params.id })));
  });
  router.get('/trades', async (req, res) => {
    const q = req.query;
    res.json(await svc.listTrades({ symbol: q.symbol, order_id: q.order_id, limit: q.limit, offset: q.offset }));
  });
  router.get('/positions', async (_req, res) => {
    res.json({ positions: await svc.positions() });
  });
  router.get('/prices', (_req, res) => {
    res.json(venuePrices());
  });
  router.get('/trading-state', (_req, res) => {
    const s = tradingState.state;
    res.json(s ? { known: true, state: s.state, reason: s.reason, updated_at: s.updatedAt, updated_by: s.updatedBy, source: s.source } : { known: false });
  });
}

import type { Router } from 'express';
import { InvalidArgumentError } from '@cte/shared';
import type { PriceStreamApi } from './price-stream-api';

/** REST routes; mounted on the kit's protected router (API key, JSON body limit, JSON errors). */
export function mountPriceStreamRoutes(router: Router, api: PriceStreamApi): void {
  router.get('/prices/:symbol', (req, res) => {
    res.json(api.getPrice(req.params.symbol));
  });
  router.get('/prices', (req, res) => {
    res.json(api.getPrices(req.query.symbols));
  });
  router.get('/bars/:symbol', async (req, res) => {
    const q = req.query;
    const page = await api.getBars({ symbol: req.params.symbol, timeframe: q.timeframe, from: q.from, to: q.to, limit: q.limit, cursor: q.cursor, exchange: q.exchange });
    res.json({ bars: page.bars, next_cursor: page.nextCursor ?? null });
  });
  router.post('/monitors', async (req, res) => {
    res.status(201).json(await api.startMonitor(req.body));
  });
  router.get('/monitors', async (req, res) => {
    const flag = req.query.include_inactive;
    if (flag !== undefined && flag !== '' && flag !== 'true' && flag !== 'false') throw new InvalidArgumentError('include_inactive must be true or false');
    const includeInactive = flag === 'true';
    res.json({ monitors: await api.listMonitors(includeInactive) });
  });
  router.get('/monitors/:id', async (req, res) => {
    const m = await api.getMonitor(req.params.id);
    res.json({ ...m, active: m.active && (await api.isMonitorActive(m.id)) });
  });
  router.delete('/monitors/:id', async (req, res) => {
    res.json(await api.stopMonitor(req.params.id));
  });
  router.get('/alerts', async (req, res) => {
    const q = req.query;
    res.json(await api.listAlerts({ symbol: q.symbol, monitorId: q.monitor_id, from: q.from, to: q.to, limit: q.limit, offset: q.offset }));
  });
}

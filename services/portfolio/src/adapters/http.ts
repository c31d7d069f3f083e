import type { Router } from 'express';
import type { PortfolioApi } from './portfolio-api';

/** REST routes; mounted on the kit's protected router (API key, JSON body, JSON errors). */
export function mountPortfolioRoutes(router: Router, api: PortfolioApi): void {
  router.get('/portfolio', (_req, res) => {
    res.json(api.summary());
  });
  router.get('/positions', (req, res) => {
    res.json(api.positions(req.query.open));
  });
  router.get('/balances', (_req, res) => {
    res.json(api.balances());
  });
  router.get('/pnl', (_req, res) => {
    res.json(api.pnl());
  });
  router.get('/exposure', (_req, res) => {
    res.json(api.exposure());
  });
  router.get('/snapshots', async (req, res) => {
    const q = req.query;
    res.json(await api.snapshots({ from: q.from, to: q.to, limit: q.limit }));
  });
  router.post('/rebalance', async (req, res) => {
    res.json(await api.rebalance(req.body, req.traceId));
  });
}

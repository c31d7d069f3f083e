import type { Router } from 'express';
import type { AggregatorApi } from './aggregator-api';

/** REST routes; mounted on the kit's protected router (API key, JSON errors). */
export function mountAggregatorRoutes(router: Router, api: AggregatorApi): void {
  router.get('/consensus/:symbol', (req, res) => {
    res.json(api.getConsensus(req.params.symbol));
  });
  router.get('/consensus', async (req, res) => {
    const q = req.query;
    res.json(await api.listConsensus({ symbol: q.symbol, limit: q.limit, offset: q.offset }));
  });
  router.get('/signals', async (req, res) => {
    const q = req.query;
    res.json(await api.listSignals({ symbol: q.symbol, agent: q.agent, limit: q.limit, offset: q.offset }));
  });
  router.get('/sources', (_req, res) => {
    res.json({ sources: api.listSources() });
  });
}

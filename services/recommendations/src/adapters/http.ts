import type { Router } from 'express';
import type { RecommendationsApi } from './api';

/** REST routes; mounted on the kit's protected router (API key, JSON errors). */
export function mountRecommendationRoutes(router: Router, api: RecommendationsApi): void {
  router.get('/recommendations', async (req, res) => {
    const q = req.query;
    res.json(await api.list({ status: q.status, symbol: q.symbol, limit: q.limit, offset: q.offset }));
  });
  router.get('/recommendations/:id', async (req, res) => {
    res.json(await api.get(req.params.id));
  });
}

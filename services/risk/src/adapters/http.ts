import type { Router } from 'express';
import { describeValue, InvalidArgumentError } from '@cte/shared';
import type { RiskService } from './risk-service';

const UPDATED_BY = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;

function updatedBy(body: unknown): string {
  const v = typeof body === 'object' && body !== null ? (body as { updated_by?: unknown }).updated_by : undefined;
  if (v === undefined) return 'operator';
  if (typeof v !== 'string' || !UPDATED_BY.test(v)) throw new InvalidArgumentError(`updated_by is invalid: ${describeValue(v)}`);
  return v;
}

/** REST routes; mounted on the kit's protected router (API key, JSON body, JSON errors). */
export function mountRiskRoutes(router: Router, service: RiskService): void {
  router.post('/check', async (req, res) => {
    res.json(await service.check((req.body ?? {}) as Record<string, unknown>, req.traceId));
  });

  const getState = (_req: unknown, res: { json(v: unknown): void }): void => res.json(service.getTradingState());
  router.get('/kill-switch', getState);
  router.get('/trading-state', getState);
  const setState = async (req: { body?: unknown }, res: { json(v: unknown): void }): Promise<void> => {
    const body = (req.body ?? {}) as { state?: unknown; reason?: unknown };
    res.json(await service.setTradingState(body, updatedBy(body)));
  };
  router.post('/kill-switch', setState);
  router.put('/trading-state', setState);

  router.get('/limits', (_req, res) => {
    res.json(service.getLimits());
  });
  router.put('/limits', async (req, res) => {
    const body: unknown = req.body;
    const by = typeof body === 'object' && body !== null && 'updated_by' in body ? updatedBy(body) : 'operator';
    const limits = typeof body === 'object' && body !== null ? { ...(body as Record<string, unknown>) } : body;
    if (typeof limits === 'object' && limits !== null) delete (limits as Record<string, unknown>).updated_by;
    res.json(await service.updateLimits(limits, by));
  });

  router.get('/events', async (req, res) => {
    const q = req.query;
    res.json(await service.listEvents({ limit: q.limit, offset: q.offset, decision: q.decision, kind: q.kind, symbol: q.symbol, recommendation_id: q.recommendation_id }));
  });

  router.get('/stats', (_req, res) => {
    res.json(service.stats());
  });
}

import { Router } from 'express';
import { ID_RE, InvalidArgumentError, type TradableSymbols } from '@cte/shared';
import type { SignalRepository } from './signal-repository';

const intParam = (raw: unknown, name: string, min: number, max: number, dflt: number): number => {
  if (raw === undefined || raw === '') return dflt;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

/** `GET /signals?symbol=&agent=&limit=&offset=`: this service's own signals from `ml_signals`, newest first. */
export function signalRoutes(signals: SignalRepository, symbols: TradableSymbols): Router {
  const router = Router();
  router.get('/signals', async (req, res) => {
    const q = req.query;
    const agent = q.agent;
    if (agent !== undefined && (typeof agent !== 'string' || !ID_RE.test(agent))) throw new InvalidArgumentError('agent must be an agent id');
    res.json(
      await signals.list({
        symbol: q.symbol === undefined || q.symbol === '' ? undefined : symbols.require(q.symbol),
        agentId: agent,
        limit: intParam(q.limit, 'limit', 1, 1000, 100),
        offset: intParam(q.offset, 'offset', 0, 1_000_000, 0),
      }),
    );
  });
  return router;
}

/**
 * REST for the model registry; mounted on the kit's protected router (API key,
 * JSON errors from DomainErrors):
 *   GET  /models          every model directory: key, version, metrics, feature count, loaded_at, errors
 *   GET  /models/:key     one of them (`BTC-USD_1h`); 404 when unknown
 *   POST /models/reload   re-read MODEL_DIR now; returns what changed and the new list
 */
import { Router } from 'express';
import { describeValue, InvalidArgumentError, NotFoundError } from '@cte/shared';
import type { ModelsSnapshot, ModelStatus, ReloadReport } from './model-registry';

/** What the routes need from the registry. */
export interface ModelRoutesRegistry {
  snapshot(): ModelsSnapshot;
  status(key: string): ModelStatus | undefined;
  reload(): Promise<ReloadReport>;
}

const KEY = /^[A-Za-z0-9][\w.-]{0,63}$/;

export function modelRoutes(registry: ModelRoutesRegistry): Router {
  const router = Router();
  router.get('/models', (_req, res) => {
    res.json(registry.snapshot());
  });
  router.post('/models/reload', async (_req, res) => {
    const report = await registry.reload();
    res.json({ reload: report, ...registry.snapshot() });
  });
  router.get('/models/:key', (req, res) => {
    const key = req.params.key;
    if (!KEY.test(key)) throw new InvalidArgumentError(`invalid model key ${describeValue(key)}: expected e.g. BTC-USD_1h`);
    const status = registry.status(key);
    if (status === undefined) throw new NotFoundError(`no model ${key}`);
    res.json(status);
  });
  return router;
}

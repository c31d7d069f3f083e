import { startService, type RunningService } from '@cte/testkit';

export { freePort, metricValue, waitFor, type RunningService } from '@cte/testkit';

/** Starts the compiled signals-aggregator (`npm run build` first) and waits until its stream consumer runs. */
export function startAggregator(env: Record<string, string>, apiKey = `test-key-${Math.random().toString(36).slice(2)}-${Date.now()}`): Promise<RunningService> {
  return startService('signals-aggregator', { env, apiKey, readyLog: 'signals-aggregator ready' });
}

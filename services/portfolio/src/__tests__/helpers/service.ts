import { startService, type RunningService, type StartServiceOptions } from '@cte/testkit';

export { metricValue } from '@cte/testkit';

/** Starts the compiled portfolio (`npx tsc -b services/portfolio` first) and waits until its fills consumer runs. */
export function startPortfolio(o: StartServiceOptions): Promise<RunningService> {
  return startService('portfolio', { ...o, readyLog: 'portfolio ready', readyTimeoutMs: o.readyTimeoutMs ?? 20_000 });
}

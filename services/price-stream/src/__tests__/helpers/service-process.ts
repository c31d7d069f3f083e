import { startService, type RunningService } from '@cte/testkit';

export { freePort, waitFor, type RunningService } from '@cte/testkit';

/** Starts the compiled price-stream (`npm run build` first) as a real process and waits for /ready. */
export function startPriceStream(env: Record<string, string>): Promise<RunningService> {
  return startService('price-stream', { env });
}

import { startService, waitFor, type RunningService, type StartServiceOptions } from '@cte/shared';

/** Starts the compiled portfolio (`npx tsc -b services/portfolio` first) and waits until its fills consumer runs. */
export async function startPortfolio(o: StartServiceOptions): Promise<RunningService> {
  const svc = await startService('portfolio', o);
  await waitFor('the fills consumer', () => svc.logs().includes('portfolio ready'), 20_000);
  return svc;
}

/** The value of one sample in a Prometheus exposition, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return 0;
}

/** For restart-from-any-state tests: what a running service reports about rows it quarantined at start. */
import type { RunningService } from './service-process';
import { metricValue } from './service-process';

export interface QuarantineReport {
  /** /ready status ('ready' expected). */
  status: string;
  /** Detail of the `quarantined_rows` check; undefined when nothing was quarantined. */
  detail: string | undefined;
  /** `cte_quarantined_rows_total` by `table` (summed over reasons). */
  counted: (table: string, reason?: string) => number;
}

export async function quarantineReport(svc: RunningService): Promise<QuarantineReport> {
  const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { status: string; checks?: Record<string, { ok: boolean; detail?: string }> };
  const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  return {
    status: ready.status,
    detail: ready.checks?.quarantined_rows?.detail,
    counted: (table, reason) =>
      reason !== undefined
        ? metricValue(metrics, 'cte_quarantined_rows_total', { table, reason })
        : ['invalid_value', 'malformed_json', 'unreadable'].reduce((n, r) => n + metricValue(metrics, 'cte_quarantined_rows_total', { table, reason: r }), 0),
  };
}

/**
 * Task engine metrics, on the registry passed in:
 *   cte_task_queue_tasks                 gauge: tasks waiting (ready or waiting for a retry)
 *   cte_task_duration_seconds{outcome}   histogram: one attempt's run time;
 *                                        outcome = succeeded | failed | timeout | cancelled | interrupted
 *   cte_tasks_total{outcome}             counter: finished tasks; outcome = succeeded | failed | cancelled
 * Idempotent per registry; several engines on one registry add up their depth.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type AttemptOutcome = 'succeeded' | 'failed' | 'timeout' | 'cancelled' | 'interrupted';
export type TaskOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface TaskMetrics {
  duration: Histogram<'outcome'>;
  total: Counter<'outcome'>;
  /** Adds a depth source; returns its removal. */
  addDepthProbe(probe: () => number): () => void;
}

export const TASK_DURATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const perRegistry = new WeakMap<Registry, TaskMetrics>();

export function taskMetrics(registry: Registry): TaskMetrics {
  const existing = perRegistry.get(registry);
  if (existing) return existing;
  const probes = new Set<() => number>();
  new Gauge({
    name: 'cte_task_queue_tasks',
    help: 'Agent tasks waiting to run (ready, or waiting for a retry).',
    registers: [registry],
    collect() {
      let n = 0;
      for (const p of probes) n += p();
      this.set(n);
    },
  });
  const metrics: TaskMetrics = {
    duration: new Histogram({
      name: 'cte_task_duration_seconds',
      help: 'Run time of one task attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: [...TASK_DURATION_BUCKETS_SECONDS],
      registers: [registry],
    }),
    total: new Counter({ name: 'cte_tasks_total', help: 'Agent tasks finished, by outcome.', labelNames: ['outcome'], registers: [registry] }),
    addDepthProbe(probe) {
      probes.add(probe);
      return () => probes.delete(probe);
    },
  };
  perRegistry.set(registry, metrics);
  return metrics;
}

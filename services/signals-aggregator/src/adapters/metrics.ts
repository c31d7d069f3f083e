import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@cte/shared';
import { REJECT_REASONS } from '../engine/validation';

export interface AggregatorMetrics {
  received: Counter<'source_type'>;
  rejected: Counter<'reason'>;
  consensus: Counter<'side'>;
  /** Signals for a bar already decided: stored and scored, never part of a decision. */
  late: Counter;
  /** Bar decisions, by what closed the bar (complete, superseded, deadline, ordered). */
  decisions: Counter<'reason'>;
  consensusSeconds: Histogram;
  pipelineLatency: Histogram<'stage'>;
  scored: Counter<'outcome'>;
  statsWriteFailures: Counter;
  /** The `source_type` label for a raw signal: bounded to the first 50 distinct valid values. */
  sourceTypeLabel(raw: unknown): string;
}

export interface AggregatorMetricProbes {
  statsQueueDepth(): number;
  pendingSignals(): number;
}

/** Engine compute is microseconds: finer buckets below the kit's latency buckets. */
const ENGINE_BUCKETS = [0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, ...LATENCY_BUCKETS_SECONDS];
const SOURCE_TYPE = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_SOURCE_TYPE_LABELS = 50;

export function createAggregatorMetrics(registry: Registry, probes: AggregatorMetricProbes): AggregatorMetrics {
  const rejected = new Counter<'reason'>({
    name: 'cte_signals_rejected_total',
    help: 'Signals refused (malformed, out of range, unknown symbol, future, stale, duplicate), by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason is exported from the start (at 0), so dashboards and alerts see the series.
  for (const reason of REJECT_REASONS) rejected.inc({ reason: reason }, 0);
  registerGauges(registry, probes);
  const labels = new Set<string>();
  return {
    received: new Counter({ name: 'cte_signals_received_total', help: 'Signals read from the signals stream, by source type.', labelNames: ['source_type'], registers: [registry] }),
    rejected,
    consensus: new Counter({ name: 'cte_consensus_total', help: 'Consensus results computed and stored, by side.', labelNames: ['side'], registers: [registry] }),
    late: new Counter({ name: 'cte_signals_late_total', help: 'Signals for a bar already decided: stored and scored, never part of a decision.', registers: [registry] }),
    decisions: new Counter({
      name: 'cte_consensus_decisions_total',
      help: 'Bar decisions (one per symbol, timeframe and bar), by what closed the bar: complete, superseded, deadline, ordered.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    consensusSeconds: new Histogram({
      name: 'cte_consensus_seconds',
      help: 'Engine time to apply one signal and recompute its symbol consensus.',
      buckets: ENGINE_BUCKETS,
      registers: [registry],
    }),
    pipelineLatency: new Histogram({
      name: 'cte_pipeline_latency_seconds',
      help: 'Pipeline latency up to a stage: consensus = publish time minus the triggering price message (else signal created_at).',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    scored: new Counter({ name: 'cte_signals_scored_total', help: 'Signals scored against the price after their horizon, by outcome.', labelNames: ['outcome'], registers: [registry] }),
    statsWriteFailures: new Counter({ name: 'cte_source_stats_write_failures_total', help: 'Failed (retried) writes of scoring outcomes and source stats.', registers: [registry] }),
    sourceTypeLabel(raw: unknown): string {
      const t = typeof raw === 'object' && raw !== null ? (raw as { source_type?: unknown }).source_type : undefined;
      if (typeof t !== 'string' || !SOURCE_TYPE.test(t)) return 'invalid';
      if (labels.has(t)) return t;
      if (labels.size >= MAX_SOURCE_TYPE_LABELS) return 'other';
      labels.add(t);
      return t;
    },
  };
}

function registerGauges(registry: Registry, probes: AggregatorMetricProbes): void {
  new Gauge({
    name: 'cte_source_stats_queue_signals',
    help: 'Scored signals whose outcome is not yet committed to MySQL.',
    registers: [registry],
    collect() {
      this.set(probes.statsQueueDepth());
    },
  });
  new Gauge({
    name: 'cte_pending_signals',
    help: 'BUY/SELL signals waiting for the price at the end of their horizon.',
    registers: [registry],
    collect() {
      this.set(probes.pendingSignals());
    },
  });
}

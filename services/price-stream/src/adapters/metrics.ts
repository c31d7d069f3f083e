import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@cte/shared';

export interface PriceStreamMetrics {
  ticksIngested: Counter<'symbol'>;
  barsClosed: Counter<'timeframe'>;
  publishSeconds: Histogram<'kind'>;
  persistLagSeconds: Gauge;
  alerts: Counter<'direction'>;
  sourceStalenessSeconds: Gauge<'source'>;
  writeFailures: Counter;
  writeQueueDepth: Gauge;
}

export interface MetricProbes {
  persistLagMs(): number;
  writeQueueDepth(): number;
  sourceName: string;
  lastTickWallMs(): number | undefined;
}

/**
 * Symbol labels are used only on the tick counter, whose cardinality is bounded by
 * the configured symbol list; everything else is labelled by small fixed sets.
 */
export function createPriceStreamMetrics(registry: Registry, probes: MetricProbes): PriceStreamMetrics {
  return {
    ticksIngested: new Counter({ name: 'cte_ticks_ingested_total', help: 'Ticks ingested from the market source.', labelNames: ['symbol'], registers: [registry] }),
    barsClosed: new Counter({ name: 'cte_bars_closed_total', help: 'Bars closed by the aggregator.', labelNames: ['timeframe'], registers: [registry] }),
    publishSeconds: new Histogram({
      name: 'cte_publish_seconds',
      help: 'Time to publish one message on the bus.',
      labelNames: ['kind'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    persistLagSeconds: new Gauge({
      name: 'cte_persist_lag_seconds',
      help: 'Age of the oldest closed bar not yet committed to MySQL.',
      registers: [registry],
      collect() {
        this.set(probes.persistLagMs() / 1000);
      },
    }),
    alerts: new Counter({ name: 'cte_alerts_total', help: 'Price monitor alerts fired.', labelNames: ['direction'], registers: [registry] }),
    sourceStalenessSeconds: new Gauge({
      name: 'cte_source_staleness_seconds',
      help: 'Seconds since the market source last produced a tick.',
      labelNames: ['source'],
      registers: [registry],
      collect() {
        const last = probes.lastTickWallMs();
        if (last !== undefined) this.set({ source: probes.sourceName }, (Date.now() - last) / 1000);
      },
    }),
    writeFailures: new Counter({ name: 'cte_bar_write_failures_total', help: 'Failed batch writes of closed bars (retried).', registers: [registry] }),
    writeQueueDepth: new Gauge({
      name: 'cte_bar_write_queue_bars',
      help: 'Closed bars waiting to be written to MySQL.',
      registers: [registry],
      collect() {
        this.set(probes.writeQueueDepth());
      },
    }),
  };
}

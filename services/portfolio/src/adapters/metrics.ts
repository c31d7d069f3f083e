/**
 * The portfolio's metrics. Names follow `cte_<noun>_<unit>` except the two gauges the issue names
 * in the quote currency, `cte_equity` and `cte_unrealized_pnl`: money has no Prometheus base unit,
 * and dashboards and alerts are written against these exact names, so they are kept as they are
 * (see README; the metrics test lints every other name with the kit's `lintMetricsText`).
 * Money gauges are floats here (Prometheus samples are doubles): for display only, never for
 * accounting; exact values are on the API.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@cte/shared';

/**
 * Metric names kept as the issue names them although they carry no unit suffix (money, and the
 * reconciliation drift in each asset's own units: neither has a Prometheus base unit).
 */
export const UNITLESS_MONEY_METRICS: readonly string[] = ['cte_equity', 'cte_unrealized_pnl', 'cte_portfolio_reconciliation_drift'];

export type RejectReason = 'invalid' | 'overflow';

export interface PortfolioMetrics {
  applied: Counter;
  duplicates: Counter<'key'>;
  rejected: Counter<'reason'>;
  applyFailures: Counter;
  staleReloads: Counter;
  applySeconds: Histogram;
  pipelineLatency: Histogram<'stage'>;
  snapshotFailures: Counter;
  ticks: Counter;
  ticksDropped: Counter;
  /** venue − ledger per asset, in asset units; no series until a live venue was compared. */
  reconciliationDrift: Gauge<'venue' | 'asset'>;
  /** |drift| / max(|ledger|, |venue|): what the alert compares, comparable across assets. */
  reconciliationDriftRatio: Gauge<'venue' | 'asset'>;
  reconciliationRuns: Counter<'outcome'>;
}

/** How a venue reconciliation ended: compared (ok / drift over tolerance), nothing to compare, or not done. */
export const RECONCILE_OUTCOMES = ['ok', 'drift', 'no_venues', 'venue_error', 'failed'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

export interface PortfolioMetricProbes {
  /** Equity, unrealised PnL and drawdown (0..1) as floats, read at scrape time. */
  gauges(): { equity: number; unrealized: number; drawdown: number };
}

/** Ledger work is sub-millisecond plus a MySQL commit: finer buckets below the kit's. */
const APPLY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createPortfolioMetrics(registry: Registry, probes: PortfolioMetricProbes): PortfolioMetrics {
  const registers = [registry];
  const rejected = new Counter<'reason'>({ name: 'cte_fills_rejected_total', help: 'Fills refused by validation (invalid) or because an amount would overflow DECIMAL(36,18); sent to <stream>.dlq.', labelNames: ['reason'], registers });
  for (const reason of ['invalid', 'overflow'] as const) rejected.inc({ reason }, 0);
  const duplicates = new Counter<'key'>({ name: 'cte_fills_duplicate_total', help: 'Fills delivered again after they were applied (skipped), by the key that caught them.', labelNames: ['key'], registers });
  for (const key of ['fill_id', 'venue_trade_id']) duplicates.inc({ key }, 0);
  const reconciliationRuns = new Counter<'outcome'>({ name: 'cte_portfolio_reconciliation_runs_total', help: 'Reconciliations of the ledger with the venues\' balances, by outcome.', labelNames: ['outcome'], registers });
  for (const outcome of RECONCILE_OUTCOMES) reconciliationRuns.inc({ outcome }, 0);
  // Valuations are cached per portfolio version, so three reads per scrape cost one.
  new Gauge({ name: 'cte_equity', help: 'Equity in the quote currency: cash + sum(qty x mark).', registers, collect() { this.set(probes.gauges().equity); } });
  new Gauge({ name: 'cte_unrealized_pnl', help: 'Unrealised PnL of the open positions, in the quote currency.', registers, collect() { this.set(probes.gauges().unrealized); } });
  new Gauge({ name: 'cte_drawdown_ratio', help: 'Drawdown from peak equity, 0..1.', registers, collect() { this.set(probes.gauges().drawdown); } });
  return {
    applied: new Counter({ name: 'cte_fills_applied_total', help: 'Fills applied to the ledger (committed to MySQL).', registers }),
    duplicates,
    rejected,
    applyFailures: new Counter({ name: 'cte_fill_apply_failures_total', help: 'Failed attempts to commit a fill (retried until they succeed).', registers }),
    staleReloads: new Counter({ name: 'cte_ledger_reloads_total', help: 'Reloads of the books from MySQL because another writer had moved them.', registers }),
    applySeconds: new Histogram({ name: 'cte_fill_apply_seconds', help: 'Time to apply one fill: validation, ledger, MySQL transaction.', buckets: APPLY_BUCKETS, registers }),
    pipelineLatency: new Histogram({
      name: 'cte_pipeline_latency_seconds',
      help: 'Pipeline latency up to a stage: portfolio = fill applied (wall clock) minus the fill ts.',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    snapshotFailures: new Counter({ name: 'cte_snapshot_write_failures_total', help: 'Equity snapshots that could not be written.', registers }),
    ticks: new Counter({ name: 'cte_portfolio_prices_total', help: 'Prices received on data.ticks.* and used as marks.', registers }),
    ticksDropped: new Counter({ name: 'cte_portfolio_prices_dropped_total', help: 'Malformed price messages dropped.', registers }),
    reconciliationDrift: new Gauge<'venue' | 'asset'>({
      name: 'cte_portfolio_reconciliation_drift',
      help: 'Venue balance minus ledger balance per asset, in asset units (venue = the venues summed, joined by +). Meaningful only when the ledger was seeded to the venue balances.',
      labelNames: ['venue', 'asset'],
      registers,
    }),
    reconciliationDriftRatio: new Gauge<'venue' | 'asset'>({
      name: 'cte_portfolio_reconciliation_drift_ratio',
      help: '|venue - ledger| / max(|ledger|, |venue|) per asset, 0..1 (0 when both are 0).',
      labelNames: ['venue', 'asset'],
      registers,
    }),
    reconciliationRuns,
  };
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, TRADING_STATES, type TradingStateName } from '@cte/shared';
import { DECISIONS } from '../engine/types';

export interface RiskMetrics {
  /** One per decision; `reason` is the first reason (`none` for a clean approval). */
  decisions: Counter<'decision' | 'reason'>;
  checkSeconds: Histogram;
  breakerTrips: Counter<'reason'>;
  exposureFetches: Counter<'outcome'>;
  fills: Counter;
  eventWriteFailures: Counter;
  eventDuplicates: Counter;
  /** Feed statuses from `data.feeds`, by outcome (applied, malformed, unknown_symbol, out_of_order). */
  feedStatuses: Counter<'outcome'>;
  setTradingState(state: TradingStateName): void;
}

export interface RiskMetricProbes {
  /** Rows waiting in the write-behind queue / its capacity. */
  eventQueueRatio(): number;
  /** Symbols with a known feed status, each with whether it is stale now (see FeedBook). */
  feedSymbols?(): ReadonlyArray<{ symbol: string; stale: boolean }>;
}

export const FEED_STATUS_OUTCOMES = ['applied', 'malformed', 'unknown_symbol', 'out_of_order'] as const;
export type FeedStatusOutcome = (typeof FEED_STATUS_OUTCOMES)[number];

/** Engine compute is microseconds: finer buckets below the kit's latency buckets. */
const ENGINE_BUCKETS = [0.000001, 0.0000025, 0.000005, 0.00001, 0.00002, 0.00005, ...LATENCY_BUCKETS_SECONDS];

export function createRiskMetrics(registry: Registry, probes: RiskMetricProbes): RiskMetrics {
  const decisions = new Counter<'decision' | 'reason'>({
    name: 'cte_risk_decisions_total',
    help: 'Check decisions, by decision and first reason (none for a clean approval).',
    labelNames: ['decision', 'reason'],
    registers: [registry],
  });
  for (const d of DECISIONS) if (d === 'APPROVED') decisions.inc({ decision: d, reason: 'none' }, 0);
  const stateInfo = new Gauge<'state'>({
    name: 'cte_trading_state_info',
    help: 'The fleet-wide trading state: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers: [registry],
  });
  new Gauge({
    name: 'cte_risk_event_queue_ratio',
    help: 'Decisions waiting to be written to risk_events, as a share of the queue capacity.',
    registers: [registry],
    collect() {
      this.set(probes.eventQueueRatio());
    },
  });
  new Gauge<'symbol'>({
    name: 'cte_risk_symbol_stale_info',
    help: '1 while every live market feed of the symbol reports stale (orders on it are rejected with stale_price); 0 while one is live. Symbols without a known feed status have no series.',
    labelNames: ['symbol'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of probes.feedSymbols?.() ?? []) this.set({ symbol: s.symbol }, s.stale ? 1 : 0);
    },
  });
  const feedStatuses = new Counter<'outcome'>({
    name: 'cte_risk_feed_statuses_total',
    help: 'Feed statuses read from data.feeds, by outcome: applied, malformed (dropped), unknown_symbol (not tradable here, dropped), out_of_order (older than the one held).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const o of FEED_STATUS_OUTCOMES) feedStatuses.inc({ outcome: o }, 0);
  return {
    decisions,
    feedStatuses,
    checkSeconds: new Histogram({
      name: 'cte_risk_check_seconds',
      help: 'Time the risk engine takes to decide on one order (engine only, no I/O).',
      buckets: ENGINE_BUCKETS,
      registers: [registry],
    }),
    breakerTrips: new Counter({
      name: 'cte_risk_circuit_breaker_trips_total',
      help: 'Circuit-breaker trips to HALTED, by breached limit.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    exposureFetches: new Counter({
      name: 'cte_risk_exposure_fetches_total',
      help: 'Portfolio.GetExposure calls, by outcome (ok, error).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    fills: new Counter({ name: 'cte_risk_fills_total', help: 'Fills read from the fills stream (each invalidates the exposure cache).', registers: [registry] }),
    eventWriteFailures: new Counter({ name: 'cte_risk_event_write_failures_total', help: 'Failed (retried) batch writes of risk_events.', registers: [registry] }),
    eventDuplicates: new Counter({ name: 'cte_risk_event_duplicates_total', help: 'risk_events rows skipped as duplicates (a decision made twice).', registers: [registry] }),
    setTradingState(state: TradingStateName): void {
      for (const s of TRADING_STATES) stateInfo.set({ state: s }, s === state ? 1 : 0);
    },
  };
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, TRADING_STATES, type TradingStateName } from '@cte/shared';
import { ORDER_STATUSES } from '../engine/order-state';

export interface ExecutionMetrics {
  /** Orders entering each status (NEW when stored, then every transition). */
  orders: Counter<'status'>;
  fills: Counter;
  submitSeconds: Histogram;
  pipelineLatency: Histogram<'stage'>;
  fillsAppended: Counter;
  outboxAppendFailures: Counter;
  setTradingState(state: TradingStateName | undefined): void;
}

export interface ExecutionMetricProbes {
  /** Age of the oldest fill committed but not yet on events.fills, in seconds. */
  outboxLagSeconds(): number;
}

export function createExecutionMetrics(registry: Registry, probes: ExecutionMetricProbes): ExecutionMetrics {
  const orders = new Counter<'status'>({
    name: 'cte_orders_total',
    help: 'Orders entering a status: NEW when stored, then every state transition (SUBMITTED, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED, FAILED).',
    labelNames: ['status'],
    registers: [registry],
  });
  for (const status of ORDER_STATUSES) orders.inc({ status }, 0);
  new Gauge({
    name: 'cte_fill_outbox_lag_seconds',
    help: 'Age of the oldest fill committed to MySQL but not yet appended to events.fills (0 when none is pending).',
    registers: [registry],
    collect() {
      this.set(probes.outboxLagSeconds());
    },
  });
  const stateInfo = new Gauge<'state'>({
    name: 'cte_trading_state_info',
    help: 'The trading state execution enforces: 1 for the current state (ACTIVE, REDUCING, HALTED), all 0 while unknown.',
    labelNames: ['state'],
    registers: [registry],
  });
  for (const s of TRADING_STATES) stateInfo.set({ state: s }, 0);
  return {
    orders,
    fills: new Counter({ name: 'cte_fills_total', help: 'Fills recorded (trade row, order update and outbox row committed).', registers: [registry] }),
    submitSeconds: new Histogram({
      name: 'cte_order_submit_seconds',
      help: 'Submit duration: validation, idempotency check, trading-state gate, insert, venue submission and immediate fills.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    pipelineLatency: new Histogram({
      name: 'cte_pipeline_latency_seconds',
      help: 'Pipeline latency up to a stage: fill = fill committed minus publication of the price message (tick or bar) whose trace id the order carries.',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    fillsAppended: new Counter({ name: 'cte_fills_appended_total', help: 'Fills appended to the durable stream events.fills by the outbox relay (at least once).', registers: [registry] }),
    outboxAppendFailures: new Counter({ name: 'cte_fill_append_failures_total', help: 'Failed appends of a fill to events.fills (retried).', registers: [registry] }),
    setTradingState(state) {
      for (const s of TRADING_STATES) stateInfo.set({ state: s }, s === state ? 1 : 0);
    },
  };
}

import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@cte/shared';
import { INVALID_CONSENSUS_REASONS } from '../engine/consensus';
import { STATUSES } from '../engine/state-machine';

export const CONSENSUS_OUTCOMES = ['sized', 'hold', 'invalid', 'duplicate', 'open', 'cooldown', 'opposite_same_bar', 'overloaded', 'abandoned', 'failed'] as const;
export type ConsensusOutcome = (typeof CONSENSUS_OUTCOMES)[number];
export const ORDER_EVENT_OUTCOMES = ['applied', 'unknown', 'invalid', 'failed'] as const;
export type OrderEventOutcome = (typeof ORDER_EVENT_OUTCOMES)[number];
export const PEERS = ['risk', 'execution', 'portfolio', 'signals-aggregator', 'price-stream'] as const;
export type Peer = (typeof PEERS)[number];

export interface RecommendationsMetrics {
  /** Transitions into each status (a recommendation counts once per status it reaches). */
  recommendations: Counter<'status'>;
  /** f* (stage kelly) and the applied fraction of equity (stage applied) of every sized consensus. */
  kellyFraction: Histogram<'stage'>;
  submitRetries: Counter;
  pipelineLatency: Histogram<'stage'>;
  consensus: Counter<'outcome'>;
  consensusInvalid: Counter<'reason'>;
  orderEvents: Counter<'outcome'>;
  peerFailures: Counter<'peer'>;
}

const FRACTION_BUCKETS = [-1, -0.5, -0.25, -0.1, 0, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1];

export function createRecommendationsMetrics(registry: Registry): RecommendationsMetrics {
  const recommendations = new Counter<'status'>({
    name: 'cte_recommendations_total',
    help: 'Recommendations reaching each lifecycle status (pending when created).',
    labelNames: ['status'],
    registers: [registry],
  });
  for (const status of STATUSES) recommendations.inc({ status }, 0);
  const consensus = new Counter<'outcome'>({
    name: 'cte_consensus_received_total',
    help: 'Consensus messages received, by outcome: sized (a recommendation was stored), hold, invalid, duplicate, open (same symbol and side still open), cooldown, overloaded (queue full), abandoned (queued at shutdown), failed.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of CONSENSUS_OUTCOMES) consensus.inc({ outcome }, 0);
  const consensusInvalid = new Counter<'reason'>({
    name: 'cte_consensus_invalid_total',
    help: 'Malformed consensus messages ignored, by the field that was wrong.',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of INVALID_CONSENSUS_REASONS) consensusInvalid.inc({ reason }, 0);
  const orderEvents = new Counter<'outcome'>({
    name: 'cte_order_events_received_total',
    help: 'Order events from execution, by outcome: applied, unknown (not ours), invalid, failed.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ORDER_EVENT_OUTCOMES) orderEvents.inc({ outcome }, 0);
  const peerFailures = new Counter<'peer'>({
    name: 'cte_peer_call_failures_total',
    help: 'Failed calls to other services, by peer.',
    labelNames: ['peer'],
    registers: [registry],
  });
  for (const peer of PEERS) peerFailures.inc({ peer }, 0);
  return {
    recommendations,
    kellyFraction: new Histogram<'stage'>({
      name: 'cte_kelly_fraction_ratio',
      help: 'Kelly sizing of each BUY/SELL consensus: stage kelly = f* before scaling (may be negative), stage applied = fraction of equity after fractional Kelly, confidence and caps.',
      labelNames: ['stage'],
      buckets: FRACTION_BUCKETS,
      registers: [registry],
    }),
    submitRetries: new Counter({
      name: 'cte_submit_retries_total',
      help: 'Re-submissions by the outbox sweeper of approved orders whose ack was never recorded (same client order id).',
      registers: [registry],
    }),
    pipelineLatency: new Histogram<'stage'>({
      name: 'cte_pipeline_latency_seconds',
      help: 'Pipeline latency up to a stage: decision = risk decision stored minus the consensus envelope publish time.',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    consensus,
    consensusInvalid,
    orderEvents,
    peerFailures,
  };
}

import type { ConsensusMessage, SignalMessage } from '@cte/shared';
import type { ConsensusReason } from '../engine/consensus-engine';

/** A consensus as stored and served: the bus message plus why, and when (wall time) it was made. */
export interface ConsensusRecord extends ConsensusMessage {
  reason: ConsensusReason;
  /** Wall time (epoch ms) it was computed. */
  created_at: number;
}

export type SignalOutcome = 'pending' | 'hit' | 'miss' | 'unscored';

/** A signal as stored by the aggregator, with its scoring outcome. */
export interface StoredSignal extends SignalMessage {
  /** bar_time + timeframe: data time of `price`. */
  as_of: number;
  /** as_of + horizon_ms: first price time that scores it. */
  due_at: number;
  received_at: number;
  outcome: SignalOutcome;
  exit_price: string | null;
  scored_at: number | null;
}

/** The bus payload: exactly the shared `ConsensusMessage` contract. */
export function toConsensusMessage(r: ConsensusRecord): ConsensusMessage {
  return {
    id: r.id,
    symbol: r.symbol,
    side: r.side,
    confidence: r.confidence,
    agreement: r.agreement,
    sources: r.sources,
    signal_ids: r.signal_ids,
    price: r.price,
    ts: r.ts,
    trace_id: r.trace_id,
    ...(r.timeframe !== undefined && r.bar_time !== undefined ? { timeframe: r.timeframe, bar_time: r.bar_time } : {}),
  };
}

import { serverStream, unary, untilAborted, type ConsensusProto, type SignalsAggregatorHandlers, type SourceProto } from '@cte/shared';
import type { AggregatorApi, SourceInfo } from './aggregator-api';
import type { ConsensusBoard } from './consensus-board';
import type { ConsensusRecord } from './records';

export function aggregatorGrpcHandlers(api: AggregatorApi, board: ConsensusBoard): SignalsAggregatorHandlers {
  return {
    GetConsensus: unary(async (req) => toConsensusProto(api.getConsensus(req.symbol))),
    ListSources: unary(async () => ({ sources: api.listSources().map(toSourceProto) })),
    StreamConsensus: serverStream(async (call, ctx) => {
      const filter = api.parseStreamSymbols(call.request.symbols);
      const off = board.onConsensus((c) => {
        if (filter.size === 0 || filter.has(c.symbol)) call.write(toConsensusProto(c));
      });
      try {
        if (call.request.snapshot) for (const c of api.snapshot(filter)) call.write(toConsensusProto(c));
        await untilAborted(ctx.signal);
      } finally {
        off();
      }
    }),
  };
}

export function toConsensusProto(c: ConsensusRecord): ConsensusProto {
  return {
    id: c.id,
    symbol: c.symbol,
    side: c.side,
    confidence: c.confidence,
    agreement: c.agreement,
    sources: c.sources,
    signal_ids: c.signal_ids,
    price: c.price,
    ts: String(c.ts),
    trace_id: c.trace_id,
    reason: c.reason,
  };
}

function toSourceProto(s: SourceInfo): SourceProto {
  return {
    agent_id: s.agent_id,
    source_type: s.source_type,
    base_weight: s.base_weight,
    hit_rate: s.hit_rate,
    hits: String(s.hits),
    scored: String(s.scored),
    multiplier: s.multiplier,
    effective_weight: s.effective_weight,
    pending: s.pending,
    last_scored_at: String(s.last_scored_at ?? 0),
  };
}

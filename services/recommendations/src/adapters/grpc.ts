import { unary, type RecommendationsHandlers } from '@cte/shared';
import type { RecommendationsApi } from './api';
import type { RecommendationMessage } from './proto-types';
import type { RecommendationView } from './records';

export function recommendationsGrpcHandlers(api: RecommendationsApi): RecommendationsHandlers {
  return {
    GetRecommendation: unary(async (req) => toRecommendationMessage(await api.get(req.id))),
    ListRecommendations: unary(async (req) => {
      const res = await api.list({
        status: req.status,
        symbol: req.symbol,
        // proto3 has no "unset": 0 means the default.
        limit: req.limit === 0 ? undefined : req.limit,
        offset: req.offset,
      });
      return { recommendations: res.recommendations.map(toRecommendationMessage), total: res.total };
    }),
    Propose: unary(async (req, _call, ctx) =>
      toRecommendationMessage(
        await api.propose({
          symbol: req.symbol,
          side: req.side,
          qty: req.qty,
          source: req.source,
          reason: req.reason,
          idempotency_key: req.idempotency_key,
          trace_id: req.trace_id,
          fallback_trace_id: ctx.traceId,
        }),
      ),
    ),
  };
}

export function toRecommendationMessage(v: RecommendationView): RecommendationMessage {
  const s = (x: string | null) => x ?? '';
  return {
    id: v.id,
    symbol: v.symbol,
    side: v.side,
    status: v.status,
    source: v.source,
    consensus_id: s(v.consensus_id),
    confidence: s(v.confidence),
    win_probability: s(v.win_probability),
    payoff_ratio: s(v.payoff_ratio),
    kelly_fraction: s(v.kelly_fraction),
    fraction: s(v.fraction),
    qty: v.qty,
    approved_qty: s(v.approved_qty),
    price: s(v.price),
    notional: s(v.notional),
    stop_loss: s(v.stop_loss),
    take_profit: s(v.take_profit),
    client_order_id: s(v.client_order_id),
    order_id: s(v.order_id),
    reasons: v.reasons,
    history: (v.history ?? []).map((h) => ({ status: h.status, reason: h.reason, ts: String(h.ts) })),
    created_at: String(v.created_at),
    updated_at: String(v.updated_at),
    trace_id: v.trace_id,
  };
}

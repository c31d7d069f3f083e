import { unary, type RiskHandlers, type TradableSymbols, type TradingStateMessage } from '@cte/shared';
import { LIMIT_NAMES, parseLimitValue, type LimitName, type LimitsPatch } from '../engine/limits';
import type { StoredDecision } from './decision-index';
import type { LimitsView } from './limits-store';
import type { RiskService } from './risk-service';

/** gRPC `cte.risk.v1.Risk`: the same use cases and validation as REST. */
export function riskGrpcHandlers(service: RiskService): RiskHandlers {
  return {
    Check: unary(async (req, _call, ctx) => toCheckResponse(await service.check(req, ctx.traceId))),
    GetTradingState: unary(() => toTradingStateProto(service.getTradingState())),
    SetTradingState: unary(async (req) => toTradingStateProto(await service.setTradingState(req, 'operator'))),
    GetLimits: unary(() => toLimitsProto(service.getLimits())),
    UpdateLimits: unary(async (req) => toLimitsProto(await service.applyLimitsPatch(patchFromProto(req, service.symbols)))),
  };
}

export function toCheckResponse(d: StoredDecision) {
  return {
    decision: d.decision,
    approved_qty: d.approved_qty,
    reasons: d.reasons,
    trading_state: d.trading_state,
    event_id: d.event_id,
    reduces_position: d.reduces_position,
  };
}

export function toTradingStateProto(s: TradingStateMessage) {
  return { state: s.state, reason: s.reason, updated_at: String(s.updated_at), updated_by: s.updated_by };
}

export function toLimitsProto(v: LimitsView) {
  return {
    max_position_pct: v.max_position_pct,
    max_gross_exposure_pct: v.max_gross_exposure_pct,
    max_trades_per_day: v.max_trades_per_day,
    max_trades_per_day_per_symbol: v.max_trades_per_day_per_symbol,
    max_order_notional: v.max_order_notional,
    min_order_notional: v.min_order_notional,
    max_daily_loss_pct: v.max_daily_loss_pct,
    max_drawdown_pct: v.max_drawdown_pct,
    max_price_age_ms: v.max_price_age_ms,
    allowed_symbols: v.allowed_symbols,
    replace_allowed_symbols: false,
  };
}

/**
 * UpdateLimits: an empty string leaves a limit unchanged; allowed_symbols is set when it is not
 * empty or replace_allowed_symbols is true (so it can be cleared to "all symbols").
 */
export function patchFromProto(req: Partial<Record<LimitName, unknown>> & { replace_allowed_symbols?: boolean }, tradable: TradableSymbols): LimitsPatch {
  const patch: LimitsPatch = { set: {}, reset: [] };
  for (const name of LIMIT_NAMES) {
    if (name === 'allowed_symbols') continue;
    const v = req[name];
    if (v === undefined || v === '') continue;
    patch.set[name] = parseLimitValue(name, v, tradable);
  }
  const symbols = Array.isArray(req.allowed_symbols) ? req.allowed_symbols : [];
  if (symbols.length > 0 || req.replace_allowed_symbols === true) patch.set.allowed_symbols = parseLimitValue('allowed_symbols', symbols, tradable);
  return patch;
}

/**
 * trend_follower: EMA(12)/EMA(26) cross, filtered by ADX(14) trend strength and,
 * optionally, confirmed by the directional indicators (+DI above -DI for a buy).
 *
 * A cross needs the previous bar's EMA relation, kept in a small per-agent,
 * per-symbol state the caller holds in memory; `evaluate` updates it in place
 * (its only side effect). Fast above slow after being below is a cross up.
 */
import { confidence, hold, type FeatureView, type StrategyDecision } from './types';
import { describeNumber, readBoolean, readNumber, rejectUnknownKeys, type NumberBounds, type ParamSpec, type RawParams } from './params';

export interface TrendFollowerParams {
  /** Minimum ADX(14) for a cross to count (0 = no filter). */
  adx_min: number;
  /** Require +DI > -DI for BUY and -DI > +DI for SELL. */
  di_confirm: boolean;
}

export interface TrendFollowerState {
  /** Sign of ema_12 - ema_26 on the last warm bar where they differed; undefined until then. */
  relation?: 1 | -1 | undefined;
}

export const TREND_FOLLOWER_FEATURES = ['ema_12', 'ema_26', 'adx_14', 'pdi_14', 'mdi_14'] as const;

const ADX_MIN: NumberBounds = { default: 20, min: 0, max: 100 };
/** ADX points above `adx_min` at which confidence reaches 1. */
const ADX_FULL_SPAN = 25;

export const TREND_FOLLOWER_PARAMS: Readonly<Record<keyof TrendFollowerParams, ParamSpec>> = {
  adx_min: describeNumber(ADX_MIN, 'minimum ADX(14) for an EMA(12/26) cross to signal'),
  di_confirm: { type: 'boolean', default: true, description: 'require +DI > -DI for BUY, -DI > +DI for SELL' },
};

export function parseTrendFollowerParams(raw: RawParams): TrendFollowerParams {
  rejectUnknownKeys(raw, Object.keys(TREND_FOLLOWER_PARAMS), 'trend_follower config');
  return { adx_min: readNumber(raw, 'adx_min', ADX_MIN), di_confirm: readBoolean(raw, 'di_confirm', true) };
}

export function evaluateTrendFollower(features: FeatureView, cfg: TrendFollowerParams, state: TrendFollowerState): StrategyDecision {
  const fast = features.get('ema_12');
  const slow = features.get('ema_26');
  if (!Number.isFinite(fast) || !Number.isFinite(slow)) {
    // A gap in the features: forget the relation so no cross is seen across it.
    state.relation = undefined;
    return hold('not warm: ema_12/ema_26');
  }
  const relation = fast > slow ? 1 : fast < slow ? -1 : 0;
  const previous = state.relation;
  if (relation !== 0) state.relation = relation;
  if (previous === undefined) return hold('no previous EMA relation yet');
  if (relation === 0 || relation === previous) return hold('no EMA cross');

  const side = relation === 1 ? 'BUY' : 'SELL';
  const dir = relation === 1 ? 'up' : 'down';
  const adx = features.get('adx_14');
  if (!Number.isFinite(adx)) return hold(`EMA cross ${dir} but adx_14 not warm`);
  if (adx < cfg.adx_min) return hold(`EMA cross ${dir} filtered: ADX ${round2(adx)} < ${cfg.adx_min}`);
  if (cfg.di_confirm) {
    const pdi = features.get('pdi_14');
    const mdi = features.get('mdi_14');
    if (!Number.isFinite(pdi) || !Number.isFinite(mdi)) return hold(`EMA cross ${dir} but pdi_14/mdi_14 not warm`);
    const confirmed = relation === 1 ? pdi > mdi : mdi > pdi;
    if (!confirmed) return hold(`EMA cross ${dir} not confirmed by DI (+DI ${round2(pdi)}, -DI ${round2(mdi)})`);
  }
  const strength = Math.min(1, Math.max(0, adx - cfg.adx_min) / ADX_FULL_SPAN);
  return { side, confidence: confidence(0.55 + 0.45 * strength), reason: `EMA(12/26) cross ${dir}, ADX ${round2(adx)}` };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

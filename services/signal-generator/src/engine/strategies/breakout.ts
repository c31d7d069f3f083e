/**
 * breakout: Donchian channel (20). BUY when the close is above the highest high
 * of the 20 bars before the current one (plus an optional buffer), SELL when it
 * is below their lowest low. Confidence grows with the distance past the
 * channel in ATR(14) units: 0.5 on the line, 1 at `atr_full_confidence` ATRs.
 * An optional ADX(14) floor skips breakouts without trend strength.
 */
import { confidence, hold, type FeatureView, type StrategyDecision } from './types';
import { describeNumber, readNumber, rejectUnknownKeys, type NumberBounds, type ParamSpec, type RawParams } from './params';

export interface BreakoutParams {
  /** The close must clear the channel by this many percent. */
  buffer_pct: number;
  /** Distance past the channel, in ATR(14)s, at which confidence reaches 1. */
  atr_full_confidence: number;
  /** Minimum ADX(14) (0 = no filter). */
  adx_min: number;
}

export type BreakoutState = Record<string, never>;

export const BREAKOUT_FEATURES = ['close', 'donchian_high_20_prev', 'donchian_low_20_prev', 'atr_14', 'adx_14'] as const;

const BUFFER_PCT: NumberBounds = { default: 0, min: 0, max: 5 };
const ATR_FULL: NumberBounds = { default: 1, min: 0.1, max: 10 };
const ADX_MIN: NumberBounds = { default: 0, min: 0, max: 100 };

export const BREAKOUT_PARAMS: Readonly<Record<keyof BreakoutParams, ParamSpec>> = {
  buffer_pct: describeNumber(BUFFER_PCT, 'percent the close must clear the 20-bar channel by'),
  atr_full_confidence: describeNumber(ATR_FULL, 'ATR(14) multiples past the channel at which confidence is 1'),
  adx_min: describeNumber(ADX_MIN, 'minimum ADX(14) for a breakout to count (0 disables the filter)'),
};

export function parseBreakoutParams(raw: RawParams): BreakoutParams {
  rejectUnknownKeys(raw, Object.keys(BREAKOUT_PARAMS), 'breakout config');
  return {
    buffer_pct: readNumber(raw, 'buffer_pct', BUFFER_PCT),
    atr_full_confidence: readNumber(raw, 'atr_full_confidence', ATR_FULL),
    adx_min: readNumber(raw, 'adx_min', ADX_MIN),
  };
}

export function evaluateBreakout(features: FeatureView, cfg: BreakoutParams): StrategyDecision {
  const close = features.get('close');
  const high = features.get('donchian_high_20_prev');
  const low = features.get('donchian_low_20_prev');
  const atr = features.get('atr_14');
  if (!Number.isFinite(close)) return hold('not warm: close');
  if (!Number.isFinite(high) || !Number.isFinite(low)) return hold('not warm: donchian_high_20_prev/donchian_low_20_prev');
  if (!Number.isFinite(atr)) return hold('not warm: atr_14');
  if (cfg.adx_min > 0) {
    const adx = features.get('adx_14');
    if (!Number.isFinite(adx)) return hold('not warm: adx_14');
    if (adx < cfg.adx_min) return hold(`weak trend: ADX ${round2(adx)} < ${cfg.adx_min}`);
  }
  const upper = high * (1 + cfg.buffer_pct / 100);
  const lower = low * (1 - cfg.buffer_pct / 100);
  const strength = (distance: number): number => (atr > 0 ? Math.min(1, distance / (atr * cfg.atr_full_confidence)) : 1);
  if (close > upper) {
    return { side: 'BUY', confidence: confidence(0.5 + 0.5 * strength(close - upper)), reason: `close ${close} above 20-bar high ${high}` };
  }
  if (close < lower) {
    return { side: 'SELL', confidence: confidence(0.5 + 0.5 * strength(lower - close)), reason: `close ${close} below 20-bar low ${low}` };
  }
  return hold(`inside the 20-bar channel [${low}, ${high}]`);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * mean_reversion: buy when RSI(14) is oversold and the close is at or below the
 * lower Bollinger band (%b <= bb_pctb_low); sell when RSI is overbought and the
 * close is at or above the upper band (%b >= bb_pctb_high). Skipped in strong
 * trends (ADX(14) above adx_max), where "oversold" tends to get more oversold.
 * Confidence grows with how far RSI and %b are past their thresholds.
 */
import { InvalidArgumentError } from '@cte/shared/core';
import { confidence, clamp01, hold, type FeatureView, type StrategyDecision } from './types';
import { describeNumber, readNumber, rejectUnknownKeys, type NumberBounds, type ParamSpec, type RawParams } from './params';

export interface MeanReversionParams {
  rsi_oversold: number;
  rsi_overbought: number;
  /** %b at or below which the close counts as "at the lower band" (0 = on the band). */
  bb_pctb_low: number;
  /** %b at or above which the close counts as "at the upper band" (1 = on the band). */
  bb_pctb_high: number;
  /** No signal when ADX(14) is above this (100 = no filter). */
  adx_max: number;
}

export type MeanReversionState = Record<string, never>;

export const MEAN_REVERSION_FEATURES = ['rsi_14', 'bb_pctb_20_2', 'adx_14'] as const;

const RSI_OVERSOLD: NumberBounds = { default: 30, min: 1, max: 50 };
const RSI_OVERBOUGHT: NumberBounds = { default: 70, min: 50, max: 99 };
const PCTB_LOW: NumberBounds = { default: 0, min: -1, max: 0.5 };
const PCTB_HIGH: NumberBounds = { default: 1, min: 0.5, max: 2 };
const ADX_MAX: NumberBounds = { default: 40, min: 0, max: 100 };

export const MEAN_REVERSION_PARAMS: Readonly<Record<keyof MeanReversionParams, ParamSpec>> = {
  rsi_oversold: describeNumber(RSI_OVERSOLD, 'RSI(14) at or below which the market is oversold'),
  rsi_overbought: describeNumber(RSI_OVERBOUGHT, 'RSI(14) at or above which the market is overbought'),
  bb_pctb_low: describeNumber(PCTB_LOW, 'Bollinger %b (20, 2) at or below which the close is at the lower band'),
  bb_pctb_high: describeNumber(PCTB_HIGH, 'Bollinger %b (20, 2) at or above which the close is at the upper band'),
  adx_max: describeNumber(ADX_MAX, 'no signal while ADX(14) is above this (100 disables the filter)'),
};

export function parseMeanReversionParams(raw: RawParams): MeanReversionParams {
  rejectUnknownKeys(raw, Object.keys(MEAN_REVERSION_PARAMS), 'mean_reversion config');
  const p: MeanReversionParams = {
    rsi_oversold: readNumber(raw, 'rsi_oversold', RSI_OVERSOLD),
    rsi_overbought: readNumber(raw, 'rsi_overbought', RSI_OVERBOUGHT),
    bb_pctb_low: readNumber(raw, 'bb_pctb_low', PCTB_LOW),
    bb_pctb_high: readNumber(raw, 'bb_pctb_high', PCTB_HIGH),
    adx_max: readNumber(raw, 'adx_max', ADX_MAX),
  };
  if (p.rsi_oversold >= p.rsi_overbought) {
    throw new InvalidArgumentError(`config.rsi_oversold (${p.rsi_oversold}) must be below config.rsi_overbought (${p.rsi_overbought})`);
  }
  if (p.bb_pctb_low >= p.bb_pctb_high) {
    throw new InvalidArgumentError(`config.bb_pctb_low (${p.bb_pctb_low}) must be below config.bb_pctb_high (${p.bb_pctb_high})`);
  }
  return p;
}

export function evaluateMeanReversion(features: FeatureView, cfg: MeanReversionParams): StrategyDecision {
  const rsi = features.get('rsi_14');
  const pctb = features.get('bb_pctb_20_2');
  if (!Number.isFinite(rsi)) return hold('not warm: rsi_14');
  if (!Number.isFinite(pctb)) return hold('not warm: bb_pctb_20_2');
  if (cfg.adx_max < 100) {
    const adx = features.get('adx_14');
    if (!Number.isFinite(adx)) return hold('not warm: adx_14');
    if (adx > cfg.adx_max) return hold(`trending market: ADX ${round2(adx)} > ${cfg.adx_max}`);
  }
  if (rsi <= cfg.rsi_oversold && pctb <= cfg.bb_pctb_low) {
    const rsiDepth = clamp01((cfg.rsi_oversold - rsi) / cfg.rsi_oversold);
    const bandDepth = clamp01((cfg.bb_pctb_low - pctb) / 0.5);
    return {
      side: 'BUY',
      confidence: confidence(0.5 + 0.25 * rsiDepth + 0.25 * bandDepth),
      reason: `oversold: RSI ${round2(rsi)} <= ${cfg.rsi_oversold}, %b ${round2(pctb)} <= ${cfg.bb_pctb_low}`,
    };
  }
  if (rsi >= cfg.rsi_overbought && pctb >= cfg.bb_pctb_high) {
    const rsiDepth = clamp01((rsi - cfg.rsi_overbought) / (100 - cfg.rsi_overbought));
    const bandDepth = clamp01((pctb - cfg.bb_pctb_high) / 0.5);
    return {
      side: 'SELL',
      confidence: confidence(0.5 + 0.25 * rsiDepth + 0.25 * bandDepth),
      reason: `overbought: RSI ${round2(rsi)} >= ${cfg.rsi_overbought}, %b ${round2(pctb)} >= ${cfg.bb_pctb_high}`,
    };
  }
  return hold(`inside range: RSI ${round2(rsi)}, %b ${round2(pctb)}`);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

import { describeValue, InvalidArgumentError } from '@cte/shared/core';

/**
 * The feature vector's layout: name, bars needed before the feature is
 * defined (its warm-up, counting the current bar) and meaning. The order is
 * stable; append new features at the end (trained models index by name, but
 * the stored vectors follow this order).
 *
 * Conventions: returns are simple (`c/c[k] − 1`); "x_to_y" is `x/y − 1`;
 * windows include the current bar unless the name ends in `_prev`;
 * volatility is per bar (not annualised); standard deviations are population
 * (÷N). Where a denominator is 0 (flat market) a neutral value is used, named
 * per feature below, so that a warm pipeline never emits NaN.
 */
const SPECS = [
  // Price level (raw prices, for strategies)
  ['close', 1, 'close price'],
  ['ema_12', 12, 'EMA(12) of close, seeded with SMA(12)'],
  ['ema_26', 26, 'EMA(26) of close'],
  ['ema_50', 50, 'EMA(50) of close'],
  ['ema_200', 200, 'EMA(200) of close'],
  ['sma_20', 20, 'SMA(20) of close'],
  ['sma_50', 50, 'SMA(50) of close'],
  ['sma_200', 200, 'SMA(200) of close'],
  // Returns
  ['ret_1', 2, 'close / close 1 bar ago − 1'],
  ['ret_2', 3, 'close / close 2 bars ago − 1'],
  ['ret_3', 4, 'close / close 3 bars ago − 1'],
  ['ret_5', 6, 'close / close 5 bars ago − 1'],
  ['ret_10', 11, 'close / close 10 bars ago − 1'],
  ['ret_20', 21, 'close / close 20 bars ago − 1'],
  ['ret_50', 51, 'close / close 50 bars ago − 1'],
  ['ret_100', 101, 'close / close 100 bars ago − 1'],
  ['log_ret_1', 2, 'ln(close / previous close)'],
  // Price relative to moving averages, and MA crosses
  ['close_to_sma_5', 5, 'close / SMA(5) − 1'],
  ['close_to_sma_10', 10, 'close / SMA(10) − 1'],
  ['close_to_sma_20', 20, 'close / SMA(20) − 1'],
  ['close_to_sma_50', 50, 'close / SMA(50) − 1'],
  ['close_to_sma_100', 100, 'close / SMA(100) − 1'],
  ['close_to_sma_200', 200, 'close / SMA(200) − 1'],
  ['close_to_ema_12', 12, 'close / EMA(12) − 1'],
  ['close_to_ema_26', 26, 'close / EMA(26) − 1'],
  ['close_to_ema_50', 50, 'close / EMA(50) − 1'],
  ['close_to_ema_200', 200, 'close / EMA(200) − 1'],
  ['sma_5_to_sma_20', 20, 'SMA(5) / SMA(20) − 1'],
  ['sma_20_to_sma_50', 50, 'SMA(20) / SMA(50) − 1'],
  ['sma_50_to_sma_200', 200, 'SMA(50) / SMA(200) − 1'],
  ['ema_12_to_ema_26', 26, 'EMA(12) / EMA(26) − 1 (PPO / 100)'],
  ['ema_50_to_ema_200', 200, 'EMA(50) / EMA(200) − 1'],
  ['sma_20_slope_5', 25, 'SMA(20) / SMA(20) 5 bars ago − 1'],
  ['ema_50_slope_5', 55, 'EMA(50) / EMA(50) 5 bars ago − 1'],
  // MACD (12, 26, 9): EMA-based, signal = EMA(9) of MACD seeded with SMA(9)
  ['macd_12_26_9', 26, 'EMA(12) − EMA(26), price units'],
  ['macd_signal_12_26_9', 34, 'EMA(9) of the MACD line, price units'],
  ['macd_hist_12_26_9', 34, 'MACD − signal, price units'],
  ['macd_norm_12_26_9', 26, 'MACD / close'],
  ['macd_signal_norm_12_26_9', 34, 'signal / close'],
  ['macd_hist_norm_12_26_9', 34, 'histogram / close'],
  // Oscillators
  ['rsi_7', 8, 'RSI(7), Wilder, 0..100'],
  ['rsi_14', 15, 'RSI(14), Wilder, 0..100'],
  ['rsi_21', 22, 'RSI(21), Wilder, 0..100'],
  ['stoch_k_14_3', 14, 'Stochastic %K(14), unsmoothed, 0..100 (100 when the 14-bar range is 0, as talipp)'],
  ['stoch_d_14_3', 16, 'SMA(3) of %K'],
  ['stochrsi_k_14_14_3_3', 30, 'SMA(3) of Stochastic(14) of RSI(14), 0..100 (raw 100 when the 14-value RSI range is ≤ 1e-9)'],
  ['stochrsi_d_14_14_3_3', 32, 'SMA(3) of the StochRSI %K'],
  ['cci_20', 20, 'CCI(20) of typical price (0 when the 20-bar range is 0)'],
  ['willr_14', 14, 'Williams %R(14), −100..0 (previous value, else −50, when the 14-bar range is 0)'],
  ['mfi_14', 15, 'Money Flow Index(14), 0..100 (50 without flow)'],
  // Trend strength
  ['adx_14', 28, 'ADX(14), Wilder'],
  ['pdi_14', 15, '+DI(14), 0..100'],
  ['mdi_14', 15, '−DI(14), 0..100'],
  ['di_spread_14', 15, '(+DI − −DI) / (+DI + −DI), −1..1 (0 when both are 0)'],
  // Volatility
  ['atr_14', 14, 'ATR(14), Wilder, price units'],
  ['natr_14', 14, '100 · ATR(14) / close'],
  ['range_to_atr_14', 14, '(high − low) / ATR(14) (0 when ATR is 0)'],
  ['bb_upper_20_2', 20, 'Bollinger upper band: SMA(20) + 2σ (population σ)'],
  ['bb_lower_20_2', 20, 'Bollinger lower band: SMA(20) − 2σ'],
  ['bb_pctb_20_2', 20, 'Bollinger %b: (close − lower) / (upper − lower) (0.5 when the bands touch)'],
  ['bb_width_20_2', 20, 'Bollinger width: (upper − lower) / middle'],
  ['realized_vol_10', 11, 'sqrt(mean of squared 1-bar log returns), last 10 returns'],
  ['realized_vol_20', 21, 'sqrt(mean of squared 1-bar log returns), last 20 returns'],
  ['realized_vol_50', 51, 'sqrt(mean of squared 1-bar log returns), last 50 returns'],
  ['vol_ratio_10_50', 51, 'realized_vol_10 / realized_vol_50 (1 when both are 0)'],
  ['parkinson_vol_20', 20, 'Parkinson high-low volatility over 20 bars: sqrt(mean(ln(high/low)²) / (4 ln 2))'],
  ['range_pct', 1, '(high − low) / close'],
  // Channels and breakouts
  ['dc_upper_20', 20, 'highest high of the last 20 bars, current bar included'],
  ['dc_lower_20', 20, 'lowest low of the last 20 bars, current bar included'],
  ['donchian_high_20_prev', 21, 'highest high of the 20 bars before the current bar'],
  ['donchian_low_20_prev', 21, 'lowest low of the 20 bars before the current bar'],
  ['dc_pos_20', 20, '(close − dc_lower_20) / (dc_upper_20 − dc_lower_20) (0.5 when flat)'],
  ['close_to_donchian_high_20_prev', 21, 'close / donchian_high_20_prev − 1 (> 0: upside breakout)'],
  ['close_to_donchian_low_20_prev', 21, 'close / donchian_low_20_prev − 1 (< 0: downside breakout)'],
  ['close_to_high_50', 50, 'close / highest high of the last 50 bars − 1'],
  ['close_to_low_50', 50, 'close / lowest low of the last 50 bars − 1'],
  ['close_to_high_200', 200, 'close / highest high of the last 200 bars − 1'],
  ['close_to_low_200', 200, 'close / lowest low of the last 200 bars − 1'],
  // Volume
  ['obv', 1, 'On-Balance Volume (talipp: starts at the first bar’s volume), base units'],
  ['obv_flow_20', 21, 'OBV change over 20 bars / volume over those bars, −1..1 (0 without volume)'],
  ['log_volume', 1, 'ln(1 + volume)'],
  ['vol_z_20', 20, 'z-score of volume in its 20-bar window (0 when the window is flat)'],
  ['vol_z_50', 50, 'z-score of volume in its 50-bar window (0 when flat)'],
  ['log_vol_z_20', 20, 'z-score of ln(1 + volume) in its 20-bar window (0 when flat)'],
  ['vol_rel_20', 20, 'volume / SMA(20) of volume (1 without volume)'],
  ['vol_ratio_5_20', 20, 'SMA(5) / SMA(20) of volume (1 without volume)'],
  ['close_to_vwap_20', 20, 'close / 20-bar VWAP of typical price − 1 (0 without volume)'],
  // Candle shape
  ['body_ratio', 1, '(close − open) / (high − low), −1..1 (0 for a flat bar)'],
  ['upper_wick_ratio', 1, '(high − max(open, close)) / (high − low) (0 for a flat bar)'],
  ['lower_wick_ratio', 1, '(min(open, close) − low) / (high − low) (0 for a flat bar)'],
  ['close_pos', 1, '(close − low) / (high − low) (0.5 for a flat bar)'],
  ['body_pct', 1, 'close / open − 1'],
  ['gap_pct', 2, 'open / previous close − 1'],
  // Path shape
  ['efficiency_ratio_10', 11, '|close − close 10 bars ago| / sum of |1-bar changes| over 10 bars, 0..1 (0 without movement)'],
  ['up_ratio_10', 11, 'share of the last 10 bar-to-bar changes that are up'],
  ['streak', 1, 'consecutive higher closes (> 0) or lower closes (< 0); 0 after an unchanged close'],
  // Calendar (UTC, from the bar's open time)
  ['hour_sin', 1, 'sin(2π · time of day / 24 h)'],
  ['hour_cos', 1, 'cos(2π · time of day / 24 h)'],
  ['dow_sin', 1, 'sin(2π · time since Monday 00:00 / 7 days)'],
  ['dow_cos', 1, 'cos(2π · time since Monday 00:00 / 7 days)'],
] as const;

export type FeatureName = (typeof SPECS)[number][0];

export interface FeatureSpec {
  readonly name: FeatureName;
  /** Bars (including the current one) needed before the feature is defined. */
  readonly warmup: number;
  readonly description: string;
}

export const FEATURE_SPECS: readonly FeatureSpec[] = Object.freeze(
  SPECS.map(([name, warmup, description]) => Object.freeze({ name, warmup, description })),
);

/** Stable order, one entry per slot of the feature vector. */
export const FEATURE_NAMES: readonly string[] = Object.freeze(FEATURE_SPECS.map((s) => s.name));

/** Bars needed before every feature is defined. */
export const WARMUP_BARS: number = FEATURE_SPECS.reduce((m, s) => Math.max(m, s.warmup), 0);

const INDEX = new Map<string, number>(FEATURE_NAMES.map((n, i) => [n, i]));

/** Slot of each feature by name (for the hot path: property reads, no map lookups). */
export const FI: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>,
);

export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Slot of a named feature; throws InvalidArgumentError for an unknown name. */
export function featureIndex(name: string): number {
  const i = INDEX.get(name);
  if (i === undefined) throw new InvalidArgumentError(`unknown feature ${describeValue(name)}`, { name });
  return i;
}

/** Slot of a named feature, or -1. */
export function featureIndexOrMinus1(name: string): number {
  return INDEX.get(name) ?? -1;
}

/**
 * ml_model: a model from the registry gives P(up over the horizon); the agent
 * turns it into a side with a probability threshold t:
 *   p >= t     → BUY,  confidence p
 *   p <= 1 - t → SELL, confidence 1 - p
 *   otherwise  → HOLD
 * The model itself is injected (the registry lives elsewhere); without a model,
 * or when it cannot predict (features not warm), the agent holds.
 */
import { confidence, hold, type FeatureView, type StrategyDecision } from './types';
import { describeNumber, readNumber, readOptionalString, rejectUnknownKeys, type NumberBounds, type ParamSpec, type RawParams } from './params';

/** What the agent needs from a model in the registry. */
export interface ModelPredictor {
  /** The model version, stamped on each signal as `model_version`. */
  readonly version: string;
  /** P(price up over the horizon) in [0, 1]; undefined (or NaN) when it cannot predict, e.g. features not warm. */
  predictProba(features: FeatureView): number | undefined;
}

export type PredictProba = (features: FeatureView) => number | undefined;

export interface MlModelParams {
  /** Probability threshold t, 0.5 < t < 1. */
  threshold: number;
  /** Registry model name; absent = the registry's model for the agent's symbol. */
  model?: string | undefined;
  /** Pinned model version; absent = the registry's current version. */
  model_version?: string | undefined;
}

export type MlModelState = Record<string, never>;

const THRESHOLD: NumberBounds = { default: 0.6, min: 0.5, max: 1, exclusiveMin: true, exclusiveMax: true };
const MODEL_NAME = /^[A-Za-z0-9][\w.:/-]{0,63}$/;
const MODEL_VERSION = /^[\w.:-]{1,64}$/;

export const ML_MODEL_PARAMS: Readonly<Record<keyof MlModelParams, ParamSpec>> = {
  threshold: describeNumber(THRESHOLD, 'BUY when P(up) >= threshold, SELL when P(up) <= 1 - threshold'),
  model: { type: 'string', pattern: MODEL_NAME.source, description: "registry model key (default: the agent's symbol and timeframe, e.g. BTC-USD_1h)" },
  model_version: { type: 'string', pattern: MODEL_VERSION.source, description: 'pinned model version (default: current)' },
};

export function parseMlModelParams(raw: RawParams): MlModelParams {
  rejectUnknownKeys(raw, Object.keys(ML_MODEL_PARAMS), 'ml_model config');
  const p: MlModelParams = { threshold: readNumber(raw, 'threshold', THRESHOLD) };
  const model = readOptionalString(raw, 'model', MODEL_NAME);
  const version = readOptionalString(raw, 'model_version', MODEL_VERSION);
  if (model !== undefined) p.model = model;
  if (version !== undefined) p.model_version = version;
  return p;
}

export function evaluateMlModel(features: FeatureView, cfg: MlModelParams, predictProba: PredictProba | undefined): StrategyDecision {
  if (!predictProba) return hold('no model available');
  const p = predictProba(features);
  if (p === undefined || !Number.isFinite(p)) return hold('model cannot predict yet (features not warm)');
  if (p < 0 || p > 1) return hold(`model returned an invalid probability ${p}`);
  if (p >= cfg.threshold) return { side: 'BUY', confidence: confidence(p), reason: `P(up) ${round4(p)} >= ${cfg.threshold}` };
  // Compared as 1 - p >= t, so p == 1 - t sells whatever the float rounding of 1 - t.
  if (1 - p >= cfg.threshold) return { side: 'SELL', confidence: confidence(1 - p), reason: `P(up) ${round4(p)} <= ${round4(1 - cfg.threshold)}` };
  return hold(`P(up) ${round4(p)} inside (${round4(1 - cfg.threshold)}, ${cfg.threshold})`);
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * The strategy agents' engine: agent types, their typed and validated configs,
 * and one dispatching `evaluateStrategy`. Pure: no I/O, no clocks.
 *
 * An agent's config is one JSON object holding the common keys (leverage,
 * horizon_ms) and its type's parameters; every key has a default and bounds,
 * and unknown keys are rejected.
 */
import { describeValue, InvalidArgumentError, timeframeMs, type Timeframe } from '@cte/shared/core';
import { BREAKOUT_FEATURES, BREAKOUT_PARAMS, evaluateBreakout, parseBreakoutParams, type BreakoutParams } from './breakout';
import {
  evaluateMeanReversion,
  MEAN_REVERSION_FEATURES,
  MEAN_REVERSION_PARAMS,
  parseMeanReversionParams,
  type MeanReversionParams,
} from './mean-reversion';
import { evaluateMlModel, ML_MODEL_PARAMS, parseMlModelParams, type MlModelParams, type PredictProba } from './ml-model';
import { describeNumber, isPlainObject, readNumber, type NumberBounds, type ParamSpec } from './params';
import {
  evaluateTrendFollower,
  parseTrendFollowerParams,
  TREND_FOLLOWER_FEATURES,
  TREND_FOLLOWER_PARAMS,
  type TrendFollowerParams,
  type TrendFollowerState,
} from './trend-follower';
import type { FeatureView, StrategyDecision } from './types';

export * from './types';
export * from './breakout';
export * from './mean-reversion';
export * from './ml-model';
export * from './trend-follower';
export type { ParamSpec, RawParams, NumberBounds } from './params';

export const AGENT_TYPES = ['ml_model', 'trend_follower', 'mean_reversion', 'breakout'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export function isAgentType(x: unknown): x is AgentType {
  return typeof x === 'string' && (AGENT_TYPES as readonly string[]).includes(x);
}

export function parseAgentType(x: unknown): AgentType {
  if (!isAgentType(x)) throw new InvalidArgumentError(`invalid agent type ${describeValue(x)}: expected one of ${AGENT_TYPES.join(', ')}`);
  return x;
}

/** Keys every agent's config has. */
export interface CommonAgentConfig {
  /** Leverage the agent's recommendations may use, 1..10. */
  leverage: number;
  /** How far ahead its signals look, ms. Default: 4 bars of its timeframe. */
  horizon_ms: number;
}

export interface AgentParamsByType {
  ml_model: MlModelParams;
  trend_follower: TrendFollowerParams;
  mean_reversion: MeanReversionParams;
  breakout: BreakoutParams;
}

export type AgentConfigOf<T extends AgentType> = CommonAgentConfig & AgentParamsByType[T];
export type AgentConfig = AgentConfigOf<AgentType>;

/** An agent's type with its config, discriminated on `type`. */
export type AgentStrategy = { [T in AgentType]: { type: T; config: AgentConfigOf<T> } }[AgentType];

/**
 * Per-agent, per-symbol memory between bars, held by the caller (in memory)
 * and updated in place by `evaluateStrategy`. Only trend_follower uses it today.
 */
export type StrategyState = TrendFollowerState;

export const DEFAULT_HORIZON_BARS = 4;
export const MAX_HORIZON_MS = 30 * 86_400_000;
const LEVERAGE: NumberBounds = { default: 1, min: 1, max: 10 };
const COMMON_KEYS = ['leverage', 'horizon_ms'] as const;

export function defaultHorizonMs(timeframe: Timeframe): number {
  return DEFAULT_HORIZON_BARS * timeframeMs(timeframe);
}

function horizonBounds(timeframe: Timeframe): NumberBounds {
  return { default: defaultHorizonMs(timeframe), min: 60_000, max: MAX_HORIZON_MS, integer: true };
}

/** What an agent type needs and accepts: for docs and GET /agent-types style answers. */
export interface AgentTypeSpec {
  description: string;
  params: Readonly<Record<string, ParamSpec>>;
  /** Features it reads (the ml_model's model reads its own). */
  features: readonly string[];
}

export const AGENT_TYPE_SPECS: Readonly<Record<AgentType, AgentTypeSpec>> = {
  ml_model: { description: 'a registry model with a probability threshold', params: ML_MODEL_PARAMS, features: [] },
  trend_follower: { description: 'EMA(12/26) cross with an ADX(14) filter', params: TREND_FOLLOWER_PARAMS, features: TREND_FOLLOWER_FEATURES },
  mean_reversion: { description: 'RSI(14) with Bollinger bands (20, 2)', params: MEAN_REVERSION_PARAMS, features: MEAN_REVERSION_FEATURES },
  breakout: { description: 'Donchian channel (20) breakout', params: BREAKOUT_PARAMS, features: BREAKOUT_FEATURES },
};

/** The common keys' specs for a timeframe (the horizon default depends on it). */
export function commonParamSpecs(timeframe: Timeframe): Record<keyof CommonAgentConfig, ParamSpec> {
  return {
    leverage: describeNumber(LEVERAGE, 'leverage used when sizing this agent\'s signals'),
    horizon_ms: describeNumber(horizonBounds(timeframe), 'how far ahead the signals look, ms (default 4 bars)'),
  };
}

/**
 * Validates `raw` (a JSON object, or undefined for all defaults) as the config of
 * a `type` agent on `timeframe`, filling defaults. Throws InvalidArgumentError.
 */
export function parseAgentStrategy(type: unknown, timeframe: Timeframe, raw: unknown): AgentStrategy {
  const t = parseAgentType(type);
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) throw new InvalidArgumentError('config must be a JSON object');
  const all: Record<string, unknown> = isPlainObject(raw) ? raw : {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (!(COMMON_KEYS as readonly string[]).includes(k)) rest[k] = v;
  const common: CommonAgentConfig = {
    leverage: readNumber(all, 'leverage', LEVERAGE),
    horizon_ms: readNumber(all, 'horizon_ms', horizonBounds(timeframe)),
  };
  switch (t) {
    case 'ml_model':
      return { type: t, config: { ...common, ...parseMlModelParams(rest) } };
    case 'trend_follower':
      return { type: t, config: { ...common, ...parseTrendFollowerParams(rest) } };
    case 'mean_reversion':
      return { type: t, config: { ...common, ...parseMeanReversionParams(rest) } };
    case 'breakout':
      return { type: t, config: { ...common, ...parseBreakoutParams(rest) } };
  }
}

export function initialStrategyState(): StrategyState {
  return {};
}

export interface EvaluateContext {
  /** The ml_model's model; ignored by the other types. */
  predictProba?: PredictProba | undefined;
}

/** Evaluates one agent's strategy on one bar's features. Updates `state` in place. */
export function evaluateStrategy(strategy: AgentStrategy, features: FeatureView, state: StrategyState, ctx: EvaluateContext = {}): StrategyDecision {
  switch (strategy.type) {
    case 'ml_model':
      return evaluateMlModel(features, strategy.config, ctx.predictProba);
    case 'trend_follower':
      return evaluateTrendFollower(features, strategy.config, state);
    case 'mean_reversion':
      return evaluateMeanReversion(features, strategy.config);
    case 'breakout':
      return evaluateBreakout(features, strategy.config);
  }
}

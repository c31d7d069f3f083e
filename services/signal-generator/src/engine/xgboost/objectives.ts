import { describeValue, InvalidArgumentError } from '@cte/shared/core';

/**
 * How an objective turns margins into predictions (`PredTransform`) and how a
 * `base_score` (stored in output space by every XGBoost version) becomes a margin (`ProbToMargin`).
 */
export type XgbTransform = 'identity' | 'sigmoid' | 'exp' | 'softmax';

export interface XgbObjectiveSpec {
  /** Applied to the margin by `predict`. */
  readonly transform: XgbTransform;
  /** XGBoost's `ProbToMargin` for `base_score`. */
  readonly baseScoreToMargin: 'identity' | 'logit' | 'log';
  /** True when the objective needs `num_class` > 1. */
  readonly multiclass: boolean;
}

const IDENTITY: XgbObjectiveSpec = { transform: 'identity', baseScoreToMargin: 'identity', multiclass: false };
const EXP: XgbObjectiveSpec = { transform: 'exp', baseScoreToMargin: 'log', multiclass: false };

/** The objectives whose predictions this implementation reproduces. */
export const XGB_OBJECTIVES: Readonly<Record<string, XgbObjectiveSpec>> = {
  'reg:squarederror': IDENTITY,
  'reg:linear': IDENTITY,
  'reg:squaredlogerror': IDENTITY,
  'reg:pseudohubererror': IDENTITY,
  'reg:absoluteerror': IDENTITY,
  'rank:pairwise': IDENTITY,
  'rank:ndcg': IDENTITY,
  'rank:map': IDENTITY,
  'binary:logistic': { transform: 'sigmoid', baseScoreToMargin: 'logit', multiclass: false },
  'reg:logistic': { transform: 'sigmoid', baseScoreToMargin: 'logit', multiclass: false },
  // logitraw outputs the margin, but its base_score is a probability like logistic's.
  'binary:logitraw': { transform: 'identity', baseScoreToMargin: 'logit', multiclass: false },
  'count:poisson': EXP,
  'reg:gamma': EXP,
  'reg:tweedie': EXP,
  'survival:cox': EXP,
  'multi:softprob': { transform: 'softmax', baseScoreToMargin: 'identity', multiclass: true },
};

export function objectiveSpec(name: string): XgbObjectiveSpec {
  const spec = Object.prototype.hasOwnProperty.call(XGB_OBJECTIVES, name) ? XGB_OBJECTIVES[name] : undefined;
  if (spec === undefined) {
    throw new InvalidArgumentError(
      `unsupported XGBoost objective ${describeValue(name)}: supported are ${Object.keys(XGB_OBJECTIVES).join(', ')}`,
      { objective: name },
    );
  }
  return spec;
}

/** `base_score` (output space, e.g. a probability) → margin, in float32 like XGBoost's `ProbToMargin`. */
export function baseScoreToMargin(spec: XgbObjectiveSpec, baseScore: number, objective: string): number {
  switch (spec.baseScoreToMargin) {
    case 'identity':
      return Math.fround(baseScore);
    case 'logit':
      if (!(baseScore > 0 && baseScore < 1)) {
        throw new InvalidArgumentError(`base_score ${baseScore} must be in (0, 1) for ${objective}`, { objective, base_score: baseScore });
      }
      return Math.fround(-Math.log(1 / baseScore - 1));
    case 'log':
      if (!(baseScore > 0)) {
        throw new InvalidArgumentError(`base_score ${baseScore} must be > 0 for ${objective}`, { objective, base_score: baseScore });
      }
      return Math.fround(Math.log(baseScore));
  }
}

/** Applies `transform` to `n` margins at `src[srcOff..]`, writing to `dst[dstOff..]` (may alias). */
export function applyTransform(transform: XgbTransform, src: Float64Array, srcOff: number, dst: Float64Array, dstOff: number, n: number): void {
  switch (transform) {
    case 'identity':
      if (src !== dst || srcOff !== dstOff) for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dst[dstOff + i] = 1 / (1 + Math.exp(-src[srcOff + i]!));
      return;
    case 'exp':
      for (let i = 0; i < n; i++) dst[dstOff + i] = Math.exp(src[srcOff + i]!);
      return;
    case 'softmax': {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, src[srcOff + i]!);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const e = Math.exp(src[srcOff + i]! - max);
        dst[dstOff + i] = e;
        sum += e;
      }
      for (let i = 0; i < n; i++) dst[dstOff + i] = dst[dstOff + i]! / sum;
      return;
    }
  }
}

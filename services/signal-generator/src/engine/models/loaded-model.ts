/**
 * A registry model ready to serve: the XGBoost model, its metadata, and the
 * mapping from the feature pipeline's vector onto the model's columns. Pure.
 */
import { describeValue, FailedPreconditionError, InvalidArgumentError } from '@cte/shared/core';
import { loadXgbModel, type XgbModel } from '../xgboost';
import { modelKey, type ModelMeta } from './meta';

/** Objectives whose output is a probability, the only ones a signal can use. */
export const PROBABILISTIC_OBJECTIVES: readonly string[] = ['binary:logistic', 'reg:logistic', 'multi:softprob'];

export interface LoadedModel {
  /** `BTC-USD_1h`. */
  readonly key: string;
  readonly meta: ModelMeta;
  readonly version: string;
  readonly model: XgbModel;
  /** Epoch ms when this version was loaded. */
  readonly loadedAt: number;
  /** For each model column, its index in the pipeline's feature vector. */
  readonly featureIndex: Int32Array;
  /** Classes: 2 for binary objectives, num_class for multi:softprob. */
  readonly numClasses: number;
  /**
   * P(positive class) for a binary model, from the pipeline's feature vector
   * (NaN = missing, which XGBoost routes by its default directions). Throws
   * FailedPreconditionError for a multiclass model: use `predictClassProbs`.
   */
  predictProba(features: Float64Array): number;
  /** Class probabilities (`[1 - p, p]` for a binary model). */
  predictClassProbs(features: Float64Array): Float64Array;
}

/**
 * For each of `modelFeatures`, its index in `pipelineFeatures`. A model may use
 * any subset of the pipeline's features in any order; a feature the pipeline
 * does not compute is an error naming it (and the first few of the others).
 */
export function mapFeatures(modelFeatures: readonly string[], pipelineFeatures: readonly string[]): Int32Array {
  const index = new Map<string, number>();
  pipelineFeatures.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  const unknown = modelFeatures.filter((n) => !index.has(n));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 10).map((n) => describeValue(n)).join(', ');
    throw new InvalidArgumentError(
      `model features not computed by the feature pipeline (${unknown.length} of ${modelFeatures.length}): ${shown}${unknown.length > 10 ? ', …' : ''}`,
      { unknown_features: unknown },
    );
  }
  return Int32Array.from(modelFeatures, (n) => index.get(n)!);
}

/** Largest difference allowed between our predictions and the trainer's on the self-check rows. */
export const SELF_CHECK_TOLERANCE = 1e-5;

/** Re-predicts the trainer's rows; throws InvalidArgumentError when any prediction differs by more than 1e-5. */
export function verifySelfCheck(model: XgbModel, check: { features: Float64Array[]; predictions: Float64Array }): void {
  const got = model.predictBatch(check.features);
  if (got.length !== check.predictions.length) {
    throw new InvalidArgumentError(`self-check: ${check.predictions.length} predictions for ${got.length} outputs`);
  }
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - check.predictions[i]!));
  if (!(worst <= SELF_CHECK_TOLERANCE)) {
    throw new InvalidArgumentError(`self-check failed: predictions differ from the trainer's by up to ${worst}`, { max_abs_error: worst });
  }
}

export interface CreateLoadedModelInput {
  key: string;
  meta: ModelMeta;
  /** The parsed model.json. */
  modelJson: unknown;
  /** The feature pipeline's names, in vector order (FEATURE_NAMES). */
  pipelineFeatures: readonly string[];
  loadedAt: number;
}

/** Checks the model against its metadata and the pipeline; throws InvalidArgumentError with the reason. */
export function createLoadedModel(input: CreateLoadedModelInput): LoadedModel {
  const { key, meta, pipelineFeatures, loadedAt } = input;
  const metaKey = modelKey(meta.symbol, meta.timeframe);
  if (metaKey !== key) {
    throw new InvalidArgumentError(`meta.json is for ${meta.symbol} ${meta.timeframe} (${metaKey}), not ${key}`);
  }
  const model = loadXgbModel(input.modelJson);
  if (model.objective !== meta.objective) {
    throw new InvalidArgumentError(`model.json objective ${model.objective} differs from meta.json objective ${meta.objective}`);
  }
  if (!PROBABILISTIC_OBJECTIVES.includes(model.objective)) {
    throw new InvalidArgumentError(`objective ${model.objective} does not give probabilities; expected one of ${PROBABILISTIC_OBJECTIVES.join(', ')}`);
  }
  if (meta.featureNames.length !== model.numFeatures) {
    throw new InvalidArgumentError(`meta.json lists ${meta.featureNames.length} features but the model has ${model.numFeatures}`);
  }
  if (model.featureNames !== undefined) {
    const i = model.featureNames.findIndex((n, j) => n !== meta.featureNames[j]);
    if (i >= 0) {
      throw new InvalidArgumentError(
        `model.json feature ${i} is ${describeValue(model.featureNames[i])} but meta.json says ${describeValue(meta.featureNames[i])}`,
      );
    }
  }
  if (meta.selfCheck !== undefined) verifySelfCheck(model, meta.selfCheck);
  const featureIndex = mapFeatures(meta.featureNames, pipelineFeatures);
  const width = pipelineFeatures.length;
  const numClasses = Math.max(2, model.numClass);
  const row = new Float64Array(model.numFeatures);
  const out = new Float64Array(model.numOutputs);

  const gather = (features: Float64Array): void => {
    if (features.length !== width) {
      throw new InvalidArgumentError(`feature vector has ${features.length} values, the pipeline has ${width}`, { got: features.length, expected: width });
    }
    for (let i = 0; i < featureIndex.length; i++) row[i] = features[featureIndex[i]!]!;
    model.predictInto(row, out, 0);
  };

  return {
    key,
    meta,
    version: meta.version,
    model,
    loadedAt,
    featureIndex,
    numClasses,
    predictProba(features: Float64Array): number {
      if (model.numOutputs !== 1) {
        throw new FailedPreconditionError(`model ${key} is multiclass (${numClasses} classes); use predictClassProbs`);
      }
      gather(features);
      return out[0]!;
    },
    predictClassProbs(features: Float64Array): Float64Array {
      gather(features);
      if (model.numOutputs === 1) return Float64Array.of(1 - out[0]!, out[0]!);
      return Float64Array.from(out);
    },
  };
}

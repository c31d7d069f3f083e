/**
 * The incremental feature pipeline (pure, no I/O): closed bars in, named
 * feature vectors out. See FEATURE_SPECS for every feature's definition.
 */
export { FeaturePipeline, type FeaturePipelineOptions } from './pipeline';
export { computeFeaturesBatch } from './batch';
export { benchmarkFeatures, type FeatureBenchResult } from './bench';
export {
  FEATURE_NAMES,
  FEATURE_SPECS,
  FEATURE_COUNT,
  WARMUP_BARS,
  featureIndex,
  type FeatureName,
  type FeatureSpec,
} from './names';

export { modelKey, parseModelKey, parseModelMeta } from './meta';
export type { ModelLabel, ModelMeta, ModelMetrics, ModelSplitMetrics } from './meta';
export { PROBABILISTIC_OBJECTIVES, SELF_CHECK_TOLERANCE, createLoadedModel, mapFeatures, verifySelfCheck } from './loaded-model';
export type { CreateLoadedModelInput, LoadedModel } from './loaded-model';

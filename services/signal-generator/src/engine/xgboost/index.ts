export { loadXgbModel } from './model';
export type { XgbBoosterKind, XgbModel, XgbRow } from './model';
export { XGB_OBJECTIVES, objectiveSpec } from './objectives';
export type { XgbObjectiveSpec, XgbTransform } from './objectives';
export { benchmarkXgb, syntheticXgbModelJson } from './bench';
export type { XgbBenchOptions, XgbBenchResult, SyntheticModelOptions } from './bench';

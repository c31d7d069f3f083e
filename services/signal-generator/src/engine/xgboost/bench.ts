/**
 * Throughput of XGBoost inference on a synthetic model (no files): a full
 * binary tree ensemble, by default 100 trees of depth 6 over 80 features,
 * binary:logistic, saved in XGBoost 1.7's JSON layout. Two baselines run in the
 * same process so the figure can be read against the machine: reading every
 * input value once, and one random leaf lookup per tree (what inference would
 * cost if tree walking were free).
 */
import { loadXgbModel, type XgbModel } from './model';

export interface SyntheticModelOptions {
  trees?: number;
  depth?: number;
  features?: number;
  seed?: number;
}

export interface XgbBenchOptions extends SyntheticModelOptions {
  /** Rows per timed run. Default 100,000. */
  rows?: number;
  /** Timed runs (the median is reported). Default 5. */
  runs?: number;
  /** Share of missing (NaN) input values. Default 0.05. */
  missingRate?: number;
}

export interface XgbBenchFigure {
  /** Median rows per second over the runs. */
  rowsPerSec: number;
  /** Median nanoseconds per row. */
  nsPerRow: number;
}

export interface XgbBenchResult {
  trees: number;
  depth: number;
  features: number;
  rows: number;
  runs: number;
  /** `predictInto` (margin + sigmoid), one row at a time. */
  predict: XgbBenchFigure;
  /** Baseline: sum every input value of the row once. */
  readRows: XgbBenchFigure;
  /** Baseline: one pseudo-random float32 leaf lookup per tree, summed in float32 (tree walking excluded). */
  leafLookups: XgbBenchFigure;
  /** Sum of the predictions, so the work cannot be optimised away (and two runs can be compared). */
  checksum: number;
}

/** Deterministic PRNG (mulberry32) → [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random, complete XGBoost JSON model (XGBoost 1.7 layout, scalar base_score):
 * `trees` full binary trees of `depth` levels of splits on standard-normal-ish
 * thresholds, random default directions, small leaf values.
 */
export function syntheticXgbModelJson(options: SyntheticModelOptions = {}): Record<string, unknown> {
  const nTrees = options.trees ?? 100;
  const depth = options.depth ?? 6;
  const nFeatures = options.features ?? 80;
  const rand = rng(options.seed ?? 42);
  const nNodes = 2 ** (depth + 1) - 1;
  const nInternal = 2 ** depth - 1;
  const trees = [];
  for (let t = 0; t < nTrees; t++) {
    const left: number[] = [];
    const right: number[] = [];
    const split: number[] = [];
    const cond: number[] = [];
    const defaultLeft: number[] = [];
    const parents: number[] = [];
    for (let i = 0; i < nNodes; i++) {
      const internal = i < nInternal;
      left.push(internal ? 2 * i + 1 : -1);
      right.push(internal ? 2 * i + 2 : -1);
      split.push(internal ? Math.floor(rand() * nFeatures) : 0);
      cond.push(Math.fround(internal ? (rand() + rand() + rand() - 1.5) * 2 : (rand() - 0.5) * 0.2));
      defaultLeft.push(rand() < 0.5 ? 1 : 0);
      parents.push(i === 0 ? 2147483647 : Math.floor((i - 1) / 2));
    }
    trees.push({
      base_weights: cond.map(() => 0),
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
      default_left: defaultLeft,
      id: t,
      left_children: left,
      loss_changes: cond.map(() => 0),
      parents,
      right_children: right,
      split_conditions: cond,
      split_indices: split,
      split_type: cond.map(() => 0),
      sum_hessian: cond.map(() => 1),
      tree_param: { num_deleted: '0', num_feature: String(nFeatures), num_nodes: String(nNodes), size_leaf_vector: '0' },
    });
  }
  return {
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: [],
      gradient_booster: {
        model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: String(nTrees) }, tree_info: trees.map(() => 0), trees },
        name: 'gbtree',
      },
      learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: String(nFeatures), num_target: '1' },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [1, 7, 4],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function time(runs: number, rows: number, body: () => number): { figure: XgbBenchFigure; sink: number } {
  let sink = body(); // warm-up (JIT)
  const ns: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    sink += body();
    ns.push(Number(process.hrtime.bigint() - t0));
  }
  const med = median(ns);
  return { figure: { rowsPerSec: (rows * 1e9) / med, nsPerRow: med / rows }, sink };
}

/** Measures inference rows/s on a synthetic model with baselines from the same run. */
export function benchmarkXgb(options: XgbBenchOptions = {}): XgbBenchResult {
  const trees = options.trees ?? 100;
  const depth = options.depth ?? 6;
  const features = options.features ?? 80;
  const nRows = options.rows ?? 100_000;
  const runs = options.runs ?? 5;
  const missingRate = options.missingRate ?? 0.05;
  const model: XgbModel = loadXgbModel(syntheticXgbModelJson({ trees, depth, features, seed: options.seed ?? 42 }));
  const rand = rng((options.seed ?? 42) + 1);
  const rows: Float64Array[] = [];
  for (let r = 0; r < nRows; r++) {
    const row = new Float64Array(features);
    for (let f = 0; f < features; f++) row[f] = rand() < missingRate ? NaN : (rand() + rand() + rand() - 1.5) * 2;
    rows.push(row);
  }
  const out = new Float64Array(1);

  const predict = time(runs, nRows, () => {
    let s = 0;
    for (let r = 0; r < nRows; r++) {
      model.predictInto(rows[r]!, out, 0);
      s += out[0]!;
    }
    return s;
  });

  const readRows = time(runs, nRows, () => {
    let s = 0;
    for (let r = 0; r < nRows; r++) {
      const row = rows[r]!;
      for (let f = 0; f < features; f++) {
        const v = row[f]!;
        if (v === v) s += v;
      }
    }
    return s;
  });

  const leaves = new Float32Array(trees * 2 ** depth);
  for (let i = 0; i < leaves.length; i++) leaves[i] = Math.fround((rand() - 0.5) * 0.2);
  const leafMask = 2 ** depth - 1;
  const leafLookups = time(runs, nRows, () => {
    let s = 0;
    let h = 0x9e3779b9;
    for (let r = 0; r < nRows; r++) {
      let acc = 0;
      for (let t = 0; t < trees; t++) {
        h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
        acc = Math.fround(acc + leaves[t * (leafMask + 1) + (h & leafMask)]!);
      }
      s += acc;
    }
    return s;
  });

  return {
    trees,
    depth,
    features,
    rows: nRows,
    runs,
    predict: predict.figure,
    readRows: readRows.figure,
    leafLookups: leafLookups.figure,
    checksum: predict.sink,
  };
}

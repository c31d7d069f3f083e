/**
 * XGBoost inference over models saved in XGBoost's JSON format
 * (`Booster.save_model("m.json")`), written by XGBoost 1.x, 2.x or 3.x.
 * Pure: the caller parses the file; `loadXgbModel` takes the parsed object.
 *
 * Numerics follow XGBoost's CPU predictor so results agree to float32 rounding:
 * - feature values are cast to float32, split conditions are float32 and a row
 *   goes left when `x < split`; a missing value (NaN) takes the node's default
 *   direction;
 * - the margin starts at the base margin and tree outputs are added one tree
 *   at a time in float32 (`Math.fround` after each addition);
 * - `base_score`, a scalar in 1.x/2.x (`"5E-1"`) or a vector string in 3.x
 *   (`"[5E-1]"`), is in output space and goes through the objective's
 *   `ProbToMargin` (logit for logistic);
 * - gblinear adds `x * w` to a float32 sum that starts at bias + base margin,
 *   with one rounding per step (a fused multiply-add, as XGBoost 3.1 builds do;
 *   an unfused build can differ by one float32 ulp).
 *
 * Trees are flattened into typed arrays (node feature, threshold/leaf value,
 * absolute child index) laid out so the right child follows the left one, and
 * walked four trees at a time with branch-free steps.
 */
import { describeValue, InvalidArgumentError } from '@cte/shared/core';
import { applyTransform, baseScoreToMargin, objectiveSpec, type XgbTransform } from './objectives';
import {
  arr,
  fail,
  intArray,
  intLike,
  isObject,
  numArray,
  numLike,
  obj,
  optStrArray,
  str,
  type JsonObject,
} from './json';

export type XgbBoosterKind = 'gbtree' | 'dart' | 'gblinear';

/** One row of features in model order; NaN (or a non-number) is missing. A shorter row's tail is missing, as in XGBoost. */
export type XgbRow = ArrayLike<number>;

export interface XgbModel {
  readonly booster: XgbBoosterKind;
  /** Objective name, e.g. `binary:logistic`. */
  readonly objective: string;
  /** XGBoost's `num_feature`: rows may have at most this many values. */
  readonly numFeatures: number;
  /** XGBoost's `num_class`: 0 unless the objective is multiclass. */
  readonly numClass: number;
  /** Values per row from `predict`/`predictMargin`: `max(1, numClass)`. */
  readonly numOutputs: number;
  /** Trees (0 for gblinear). */
  readonly numTrees: number;
  /** The base margin per output (float32 values). */
  readonly baseMargin: Float64Array;
  /** Feature names saved in the model (when the training DMatrix had them), else undefined. */
  readonly featureNames: readonly string[] | undefined;
  /** The XGBoost version that wrote the model, e.g. [1, 7, 4]. */
  readonly xgboostVersion: readonly number[];
  /** Raw margins (`output_margin=True`), one per output. */
  predictMargin(row: XgbRow): Float64Array;
  /** Transformed predictions: probabilities for logistic/softprob, identity for regression. */
  predict(row: XgbRow): Float64Array;
  /** Allocation-free variants: write `numOutputs` values at `out[offset..]`. */
  predictMarginInto(row: XgbRow, out: Float64Array, offset?: number): void;
  predictInto(row: XgbRow, out: Float64Array, offset?: number): void;
  /** Row-major `rows.length × numOutputs` predictions (margins when `outputMargin`). */
  predictBatch(rows: readonly XgbRow[], options?: { outputMargin?: boolean }): Float64Array;
}

/**
 * Trees flattened across the whole ensemble, re-laid out breadth-first so that
 * a node's right child is `left + 1`. Leaves are absorbing (`left` = itself,
 * `internal` = 0), so a walk can run a fixed number of steps (the tree's depth)
 * and choose children without branches: `n = left[n] + step`.
 */
interface FlatTrees {
  /** Split feature per node (0 for leaves, never read into a decision). */
  feature: Int32Array;
  /** Split condition for internal nodes, leaf value for leaves (as XGBoost stores them). */
  value: Float32Array;
  /** Absolute index of the left child; the right child is the next node. A leaf points at itself. */
  left: Int32Array;
  /** 1 when a missing value goes right. */
  defaultRight: Uint8Array;
  /** 1 for internal nodes, 0 for leaves. */
  internal: Uint8Array;
  /** Root node of each tree. */
  roots: Int32Array;
  /** Depth (longest root-to-leaf path, in splits) of each tree. */
  depths: Int32Array;
  /** Output group of each tree. */
  groups: Int32Array;
  /** DART tree weights, else undefined. */
  weights: Float32Array | undefined;
}

interface Common {
  objective: string;
  transform: XgbTransform;
  numFeatures: number;
  numClass: number;
  numOutputs: number;
  baseMargin: Float64Array;
  featureNames: readonly string[] | undefined;
  xgboostVersion: readonly number[];
}

abstract class BaseModel implements XgbModel {
  abstract readonly booster: XgbBoosterKind;
  abstract readonly numTrees: number;
  readonly objective: string;
  readonly numFeatures: number;
  readonly numClass: number;
  readonly numOutputs: number;
  readonly baseMargin: Float64Array;
  readonly featureNames: readonly string[] | undefined;
  readonly xgboostVersion: readonly number[];
  protected readonly transform: XgbTransform;
  /** The current row as float32 (what XGBoost's DMatrix holds). */
  protected readonly x: Float32Array;

  constructor(c: Common) {
    this.objective = c.objective;
    this.transform = c.transform;
    this.numFeatures = c.numFeatures;
    this.numClass = c.numClass;
    this.numOutputs = c.numOutputs;
    this.baseMargin = c.baseMargin;
    this.featureNames = c.featureNames;
    this.xgboostVersion = c.xgboostVersion;
    this.x = new Float32Array(c.numFeatures);
  }

  /** Adds the booster's output to the base margins already at `out[offset..]`; reads `this.x`. */
  protected abstract accumulate(out: Float64Array, offset: number): void;

  private load(row: XgbRow): void {
    const n = row.length;
    const nf = this.numFeatures;
    if (n > nf) {
      throw new InvalidArgumentError(`row has ${n} features but the model was trained on ${nf}`, { features: n, expected: nf });
    }
    const x = this.x;
    for (let i = 0; i < n; i++) {
      const v = row[i];
      x[i] = typeof v === 'number' ? v : NaN; // JSON null → missing, never 0
    }
    for (let i = n; i < nf; i++) x[i] = NaN;
  }

  predictMarginInto(row: XgbRow, out: Float64Array, offset = 0): void {
    this.load(row);
    const k = this.numOutputs;
    const base = this.baseMargin;
    for (let g = 0; g < k; g++) out[offset + g] = base[g]!;
    this.accumulate(out, offset);
  }

  predictInto(row: XgbRow, out: Float64Array, offset = 0): void {
    this.predictMarginInto(row, out, offset);
    applyTransform(this.transform, out, offset, out, offset, this.numOutputs);
  }

  predictMargin(row: XgbRow): Float64Array {
    const out = new Float64Array(this.numOutputs);
    this.predictMarginInto(row, out, 0);
    return out;
  }

  predict(row: XgbRow): Float64Array {
    const out = new Float64Array(this.numOutputs);
    this.predictInto(row, out, 0);
    return out;
  }

  predictBatch(rows: readonly XgbRow[], options: { outputMargin?: boolean } = {}): Float64Array {
    const k = this.numOutputs;
    const out = new Float64Array(rows.length * k);
    const margin = options.outputMargin === true;
    for (let r = 0; r < rows.length; r++) {
      if (margin) this.predictMarginInto(rows[r]!, out, r * k);
      else this.predictInto(rows[r]!, out, r * k);
    }
    return out;
  }
}

class TreeModel extends BaseModel {
  readonly booster: 'gbtree' | 'dart';
  readonly numTrees: number;
  private readonly t: FlatTrees;

  constructor(c: Common, booster: 'gbtree' | 'dart', trees: FlatTrees) {
    super(c);
    this.booster = booster;
    this.t = trees;
    this.numTrees = trees.roots.length;
  }

  /**
   * Walks four trees in lockstep (independent dependency chains keep the CPU
   * busy), each step branch-free: go right when `x >= split`, or when `x` is
   * missing and the node's default is right. Leaves are added in tree order.
   */
  protected accumulate(out: Float64Array, offset: number): void {
    const { feature: F, value: V, left: L, defaultRight: D, internal: K, roots, depths, weights } = this.t;
    const x = this.x;
    const nTrees = roots.length;
    const plain = this.numOutputs === 1 && weights === undefined;
    let acc = out[offset]!;
    let t = 0;
    for (; t + 4 <= nTrees; t += 4) {
      let n0 = roots[t]!;
      let n1 = roots[t + 1]!;
      let n2 = roots[t + 2]!;
      let n3 = roots[t + 3]!;
      const steps = Math.max(depths[t]!, depths[t + 1]!, depths[t + 2]!, depths[t + 3]!);
      for (let k = 0; k < steps; k++) {
        const v0 = x[F[n0]!]!;
        const v1 = x[F[n1]!]!;
        const v2 = x[F[n2]!]!;
        const v3 = x[F[n3]!]!;
        n0 = L[n0]! + ((+(v0 >= V[n0]!) | (D[n0]! & +(v0 !== v0))) & K[n0]!);
        n1 = L[n1]! + ((+(v1 >= V[n1]!) | (D[n1]! & +(v1 !== v1))) & K[n1]!);
        n2 = L[n2]! + ((+(v2 >= V[n2]!) | (D[n2]! & +(v2 !== v2))) & K[n2]!);
        n3 = L[n3]! + ((+(v3 >= V[n3]!) | (D[n3]! & +(v3 !== v3))) & K[n3]!);
      }
      if (plain) {
        acc = Math.fround(acc + V[n0]!);
        acc = Math.fround(acc + V[n1]!);
        acc = Math.fround(acc + V[n2]!);
        acc = Math.fround(acc + V[n3]!);
      } else {
        this.add(out, offset, t, n0);
        this.add(out, offset, t + 1, n1);
        this.add(out, offset, t + 2, n2);
        this.add(out, offset, t + 3, n3);
      }
    }
    for (; t < nTrees; t++) {
      let n = roots[t]!;
      for (let k = depths[t]!; k > 0; k--) {
        const v = x[F[n]!]!;
        n = L[n]! + ((+(v >= V[n]!) | (D[n]! & +(v !== v))) & K[n]!);
      }
      if (plain) acc = Math.fround(acc + V[n]!);
      else this.add(out, offset, t, n);
    }
    if (plain) out[offset] = acc;
  }

  /** Adds leaf `n` of tree `t` to its output group (DART: times the tree weight), in float32. */
  private add(out: Float64Array, offset: number, t: number, n: number): void {
    const w = this.t.weights;
    const leaf = w === undefined ? this.t.value[n]! : Math.fround(this.t.value[n]! * w[t]!);
    const i = offset + this.t.groups[t]!;
    out[i] = Math.fround(out[i]! + leaf);
  }
}

class LinearModel extends BaseModel {
  readonly booster = 'gblinear' as const;
  readonly numTrees = 0;
  /** `weights[f * numOutputs + g]`, then the biases at `numFeatures * numOutputs + g`. */
  private readonly w: Float32Array;

  constructor(c: Common, weights: Float32Array) {
    super(c);
    this.w = weights;
  }

  protected accumulate(out: Float64Array, offset: number): void {
    const k = this.numOutputs;
    const nf = this.numFeatures;
    const w = this.w;
    const x = this.x;
    for (let g = 0; g < k; g++) {
      let psum = Math.fround(w[nf * k + g]! + out[offset + g]!);
      for (let f = 0; f < nf; f++) {
        const v = x[f]!;
        if (v !== v) continue;
        // float32 × float32 is exact in float64, so this rounds once: a fused multiply-add.
        psum = Math.fround(psum + v * w[f * k + g]!);
      }
      out[offset + g] = psum;
    }
  }
}

function featureLabel(names: readonly string[] | undefined, index: number): string {
  const name = names?.[index];
  return name !== undefined && name !== '' ? `"${name}" (index ${index})` : `f${index}`;
}

interface NodeLists {
  feature: number[];
  value: number[];
  left: number[];
  defaultRight: number[];
  internal: number[];
}

/**
 * Parses and checks one tree and appends its reachable nodes to `nodes`,
 * breadth-first with siblings adjacent (absolute indices). Returns its root and depth.
 */
function parseTree(
  tree: JsonObject,
  path: string,
  numFeatures: number,
  featureNames: readonly string[] | undefined,
  treeIndex: number,
  nodes: NodeLists,
): { root: number; depth: number } {
  const param = obj(tree, 'tree_param', path);
  const n = intLike(param, 'num_nodes', `${path}.tree_param`, 1);
  if (param['size_leaf_vector'] !== undefined && numLike(param, 'size_leaf_vector', `${path}.tree_param`) > 1) {
    fail(`${path}.tree_param.size_leaf_vector`, 'vector-leaf (multi-target) trees are not supported');
  }
  const left = intArray(tree, 'left_children', path, n);
  const right = intArray(tree, 'right_children', path, n);
  const split = intArray(tree, 'split_indices', path, n);
  const cond = numArray(tree, 'split_conditions', path, n);
  const defLeft = numArray(tree, 'default_left', path, n);
  const splitType = tree['split_type'] === undefined ? undefined : intArray(tree, 'split_type', path, n);

  // Breadth-first from the root: every node reachable once (a tree, no cycles), indices in range.
  const order: number[] = [0]; // new position → old index
  const depthOf: number[] = [0];
  const seen = new Uint8Array(n);
  seen[0] = 1;
  let depth = 0;
  for (let q = 0; q < order.length; q++) {
    const i = order[q]!;
    const l = left[i]!;
    const r = right[i]!;
    if (l === -1 && r === -1) {
      depth = Math.max(depth, depthOf[q]!);
      continue;
    }
    if (l < 0 || l >= n || r < 0 || r >= n) fail(path, `node ${i} has children ${l}, ${r} outside 0..${n - 1}`);
    if (seen[l] === 1 || seen[r] === 1 || l === r) fail(path, `node ${seen[l] === 1 ? l : r} is reachable twice (not a tree)`);
    seen[l] = 1;
    seen[r] = 1;
    if (splitType !== undefined && splitType[i] !== 0) {
      const feature = featureLabel(featureNames, split[i]!);
      throw new InvalidArgumentError(
        `categorical split on feature ${feature} (tree ${treeIndex}, node ${i}) is not supported; retrain with numeric features`,
        { feature: featureNames?.[split[i]!] ?? `f${split[i]}`, feature_index: split[i], tree: treeIndex, node: i },
      );
    }
    if (split[i]! < 0 || split[i]! >= numFeatures) {
      fail(`${path}.split_indices[${i}]`, `feature ${split[i]} outside 0..${numFeatures - 1}`);
    }
    order.push(l, r);
    depthOf.push(depthOf[q]! + 1, depthOf[q]! + 1);
  }

  const base = nodes.feature.length;
  const position = new Map<number, number>();
  order.forEach((old, pos) => position.set(old, base + pos));
  for (const i of order) {
    const leaf = left[i] === -1;
    nodes.feature.push(leaf ? 0 : split[i]!);
    nodes.value.push(cond[i]!);
    nodes.left.push(leaf ? position.get(i)! : position.get(left[i]!)!);
    nodes.defaultRight.push(leaf || defLeft[i] !== 0 ? 0 : 1);
    nodes.internal.push(leaf ? 0 : 1);
  }
  return { root: base, depth };
}

function parseTrees(
  gbtreeModel: JsonObject,
  path: string,
  numFeatures: number,
  numOutputs: number,
  featureNames: readonly string[] | undefined,
): Omit<FlatTrees, 'weights'> {
  const trees = arr(gbtreeModel, 'trees', path);
  const treeInfo = intArray(gbtreeModel, 'tree_info', path, trees.length);
  const nodes: NodeLists = { feature: [], value: [], left: [], defaultRight: [], internal: [] };
  const roots = new Int32Array(trees.length);
  const depths = new Int32Array(trees.length);
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t];
    if (!isObject(tree)) fail(`${path}.trees[${t}]`, 'expected an object');
    if (treeInfo[t]! < 0 || treeInfo[t]! >= numOutputs) fail(`${path}.tree_info[${t}]`, `group ${treeInfo[t]} outside 0..${numOutputs - 1}`);
    const { root, depth } = parseTree(tree, `${path}.trees[${t}]`, numFeatures, featureNames, t, nodes);
    roots[t] = root;
    depths[t] = depth;
  }
  return {
    feature: Int32Array.from(nodes.feature),
    value: Float32Array.from(nodes.value),
    left: Int32Array.from(nodes.left),
    defaultRight: Uint8Array.from(nodes.defaultRight),
    internal: Uint8Array.from(nodes.internal),
    roots,
    depths,
    groups: Int32Array.from(treeInfo),
  };
}

/**
 * `base_score` → base margin per output. XGBoost 1.x/2.x write a scalar (`"5E-1"`),
 * 3.x a vector string (`"[5E-1]"`, `"[0.1,0.2,0.3]"`, one entry per output). Both are
 * in the objective's output space (a probability for logistic, as the 3.1.1
 * reference models show: `"[5E-1]"` on binary:logistic is a margin of 0) and go
 * through the objective's `ProbToMargin`, in float32.
 */
function parseBaseScore(raw: unknown, numOutputs: number, objective: string, path: string): Float64Array {
  const spec = objectiveSpec(objective);
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  if (text === undefined) fail(path, `expected a string, got ${describeValue(raw)}`);
  let values: number[];
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(path, `malformed vector ${describeValue(text)}`);
    const parts = text.slice(1, -1).split(',').map((s) => s.trim());
    values = parts.map(Number);
    if (parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) fail(path, `malformed vector ${describeValue(text)}`);
    if (values.length !== 1 && values.length !== numOutputs) fail(path, `has ${values.length} entries, expected 1 or ${numOutputs}`);
  } else {
    const p = text === '' ? NaN : Number(text);
    if (!Number.isFinite(p)) fail(path, `expected a number, got ${describeValue(text)}`);
    values = [p];
  }
  const out = new Float64Array(numOutputs);
  for (let g = 0; g < numOutputs; g++) out[g] = baseScoreToMargin(spec, values.length === 1 ? values[0]! : values[g]!, objective);
  return out;
}

/**
 * Builds an `XgbModel` from a parsed XGBoost JSON model. Throws
 * InvalidArgumentError (naming the JSON path, or the feature of a categorical
 * split) for anything it cannot reproduce exactly.
 */
export function loadXgbModel(json: unknown): XgbModel {
  if (!isObject(json)) fail('$', 'expected an object');
  const root = json;
  const versionRaw = root['version'];
  const xgboostVersion = Array.isArray(versionRaw) && versionRaw.every((v) => Number.isInteger(v)) ? (versionRaw as number[]) : [];
  const learner = obj(root, 'learner', '$');
  const param = obj(learner, 'learner_model_param', '$.learner');
  const objective = str(obj(learner, 'objective', '$.learner'), 'name', '$.learner.objective');
  const spec = objectiveSpec(objective);
  const numFeatures = intLike(param, 'num_feature', '$.learner.learner_model_param', 1);
  const numClass = param['num_class'] === undefined ? 0 : intLike(param, 'num_class', '$.learner.learner_model_param');
  const numTarget = param['num_target'] === undefined ? 1 : intLike(param, 'num_target', '$.learner.learner_model_param', 1);
  if (numTarget > 1) fail('$.learner.learner_model_param.num_target', `multi-target models (${numTarget} targets) are not supported`);
  if (spec.multiclass && numClass < 2) fail('$.learner.learner_model_param.num_class', `${objective} needs num_class >= 2, got ${numClass}`);
  if (!spec.multiclass && numClass > 1) fail('$.learner.learner_model_param.num_class', `${objective} is not multiclass but num_class is ${numClass}`);
  const numOutputs = Math.max(1, numClass);
  const baseMargin = parseBaseScore(param['base_score'], numOutputs, objective, '$.learner.learner_model_param.base_score');
  const names = optStrArray(learner, 'feature_names', '$.learner');
  const featureNames = names !== undefined && names.length > 0 ? Object.freeze([...names]) : undefined;
  if (featureNames !== undefined && featureNames.length !== numFeatures) {
    fail('$.learner.feature_names', `has ${featureNames.length} names for ${numFeatures} features`);
  }
  const common: Common = { objective, transform: spec.transform, numFeatures, numClass, numOutputs, baseMargin, featureNames, xgboostVersion };

  const gb = obj(learner, 'gradient_booster', '$.learner');
  const kind = str(gb, 'name', '$.learner.gradient_booster');
  const gbPath = '$.learner.gradient_booster';
  switch (kind) {
    case 'gbtree': {
      const model = obj(gb, 'model', gbPath);
      return new TreeModel(common, 'gbtree', { ...parseTrees(model, `${gbPath}.model`, numFeatures, numOutputs, featureNames), weights: undefined });
    }
    case 'dart': {
      const inner = obj(gb, 'gbtree', gbPath);
      const model = obj(inner, 'model', `${gbPath}.gbtree`);
      const trees = parseTrees(model, `${gbPath}.gbtree.model`, numFeatures, numOutputs, featureNames);
      const weights = Float32Array.from(numArray(gb, 'weight_drop', gbPath, trees.roots.length));
      return new TreeModel(common, 'dart', { ...trees, weights });
    }
    case 'gblinear': {
      const model = obj(gb, 'model', gbPath);
      const weights = Float32Array.from(numArray(model, 'weights', `${gbPath}.model`, (numFeatures + 1) * numOutputs));
      return new LinearModel(common, weights);
    }
    default:
      throw new InvalidArgumentError(`unsupported XGBoost booster ${describeValue(kind)}: expected gbtree, dart or gblinear`, { booster: kind });
  }
}


/** XGBoost JSON loading and inference semantics on hand-built models. */
import { InvalidArgumentError } from '@cte/shared';
import { benchmarkXgb, loadXgbModel, syntheticXgbModelJson } from '../engine/xgboost';

interface TreeSpec {
  left: number[];
  right: number[];
  split: number[];
  cond: number[];
  defaultLeft: number[];
  splitType?: number[];
}

/** One split on feature `f` at `threshold`: left leaf `a`, right leaf `b`. */
function stump(f: number, threshold: number, a: number, b: number, defaultLeft: 0 | 1): TreeSpec {
  return { left: [1, -1, -1], right: [2, -1, -1], split: [f, 0, 0], cond: [threshold, a, b], defaultLeft: [defaultLeft, 0, 0] };
}

function tree(t: TreeSpec, id: number): Record<string, unknown> {
  const n = t.left.length;
  return {
    base_weights: new Array(n).fill(0),
    default_left: t.defaultLeft,
    id,
    left_children: t.left,
    right_children: t.right,
    split_conditions: t.cond,
    split_indices: t.split,
    split_type: t.splitType ?? new Array(n).fill(0),
    parents: new Array(n).fill(0),
    loss_changes: new Array(n).fill(0),
    sum_hessian: new Array(n).fill(1),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    tree_param: { num_deleted: '0', num_feature: '3', num_nodes: String(n), size_leaf_vector: '1' },
  };
}

interface ModelSpec {
  trees: TreeSpec[];
  objective?: string;
  baseScore?: string;
  numFeature?: number;
  numClass?: number;
  treeInfo?: number[];
  featureNames?: string[];
  booster?: 'gbtree' | 'dart';
  weightDrop?: number[];
}

function model(spec: ModelSpec): Record<string, unknown> {
  const trees = spec.trees.map(tree);
  const gbtreeModel = { gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length) }, tree_info: spec.treeInfo ?? trees.map(() => 0), trees };
  const booster =
    spec.booster === 'dart'
      ? { name: 'dart', gbtree: { name: 'gbtree', model: gbtreeModel }, weight_drop: spec.weightDrop ?? trees.map(() => 1) }
      : { name: 'gbtree', model: gbtreeModel };
  return {
    learner: {
      attributes: {},
      feature_names: spec.featureNames ?? [],
      feature_types: [],
      gradient_booster: booster,
      learner_model_param: {
        base_score: spec.baseScore ?? '0E0',
        num_class: String(spec.numClass ?? 0),
        num_feature: String(spec.numFeature ?? 3),
        num_target: '1',
      },
      objective: { name: spec.objective ?? 'reg:squarederror' },
    },
    version: [1, 7, 4],
  };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('loadXgbModel: tree semantics', () => {
  it('goes left when x < split, right otherwise (equality goes right)', () => {
    const m = loadXgbModel(model({ trees: [stump(1, 0.5, 10, 20, 1)] }));
    expect(m.predict([0, 0.4, 0])[0]).toBe(10);
    expect(m.predict([0, 0.5, 0])[0]).toBe(20);
    expect(m.predict([0, 0.6, 0])[0]).toBe(20);
  });

  it('sends missing values (NaN, null, a short row) along the default direction', () => {
    const left = loadXgbModel(model({ trees: [stump(1, 0.5, 10, 20, 1)] }));
    const right = loadXgbModel(model({ trees: [stump(1, 0.5, 10, 20, 0)] }));
    expect(left.predict([0, NaN, 0])[0]).toBe(10);
    expect(right.predict([0, NaN, 0])[0]).toBe(20);
    // A JSON null must be missing, not 0 (0 < 0.5 would go left for both).
    expect(right.predict(JSON.parse('[0, null, 0]') as number[])[0]).toBe(20);
    expect(right.predict([0])[0]).toBe(20);
  });

  it('compares in float32: a feature equal to the split after rounding to float32 goes right', () => {
    // 0.1 as float32 is 0.100000001490116…, above the float64 0.1; a float64 comparison would go left.
    const m = loadXgbModel(model({ trees: [stump(0, 0.1, 10, 20, 1)] }));
    expect(0.1 < Math.fround(0.1)).toBe(true);
    expect(m.predict([0.1, 0, 0])[0]).toBe(20);
    expect(m.predict([0.09999999, 0, 0])[0]).toBe(10);
  });

  it('sums leaves in float32, tree by tree, from the base margin', () => {
    const trees = Array.from({ length: 3 }, () => stump(0, 0, 0.1, 0.1, 1));
    const m = loadXgbModel(model({ trees, baseScore: '1E3' }));
    let acc = Math.fround(1000);
    for (let i = 0; i < 3; i++) acc = Math.fround(acc + Math.fround(0.1));
    expect(m.predictMargin([1, 0, 0])[0]).toBe(acc);
    expect(acc).not.toBe(1000 + 3 * Math.fround(0.1));
  });

  it('applies DART tree weights', () => {
    const m = loadXgbModel(model({ booster: 'dart', trees: [stump(0, 0, 1, 2, 1), stump(0, 0, 4, 8, 1)], weightDrop: [0.5, 0.25] }));
    expect(m.booster).toBe('dart');
    expect(m.predict([1, 0, 0])[0]).toBeCloseTo(2 * 0.5 + 8 * 0.25, 6);
  });

  it('multi:softprob: trees add to their class, predict is a softmax, batch is row-major', () => {
    const m = loadXgbModel(
      model({
        objective: 'multi:softprob',
        numClass: 3,
        baseScore: '5E-1',
        trees: [stump(0, 0, 1, 0, 1), stump(0, 0, 0, 1, 1), stump(0, 0, 0, 0, 1)],
        treeInfo: [0, 1, 2],
      }),
    );
    expect(m.numClass).toBe(3);
    expect(m.numOutputs).toBe(3);
    expect(Array.from(m.predictMargin([-1, 0, 0]))).toEqual([1.5, 0.5, 0.5]);
    const p = m.predict([-1, 0, 0]);
    const e = Math.exp(1);
    expect(p[0]).toBeCloseTo(e / (e + 2), 12);
    expect(p[1]).toBeCloseTo(1 / (e + 2), 12);
    const batch = m.predictBatch([[-1, 0, 0], [1, 0, 0]], { outputMargin: true });
    expect(Array.from(batch)).toEqual([1.5, 0.5, 0.5, 0.5, 1.5, 0.5]);
  });
});

describe('loadXgbModel: base_score conventions', () => {
  const leafOnly = (f: number): TreeSpec => stump(0, 0, f, f, 1);

  it.each([
    ['5E-1', 0],
    ['[5E-1]', 0],
    ['0.2', Math.fround(Math.log(0.25))],
    ['[2E-1]', Math.fround(Math.log(0.25))],
  ])('binary:logistic base_score %s is a probability → margin %d', (baseScore, margin) => {
    const m = loadXgbModel(model({ objective: 'binary:logistic', baseScore, trees: [leafOnly(0)] }));
    expect(m.baseMargin[0]).toBeCloseTo(margin, 6);
    expect(m.predict([0, 0, 0])[0]).toBeCloseTo(1 / (1 + Math.exp(-margin)), 6);
  });

  it('reads a per-class vector', () => {
    const m = loadXgbModel(
      model({ objective: 'multi:softprob', numClass: 3, baseScore: '[0.1,0.2,3E-1]', trees: [leafOnly(0)], treeInfo: [0] }),
    );
    expect(Array.from(m.baseMargin)).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
  });

  it.each(['[0.1,0.2]', '[0.1,]', '[abc]', 'x', ''])('rejects base_score %j', (baseScore) => {
    const err = thrown(() => loadXgbModel(model({ objective: 'multi:softprob', numClass: 3, baseScore, trees: [leafOnly(0)] })));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toContain('base_score');
  });

  it('rejects a logistic base_score outside (0, 1)', () => {
    expect(thrown(() => loadXgbModel(model({ objective: 'binary:logistic', baseScore: '1.5', trees: [leafOnly(0)] }))).message).toMatch(
      /base_score 1.5 must be in \(0, 1\)/,
    );
  });
});

describe('loadXgbModel: rejects what it cannot reproduce', () => {
  it('categorical splits, naming the feature', () => {
    const t = stump(2, 0, 1, 2, 1);
    t.splitType = [1, 0, 0];
    const err = thrown(() => loadXgbModel(model({ trees: [t], featureNames: ['rsi_14', 'ema_12', 'weekday'] })));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toContain('categorical split on feature "weekday" (index 2)');
    expect((err as InvalidArgumentError).details?.['feature']).toBe('weekday');
  });

  it('unknown objectives and boosters', () => {
    expect(thrown(() => loadXgbModel(model({ objective: 'multi:softmax', numClass: 3, trees: [] }))).message).toContain(
      'unsupported XGBoost objective "multi:softmax"',
    );
    const m = model({ trees: [] });
    ((m['learner'] as Record<string, unknown>)['gradient_booster'] as Record<string, unknown>)['name'] = 'gbforest';
    expect(thrown(() => loadXgbModel(m)).message).toContain('unsupported XGBoost booster "gbforest"');
  });

  it.each<[string, TreeSpec, RegExp]>([
    ['a child outside the tree', { ...stump(0, 0, 1, 2, 1), right: [7, -1, -1] }, /children 1, 7 outside 0..2/],
    ['a cycle', { left: [1, 0, -1], right: [2, 2, -1], split: [0, 0, 0], cond: [0, 0, 0], defaultLeft: [0, 0, 0] }, /reachable twice/],
    ['a split on a feature the model does not have', stump(5, 0, 1, 2, 1), /feature 5 outside 0..2/],
    ['arrays of the wrong length', { ...stump(0, 0, 1, 2, 1), cond: [0, 1] }, /split_conditions: expected 3 entries, got 2/],
  ])('malformed trees: %s', (_name, t, message) => {
    const err = thrown(() => loadXgbModel(model({ trees: [t] })));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(message);
  });

  it('non-objects and missing sections, naming the JSON path', () => {
    expect(thrown(() => loadXgbModel(null)).message).toContain('$: expected an object');
    expect(thrown(() => loadXgbModel({ learner: {} })).message).toContain('$.learner.learner_model_param');
  });

  it('a row with more features than the model', () => {
    const m = loadXgbModel(model({ trees: [stump(0, 0, 1, 2, 1)] }));
    expect(thrown(() => m.predict([1, 2, 3, 4]))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('synthetic model and benchmark', () => {
  it('builds a 100-tree depth-6 model that loads, and is deterministic per seed', () => {
    const m = loadXgbModel(syntheticXgbModelJson({ trees: 100, depth: 6, features: 80, seed: 1 }));
    expect(m.numTrees).toBe(100);
    expect(m.numFeatures).toBe(80);
    const row = Float64Array.from({ length: 80 }, (_, i) => Math.sin(i));
    const again = loadXgbModel(syntheticXgbModelJson({ trees: 100, depth: 6, features: 80, seed: 1 }));
    const other = loadXgbModel(syntheticXgbModelJson({ trees: 100, depth: 6, features: 80, seed: 2 }));
    expect(again.predictMargin(row)[0]).toBe(m.predictMargin(row)[0]);
    expect(other.predictMargin(row)[0]).not.toBe(m.predictMargin(row)[0]);
  });

  it('benchmarkXgb reports rows/s for inference and both baselines', () => {
    const r = benchmarkXgb({ rows: 2000, runs: 1, trees: 10, depth: 3, features: 8 });
    for (const f of [r.predict, r.readRows, r.leafLookups]) {
      expect(f.rowsPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(f.nsPerRow)).toBe(true);
    }
    expect(r.trees).toBe(10);
    expect(Number.isFinite(r.checksum)).toBe(true);
  });
});

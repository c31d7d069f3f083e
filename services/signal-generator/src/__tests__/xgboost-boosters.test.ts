/**
 * XGBoost inference against the reference models in ../shared/data/xgboost/boosters
 * (written by XGBoost 3.1.1; see PROVENANCE.md). Files are read in place.
 */
import { InvalidArgumentError } from '@cte/shared';
import { loadXgbModel } from '../engine/xgboost';
import { XGB_BOOSTERS_DIR } from './helpers/shared-data';
import { findReferenceCases, maxAbsDiff, readReferenceCase } from './helpers/xgb-reference';

const TOLERANCE = 1e-5;
const cases = findReferenceCases(XGB_BOOSTERS_DIR);
const numeric = [...cases.keys()].filter((n) => !n.includes('categorical')).sort();
const categorical = [...cases.keys()].filter((n) => n.includes('categorical')).sort();

describe('XGBoost reference models (boosters, XGBoost 3.1.1)', () => {
  it('finds every reference case', () => {
    expect(numeric).toEqual([
      'dart_regression',
      'gblinear_binary',
      'gblinear_multiclass',
      'gblinear_regression',
      'gbtree_binary_logistic',
      'gbtree_binary_logistic_missing',
      'gbtree_deep_trees',
      'gbtree_many_trees',
      'gbtree_multiclass',
      'gbtree_multiclass_missing',
      'gbtree_regression',
      'gbtree_regression_missing',
      'gbtree_single_tree',
      'gbtree_wide_features',
    ]);
    expect(categorical).toEqual(['gbtree_categorical', 'gbtree_categorical_binary']);
  });

  it.each(numeric)('%s: margins and transformed predictions within 1e-5', (name) => {
    const c = readReferenceCase(name, cases.get(name)!);
    const model = loadXgbModel(c.model);
    expect(model.numOutputs).toBe(c.numOutputs);
    expect(c.rows.length).toBeGreaterThan(0);
    const margins = model.predictBatch(c.rows, { outputMargin: true });
    const transformed = model.predictBatch(c.rows);
    expect(maxAbsDiff(margins, c.margins)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(transformed, c.transformed)).toBeLessThanOrEqual(TOLERANCE);
    // The single-row API agrees with the batch.
    for (let r = 0; r < c.rows.length; r++) {
      const k = model.numOutputs;
      expect(Array.from(model.predictMargin(c.rows[r]!))).toEqual(Array.from(margins.subarray(r * k, (r + 1) * k)));
      expect(Array.from(model.predict(c.rows[r]!))).toEqual(Array.from(transformed.subarray(r * k, (r + 1) * k)));
    }
  });

  it('the missing-value cases really exercise missing values', () => {
    for (const name of numeric.filter((n) => n.endsWith('_missing'))) {
      const c = readReferenceCase(name, cases.get(name)!);
      expect(c.rows.some((r) => r.some((v) => Number.isNaN(v)))).toBe(true);
    }
  });

  it.each(categorical)('%s: categorical splits are rejected with an error naming the feature', (name) => {
    const c = readReferenceCase(name, cases.get(name)!);
    let err: unknown;
    try {
      loadXgbModel(c.model);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/categorical split on feature f\d+ \(tree \d+, node \d+\)/);
  });
});

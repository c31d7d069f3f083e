/**
 * XGBoost inference against Debian's python3-xgboost (1.7): scripts/xgb_reference.py
 * trains small models on synthetic data with a fixed seed and writes their JSON,
 * inputs and predictions to a temp dir; the TypeScript predictions must agree to 1e-5.
 * `make test` installs python3-xgboost (scripts/ensure-python-xgboost.sh); without it the suite says
 * why it skips, and fails in CI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeNeeding } from '@cte/testkit';
import { loadXgbModel } from '../engine/xgboost';
import { findReferenceCases, maxAbsDiff, readReferenceCase } from './helpers/xgb-reference';

/** Debian's interpreter (a pyenv python3 on PATH may shadow it); CTE_PYTHON3 overrides. */
const PYTHON = process.env['CTE_PYTHON3'] ?? '/usr/bin/python3';
const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'xgb_reference.py');
const TOLERANCE = 1e-5;

const probe = spawnSync(PYTHON, ['-c', 'import xgboost; print(xgboost.__version__)'], { encoding: 'utf8' });
const xgboostVersion = probe.status === 0 ? probe.stdout.trim() : undefined;
const describeWithPython = describeNeeding(
  `python3-xgboost for ${PYTHON}`,
  xgboostVersion !== undefined,
  'make python-xgboost, or apt-get install -y python3-xgboost',
);

const EXPECTED_CASES = [
  'py_dart_binary_logistic',
  'py_gblinear_binary_logistic',
  'py_gblinear_reg_squarederror',
  'py_gbtree_binary_logistic_missing',
  'py_gbtree_multi_softprob',
  'py_gbtree_reg_logistic',
  'py_gbtree_reg_squarederror',
];

describeWithPython(`XGBoost inference vs python3-xgboost ${xgboostVersion ?? ''}`, () => {
  let dir = '';
  let cases = new Map<string, string>();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cte-xgb-py-'));
    const run = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`${SCRIPT} failed (${run.status}): ${run.stderr}`);
    cases = findReferenceCases(dir);
  }, 130_000);

  afterAll(() => {
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the script wrote every case, in XGBoost 1.x/2.x format (scalar base_score)', () => {
    expect([...cases.keys()].sort()).toEqual(EXPECTED_CASES);
    const model = JSON.parse(fs.readFileSync(`${cases.get('py_gbtree_binary_logistic_missing')}.model.json`, 'utf8')) as {
      learner: { learner_model_param: { base_score: string } };
    };
    expect(model.learner.learner_model_param.base_score).toMatch(/^[-+0-9.eE]+$/);
  });

  it.each(EXPECTED_CASES)('%s: margins and predictions within 1e-5', (name) => {
    const c = readReferenceCase(name, cases.get(name)!);
    const model = loadXgbModel(c.model);
    expect(model.numOutputs).toBe(c.numOutputs);
    expect(c.rows.length).toBe(50);
    expect(maxAbsDiff(model.predictBatch(c.rows, { outputMargin: true }), c.margins)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(model.predictBatch(c.rows), c.transformed)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('the binary case has missing values and a base_score that is not 0.5', () => {
    const c = readReferenceCase('py_gbtree_binary_logistic_missing', cases.get('py_gbtree_binary_logistic_missing')!);
    expect(c.rows.some((r) => r.some((v) => Number.isNaN(v)))).toBe(true);
    const model = loadXgbModel(c.model);
    expect(model.baseMargin[0]).toBeCloseTo(Math.log(0.35 / 0.65), 6);
  });
});

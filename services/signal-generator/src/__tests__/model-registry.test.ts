/**
 * ModelRegistry over a temp MODEL_DIR: loading, feature mapping, rejection,
 * hot reload through fs.watch, a broken update keeping the old model, and the
 * /models routes on the kit's HTTP app.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHttpApp, createLogger, createMetrics, Readiness, type HttpServerHandle } from '@cte/shared';
import { ModelRegistry } from '../adapters/model-registry';
import { modelRoutes } from '../adapters/models-http';
import { createLoadedModel, mapFeatures, parseModelMeta } from '../engine/models';
import { FEATURE_NAMES } from '../engine/features';

const PIPELINE = ['close', 'ret_1', 'rsi_14', 'ema_12', 'atr_14'];

/** binary:logistic, one stump per entry: feature `f` (model column) < `at` → `a`, else `b`. */
function stumpsModel(nFeatures: number, stumps: { f: number; at: number; a: number; b: number }[], featureNames: string[] = []): unknown {
  const trees = stumps.map((s, id) => ({
    id,
    left_children: [1, -1, -1],
    right_children: [2, -1, -1],
    split_indices: [s.f, 0, 0],
    split_conditions: [s.at, s.a, s.b],
    default_left: [1, 0, 0],
    split_type: [0, 0, 0],
    base_weights: [0, 0, 0],
    tree_param: { num_nodes: '3', num_feature: String(nFeatures), size_leaf_vector: '0', num_deleted: '0' },
  }));
  return {
    learner: {
      feature_names: featureNames,
      gradient_booster: { name: 'gbtree', model: { trees, tree_info: trees.map(() => 0), gbtree_model_param: { num_trees: String(trees.length) } } },
      learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: String(nFeatures), num_target: '1' },
      objective: { name: 'binary:logistic' },
    },
    version: [1, 7, 4],
  };
}

function meta(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    symbol: 'BTC/USD',
    timeframe: '1h',
    version: 'v1',
    created_at: '2025-01-01T00:00:00Z',
    objective: 'binary:logistic',
    feature_names: ['rsi_14', 'close'],
    training_window: { from: 1_500_000_000_000, to: 1_570_000_000_000 },
    label: { horizon_bars: 4, threshold: 0.002, definition: 'close[t+4]/close[t] - 1 > 0.002' },
    metrics: { validation: { auc: 0.55, accuracy: 0.53, logloss: 0.69, base_rate: 0.45, rows: 3000, positives: 1350 }, best_iteration: 42 },
    xgboost_version: '1.7.4',
    ...overrides,
  };
}

/** Model over (rsi_14, close): rsi_14 < 50 → margin -1 else +1; close < 100 → 0 else +0.5. */
const MODEL_V1 = stumpsModel(2, [
  { f: 0, at: 50, a: -1, b: 1 },
  { f: 1, at: 100, a: 0, b: 0.5 },
]);
const MODEL_V2 = stumpsModel(2, [{ f: 0, at: 50, a: 2, b: -2 }]);

const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m));

function writeModel(dir: string, key: string, model: unknown, metaJson: unknown): void {
  const sub = path.join(dir, key);
  fs.mkdirSync(sub, { recursive: true });
  // Write-then-rename, as a deploy would, so a watcher never sees half a file.
  for (const [file, body] of [
    ['model.json', typeof model === 'string' ? model : JSON.stringify(model)],
    ['meta.json', typeof metaJson === 'string' ? metaJson : JSON.stringify(metaJson)],
  ] as const) {
    const tmp = path.join(sub, `.${file}.tmp`);
    fs.writeFileSync(tmp, body);
    fs.renameSync(tmp, path.join(sub, file));
  }
}

function pipelineVector(values: Record<string, number>): Float64Array {
  return Float64Array.from(PIPELINE, (n) => values[n] ?? NaN);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const silent = createLogger({ service: 'model-registry-test', level: 'silent' });

describe('engine: meta.json and feature mapping', () => {
  it('parses meta.json into camelCase with its metrics', () => {
    const m = parseModelMeta(meta());
    expect(m.symbol).toBe('BTC/USD');
    expect(m.label).toEqual({ horizonBars: 4, threshold: 0.002, definition: 'close[t+4]/close[t] - 1 > 0.002' });
    expect(m.metrics.validation).toEqual({ auc: 0.55, accuracy: 0.53, logloss: 0.69, baseRate: 0.45, rows: 3000, positives: 1350 });
    expect(m.metrics.bestIteration).toBe(42);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no feature names', { feature_names: [] }, /feature_names must be a non-empty array/],
    ['a duplicate feature', { feature_names: ['close', 'close'] }, /lists "close" twice/],
    ['a bad symbol', { symbol: 'BTCUSD' }, /invalid symbol/],
    ['a reversed window', { training_window: { from: 2, to: 1 } }, /from \(2\) must not be after to \(1\)/],
    ['no label horizon', { label: { threshold: 0 } }, /label.horizon_bars is required/],
    ['a version with spaces', { version: 'v 1' }, /version must match/],
  ])('rejects meta.json with %s', (_name, o, message) => {
    expect(() => parseModelMeta(meta(o))).toThrow(message);
  });

  it('maps model features onto pipeline indices, in the model order', () => {
    expect(Array.from(mapFeatures(['rsi_14', 'close'], PIPELINE))).toEqual([2, 0]);
    expect(() => mapFeatures(['rsi_14', 'vwap_dev', 'moon_phase'], PIPELINE)).toThrow(
      'model features not computed by the feature pipeline (2 of 3): "vwap_dev", "moon_phase"',
    );
  });

  it('predictProba reads the pipeline vector through the mapping', () => {
    const m = createLoadedModel({ key: 'BTC-USD_1h', meta: parseModelMeta(meta()), modelJson: MODEL_V1, pipelineFeatures: PIPELINE, loadedAt: 0 });
    expect(m.predictProba(pipelineVector({ rsi_14: 70, close: 50 }))).toBeCloseTo(sigmoid(1), 6);
    expect(m.predictProba(pipelineVector({ rsi_14: 30, close: 150 }))).toBeCloseTo(sigmoid(-0.5), 6);
    // Missing (NaN) follows the default direction (left here).
    expect(m.predictProba(pipelineVector({ close: 150 }))).toBeCloseTo(sigmoid(-0.5), 6);
    const v = pipelineVector({ rsi_14: 70, close: 50 });
    const p = m.predictProba(v);
    expect(Array.from(m.predictClassProbs(v))).toEqual([1 - p, p]);
    expect(() => m.predictProba(new Float64Array(3))).toThrow('feature vector has 3 values, the pipeline has 5');
  });

  it('rejects a model whose own feature names disagree with meta.json, or whose objective differs', () => {
    const named = stumpsModel(2, [{ f: 0, at: 50, a: -1, b: 1 }], ['close', 'rsi_14']);
    expect(() => createLoadedModel({ key: 'BTC-USD_1h', meta: parseModelMeta(meta()), modelJson: named, pipelineFeatures: PIPELINE, loadedAt: 0 })).toThrow(
      'model.json feature 0 is "close" but meta.json says "rsi_14"',
    );
    expect(() =>
      createLoadedModel({ key: 'BTC-USD_1h', meta: parseModelMeta(meta({ objective: 'reg:squarederror' })), modelJson: MODEL_V1, pipelineFeatures: PIPELINE, loadedAt: 0 }),
    ).toThrow('model.json objective binary:logistic differs from meta.json objective reg:squarederror');
    expect(() => createLoadedModel({ key: 'ETH-USD_1h', meta: parseModelMeta(meta()), modelJson: MODEL_V1, pipelineFeatures: PIPELINE, loadedAt: 0 })).toThrow(
      'meta.json is for BTC/USD 1h (BTC-USD_1h), not ETH-USD_1h',
    );
  });
});

describe('ModelRegistry', () => {
  let dir: string;
  let registry: ModelRegistry | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cte-models-'));
  });
  afterEach(() => {
    registry?.close();
    registry = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads one model per symbol and timeframe and serves predictions', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    writeModel(dir, 'ETH-USD_4h', MODEL_V2, meta({ symbol: 'ETH/USD', timeframe: '4h', version: 'e1' }));
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, watch: false, logger: silent });
    const report = await registry.start();
    expect(report.loaded).toEqual(['BTC-USD_1h', 'ETH-USD_4h']);
    const btc = registry.get('BTC/USD', '1h');
    expect(btc?.version).toBe('v1');
    expect(btc?.predictProba(pipelineVector({ rsi_14: 70, close: 150 }))).toBeCloseTo(sigmoid(1.5), 6);
    expect(registry.get('ETH/USD', '4h')?.version).toBe('e1');
    expect(registry.get('ETH/USD', '1h')).toBeUndefined();
    const list = registry.snapshot();
    expect(list.models.map((m) => [m.key, m.loaded, m.version, m.features])).toEqual([
      ['BTC-USD_1h', true, 'v1', 2],
      ['ETH-USD_4h', true, 'e1', 2],
    ]);
    expect(list.models[0]!.metrics?.validation.auc).toBe(0.55);
    expect(list.models[0]!.loaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('rejects and reports a model whose features the pipeline does not compute', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta({ feature_names: ['rsi_14', 'funding_rate'] }));
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, watch: false, logger: silent });
    const report = await registry.start();
    expect(report.loaded).toEqual([]);
    expect(report.failed).toEqual([{ key: 'BTC-USD_1h', serving: null, error: expect.stringContaining('"funding_rate"') as unknown }]);
    expect(registry.get('BTC/USD', '1h')).toBeUndefined();
    const status = registry.status('BTC-USD_1h');
    expect(status?.loaded).toBe(false);
    expect(status?.errors.map((e) => e.message)).toEqual(['model features not computed by the feature pipeline (1 of 2): "funding_rate"']);
  });

  it('hot-reloads a changed file through fs.watch', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, debounceMs: 50, logger: silent });
    await registry.start();
    const before = registry.get('BTC/USD', '1h')!;
    expect(before.version).toBe('v1');
    writeModel(dir, 'BTC-USD_1h', MODEL_V2, meta({ version: 'v2', feature_names: ['rsi_14', 'close'] }));
    await waitFor('v2 to load', () => registry!.get('BTC/USD', '1h')?.version === 'v2');
    const after = registry.get('BTC/USD', '1h')!;
    expect(after.predictProba(pipelineVector({ rsi_14: 30, close: 150 }))).toBeCloseTo(sigmoid(2), 6);
    expect(after).not.toBe(before);
    // A new model directory is picked up too.
    writeModel(dir, 'ETH-USD_1h', MODEL_V1, meta({ symbol: 'ETH/USD', version: 'e1' }));
    await waitFor('ETH to load', () => registry!.get('ETH/USD', '1h')?.version === 'e1');
  });

  it('keeps the old model when a new file is broken, records the error, and recovers', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, debounceMs: 50, logger: silent });
    await registry.start();
    writeModel(dir, 'BTC-USD_1h', '{"learner": {', meta({ version: 'v2' }));
    await waitFor('the error to be recorded', () => (registry!.status('BTC-USD_1h')?.errors.length ?? 0) > 0);
    expect(registry.get('BTC/USD', '1h')?.version).toBe('v1');
    expect(registry.status('BTC-USD_1h')?.errors[0]?.message).toMatch(/^model.json is not valid JSON/);
    const again = await registry.reload();
    expect(again.failed).toEqual([{ key: 'BTC-USD_1h', serving: 'v1', error: expect.stringMatching(/not valid JSON/) as unknown }]);
    expect(registry.status('BTC-USD_1h')?.errors).toHaveLength(1); // the same bytes are not recorded twice

    writeModel(dir, 'BTC-USD_1h', MODEL_V2, meta({ version: 'v3' }));
    await waitFor('v3 to load', () => registry!.get('BTC/USD', '1h')?.version === 'v3');
    expect(registry.status('BTC-USD_1h')?.errors).toEqual([]);
  });

  it('reload() reports unchanged, removed and missing files', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    writeModel(dir, 'ETH-USD_1h', MODEL_V1, meta({ symbol: 'ETH/USD' }));
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, watch: false, logger: silent });
    await registry.start();
    const loadedAt = registry.status('BTC-USD_1h')?.loaded_at;
    fs.rmSync(path.join(dir, 'ETH-USD_1h'), { recursive: true });
    fs.rmSync(path.join(dir, 'BTC-USD_1h', 'meta.json'));
    let report = await registry.reload();
    expect(report.removed).toEqual(['ETH-USD_1h']);
    expect(report.failed).toEqual([{ key: 'BTC-USD_1h', serving: 'v1', error: 'meta.json is missing' }]);
    expect(registry.get('ETH/USD', '1h')).toBeUndefined();
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    report = await registry.reload();
    expect(report.unchanged).toEqual(['BTC-USD_1h']);
    expect(registry.status('BTC-USD_1h')?.loaded_at).toBe(loadedAt);
  });

  it('reports an unreadable MODEL_DIR', async () => {
    registry = new ModelRegistry({ dir: path.join(dir, 'nope'), pipelineFeatures: PIPELINE, watch: false, logger: silent });
    await registry.start();
    expect(registry.snapshot().dir_error).toMatch(/cannot read .*nope/);
    expect(registry.snapshot().models).toEqual([]);
  });

  it('the bundled default model loads against the current feature pipeline and passes its self-check', async () => {
    const bundled = path.resolve(__dirname, '..', '..', 'models');
    expect(fs.existsSync(path.join(bundled, 'BTC-USD_1h', 'meta.json'))).toBe(true);
    registry = new ModelRegistry({ dir: bundled, pipelineFeatures: FEATURE_NAMES, watch: false, logger: silent });
    const report = await registry.start();
    expect(report.failed).toEqual([]);
    const model = registry.get('BTC/USD', '1h')!;
    expect(model.meta.label.horizonBars).toBeGreaterThan(0);
    const check = model.meta.selfCheck!;
    expect(check.features.length).toBeGreaterThan(0);
    // Through the pipeline vector: place each self-check row at the model's pipeline indices.
    for (let r = 0; r < check.features.length; r++) {
      const vector = new Float64Array(FEATURE_NAMES.length).fill(Number.NaN);
      model.featureIndex.forEach((pipelineIndex, column) => {
        vector[pipelineIndex] = check.features[r]![column]!;
      });
      expect(Math.abs(model.predictProba(vector) - check.predictions[r]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('self-check', () => {
  const row = [60, 150];
  const good = sigmoid(1.5);

  it('accepts a model whose predictions match the trainer\'s', () => {
    const m = parseModelMeta(meta({ selfcheck: { features: [row, [null, 50]], predictions: [good, sigmoid(-1)] } }));
    expect(m.selfCheck?.features[1]![0]).toBeNaN();
    expect(createLoadedModel({ key: 'BTC-USD_1h', meta: m, modelJson: MODEL_V1, pipelineFeatures: PIPELINE, loadedAt: 0 }).version).toBe('v1');
  });

  it('rejects a model whose predictions differ from the trainer\'s by more than 1e-5', () => {
    const m = parseModelMeta(meta({ selfcheck: { features: [row], predictions: [good + 2e-5] } }));
    expect(() => createLoadedModel({ key: 'BTC-USD_1h', meta: m, modelJson: MODEL_V1, pipelineFeatures: PIPELINE, loadedAt: 0 })).toThrow(
      /^self-check failed: predictions differ from the trainer's by up to 0\.0000200\d*$/,
    );
  });

  it('rejects a malformed self-check', () => {
    expect(() => parseModelMeta(meta({ selfcheck: { features: [[1]], predictions: [0.5] } }))).toThrow('selfcheck.features[0] must be 2 numbers or nulls');
  });
});

describe('modelRoutes', () => {
  let dir: string;
  let registry: ModelRegistry;
  let handle: HttpServerHandle;
  const KEY = 'k'.repeat(32);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cte-models-http-'));
    writeModel(dir, 'BTC-USD_1h', MODEL_V1, meta());
    registry = new ModelRegistry({ dir, pipelineFeatures: PIPELINE, watch: false, logger: silent });
    await registry.start();
    const app = createHttpApp({ service: 'signal-generator', version: '0', apiKey: KEY, logger: silent, registry: createMetrics('sg-test'), readiness: new Readiness() });
    app.router.use(modelRoutes(registry));
    handle = await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await handle.close();
    registry.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, p: string, key = KEY): Promise<Response> =>
    fetch(`http://127.0.0.1:${handle.port}${p}`, { method, headers: { 'x-trading-api-key': key } });

  it('GET /models lists the models', async () => {
    const res = await call('GET', '/models');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { models: { key: string; version: string; features: number; errors: unknown[] }[] };
    expect(body.models.map((m) => [m.key, m.version, m.features, m.errors])).toEqual([['BTC-USD_1h', 'v1', 2, []]]);
  });

  it('POST /models/reload picks up a new version', async () => {
    writeModel(dir, 'BTC-USD_1h', MODEL_V2, meta({ version: 'v2' }));
    const res = await call('POST', '/models/reload');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { reload: { loaded: string[] }; models: { version: string }[] };
    expect(body.reload.loaded).toEqual(['BTC-USD_1h']);
    expect(body.models[0]!.version).toBe('v2');
  });

  it('GET /models/:key, 404 for an unknown key, 401 without the key', async () => {
    expect((await call('GET', '/models/BTC-USD_1h')).status).toBe(200);
    const missing = await call('GET', '/models/DOGE-USD_1h');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await call('GET', '/models', 'wrong-key-wrong-key-wrong')).status).toBe(401);
  });
});

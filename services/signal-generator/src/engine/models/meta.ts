/**
 * `meta.json`, written beside each `model.json` by scripts/train.py: what the
 * model predicts, on which features (in the model's column order), from which
 * data, and how well it did on held-out data. JSON is snake_case; the parsed
 * form is camelCase. Pure.
 */
import { describeValue, InvalidArgumentError, parseSymbol, parseTimeframe, symbolToChannelKey, type Symbol, type Timeframe } from '@cte/shared/core';

/** Metrics of one data split; any may be absent (e.g. AUC when a split has one class). */
export interface ModelSplitMetrics {
  auc?: number;
  accuracy?: number;
  logloss?: number;
  /** Share of positive labels. */
  baseRate?: number;
  rows?: number;
  positives?: number;
  /** Logloss of always predicting the training base rate: the bar `logloss` has to beat. */
  loglossConstant?: number;
  /** Accuracy of always predicting the majority class: the bar `accuracy` has to beat. */
  accuracyMajority?: number;
}

export interface ModelMetrics {
  /** The split early stopping watched. */
  validation: ModelSplitMetrics;
  /** A later split nothing was tuned on, when the trainer kept one: the honest figure. */
  test?: ModelSplitMetrics;
  train?: ModelSplitMetrics;
  /** Boosting rounds kept (early stopping), when known. */
  bestIteration?: number;
}

export interface ModelLabel {
  /** Bars ahead the forward return is measured over. */
  horizonBars: number;
  /** The label is 1 when the forward return exceeds this (a fraction: 0.002 = 0.2 %). */
  threshold: number;
  /** Human-readable definition. */
  definition?: string;
}

export interface ModelMeta {
  symbol: Symbol;
  timeframe: Timeframe;
  /** Unique per trained model, e.g. `20250611T120000Z-1a2b3c4d`. */
  version: string;
  /** ISO-8601. */
  createdAt: string;
  objective: string;
  /** Feature names in the model's column order. */
  featureNames: readonly string[];
  /** Open times (epoch ms) of the first and last training rows (validation included). */
  trainingWindow: { from: number; to: number };
  label: ModelLabel;
  metrics: ModelMetrics;
  /** The XGBoost version that trained it, when recorded. */
  xgboostVersion?: string;
  /** Rows (model column order, NaN = missing) with the trainer's own predictions, re-checked on load. */
  selfCheck?: { features: Float64Array[]; predictions: Float64Array };
}

const VERSION = /^[\w.:-]{1,64}$/;

type Obj = Readonly<Record<string, unknown>>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function bad(path: string, message: string): never {
  throw new InvalidArgumentError(`invalid meta.json: ${path} ${message}`, { path });
}

function field(o: Obj, key: string, path: string): unknown {
  const v = o[key];
  if (v === undefined || v === null) bad(`${path}${key}`, 'is required');
  return v;
}

function string(o: Obj, key: string, path: string): string {
  const v = field(o, key, path);
  if (typeof v !== 'string' || v === '') bad(`${path}${key}`, `must be a non-empty string, got ${describeValue(v)}`);
  return v;
}

function number(o: Obj, key: string, path: string): number {
  const v = field(o, key, path);
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${path}${key}`, `must be a finite number, got ${describeValue(v)}`);
  return v;
}

function optNumber(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${path}${key}`, `must be a finite number or null, got ${describeValue(v)}`);
  return v;
}

function object(o: Obj, key: string, path: string): Obj {
  const v = field(o, key, path);
  if (!isObj(v)) bad(`${path}${key}`, 'must be an object');
  return v;
}

function splitMetrics(o: Obj, path: string): ModelSplitMetrics {
  const out: ModelSplitMetrics = {};
  const keys: [keyof ModelSplitMetrics, string][] = [
    ['auc', 'auc'],
    ['accuracy', 'accuracy'],
    ['logloss', 'logloss'],
    ['baseRate', 'base_rate'],
    ['rows', 'rows'],
    ['positives', 'positives'],
    ['loglossConstant', 'logloss_constant'],
    ['accuracyMajority', 'accuracy_majority'],
  ];
  for (const [name, key] of keys) {
    const v = optNumber(o, key, path);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function selfCheck(raw: unknown, width: number): { features: Float64Array[]; predictions: Float64Array } {
  if (!isObj(raw)) bad('selfcheck', 'must be an object');
  const rows = raw['features'];
  const preds = raw['predictions'];
  if (!Array.isArray(rows) || !Array.isArray(preds) || rows.length === 0) bad('selfcheck', 'needs non-empty features and predictions arrays');
  const features = rows.map((r, i) => {
    if (!Array.isArray(r) || r.length !== width || r.some((v) => v !== null && (typeof v !== 'number' || !Number.isFinite(v)))) {
      bad(`selfcheck.features[${i}]`, `must be ${width} numbers or nulls`);
    }
    return Float64Array.from(r as (number | null)[], (v) => (v === null ? Number.NaN : v));
  });
  if (preds.some((v) => typeof v !== 'number' || !Number.isFinite(v))) bad('selfcheck.predictions', 'must be finite numbers');
  return { features, predictions: Float64Array.from(preds as number[]) };
}

/** Parses and checks a meta.json object. Throws InvalidArgumentError naming the bad field. */
export function parseModelMeta(json: unknown): ModelMeta {
  if (!isObj(json)) bad('(root)', 'must be an object');
  const symbolRaw = string(json, 'symbol', '');
  const timeframeRaw = string(json, 'timeframe', '');
  let symbol: Symbol;
  let timeframe: Timeframe;
  try {
    symbol = parseSymbol(symbolRaw);
    timeframe = parseTimeframe(timeframeRaw);
  } catch (e) {
    bad('symbol/timeframe', (e as Error).message);
  }
  const version = string(json, 'version', '');
  if (!VERSION.test(version)) bad('version', `must match ${VERSION.source}, got ${describeValue(version)}`);
  const createdAt = string(json, 'created_at', '');
  if (Number.isNaN(Date.parse(createdAt))) bad('created_at', `must be an ISO-8601 time, got ${describeValue(createdAt)}`);
  const objective = string(json, 'objective', '');

  const names = field(json, 'feature_names', '');
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
    bad('feature_names', 'must be a non-empty array of non-empty strings');
  }
  const featureNames = Object.freeze([...(names as string[])]);
  const seen = new Set<string>();
  for (const n of featureNames) {
    if (seen.has(n)) bad('feature_names', `lists ${describeValue(n)} twice`);
    seen.add(n);
  }

  const window = object(json, 'training_window', '');
  const from = number(window, 'from', 'training_window.');
  const to = number(window, 'to', 'training_window.');
  if (!(from <= to)) bad('training_window', `from (${from}) must not be after to (${to})`);

  const labelRaw = object(json, 'label', '');
  const horizonBars = number(labelRaw, 'horizon_bars', 'label.');
  if (!Number.isInteger(horizonBars) || horizonBars < 1) bad('label.horizon_bars', `must be an integer >= 1, got ${horizonBars}`);
  const label: ModelLabel = { horizonBars, threshold: number(labelRaw, 'threshold', 'label.') };
  if (typeof labelRaw['definition'] === 'string') label.definition = labelRaw['definition'];

  const metricsRaw = object(json, 'metrics', '');
  const metrics: ModelMetrics = { validation: splitMetrics(object(metricsRaw, 'validation', 'metrics.'), 'metrics.validation.') };
  if (isObj(metricsRaw['test'])) metrics.test = splitMetrics(metricsRaw['test'], 'metrics.test.');
  if (isObj(metricsRaw['train'])) metrics.train = splitMetrics(metricsRaw['train'], 'metrics.train.');
  const best = optNumber(metricsRaw, 'best_iteration', 'metrics.');
  if (best !== undefined) metrics.bestIteration = best;

  const meta: ModelMeta = { symbol, timeframe, version, createdAt, objective, featureNames, trainingWindow: { from, to }, label, metrics };
  if (typeof json['xgboost_version'] === 'string') meta.xgboostVersion = json['xgboost_version'];
  if (json['selfcheck'] !== undefined && json['selfcheck'] !== null) meta.selfCheck = selfCheck(json['selfcheck'], featureNames.length);
  return meta;
}

/** The registry key and directory name of a model: `BTC-USD_1h`. */
export function modelKey(symbol: Symbol, timeframe: Timeframe): string {
  return `${symbolToChannelKey(symbol)}_${timeframe}`;
}

/** `BTC-USD_1h` → BTC/USD, 1h; undefined when the name is not a model key. */
export function parseModelKey(key: string): { symbol: Symbol; timeframe: Timeframe } | undefined {
  const m = /^([A-Za-z0-9]{1,20}-[A-Za-z0-9]{1,20})_([0-9]+[a-z])$/.exec(key);
  if (!m) return undefined;
  try {
    return { symbol: parseSymbol(m[1]), timeframe: parseTimeframe(m[2]) };
  } catch {
    return undefined;
  }
}

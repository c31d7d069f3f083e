import path from 'node:path';
import { EnvReader, parseTimeframe, readBaseConfig, readSymbolSubset, type BaseConfig, type Symbol, type Timeframe } from '@cte/shared';

/** The default model trained by `make train` ships here. */
export const BUNDLED_MODEL_DIR = path.resolve(__dirname, '..', 'models');

export interface SignalGeneratorConfig extends BaseConfig {
  /** price-stream's gRPC address, for warm-start history (GetBars). */
  priceStreamAddr: string;
  modelDir: string;
  /** Timeframes whose closed bars drive the feature pipelines and agents. */
  timeframes: Timeframe[];
  /** Symbols to follow (a subset of TRADABLE_SYMBOLS); empty = every tradable symbol. */
  symbols: Symbol[];
  /** Bars of history loaded from price-stream when a pipeline starts. */
  warmStartBars: number;
  /** Publish HOLD decisions too, so the aggregator sees every running source on every bar (quorum). */
  emitHold: boolean;
  /** Create the default agents (one ml_model and one of each strategy per symbol) when none exist. */
  seedAgents: boolean;
  cacheL1Max: number;
  cacheTtlMs: number;
  taskConcurrency: number;
  taskDefaultTimeoutMs: number;
  taskMaxAttempts: number;
  taskBackoffMs: number;
}

export function readConfig(source: Record<string, string | undefined> = process.env): SignalGeneratorConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'signal-generator');
  const cfg: SignalGeneratorConfig = {
    ...base,
    priceStreamAddr: env.string('PRICE_STREAM_GRPC_ADDR', { default: '127.0.0.1:9023', pattern: /^[\w.-]+:\d{1,5}$/ }),
    modelDir: path.resolve(env.string('MODEL_DIR', { default: BUNDLED_MODEL_DIR })),
    timeframes: env.list('SIGNAL_TIMEFRAMES', parseTimeframe, { default: ['1h'], minItems: 1 }),
    symbols: readSymbolSubset(env, 'SYMBOLS', base.tradableSymbols),
    warmStartBars: env.int('WARM_START_BARS', { default: 300, min: 0, max: 5000 }),
    seedAgents: env.bool('SEED_AGENTS', { default: true }),
    emitHold: env.bool('SIGNAL_EMIT_HOLD', { default: true }),
    cacheL1Max: env.int('CACHE_L1_MAX', { default: 10_000, min: 10 }),
    cacheTtlMs: env.int('CACHE_TTL_MS', { default: 3_600_000, min: 1000 }),
    taskConcurrency: env.int('TASK_CONCURRENCY', { default: 4, min: 1, max: 256 }),
    taskDefaultTimeoutMs: env.int('TASK_DEFAULT_TIMEOUT_MS', { default: 30_000, min: 100 }),
    taskMaxAttempts: env.int('TASK_MAX_ATTEMPTS', { default: 3, min: 1, max: 20 }),
    taskBackoffMs: env.int('TASK_BACKOFF_MS', { default: 500, min: 0 }),
  };
  env.done();
  return cfg;
}

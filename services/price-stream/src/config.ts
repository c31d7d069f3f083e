import path from 'node:path';
import { describeValue, EnvReader, parseTimeframe, readBaseConfig, readSymbolSubset, type BaseConfig, type Symbol, type Timeframe } from '@cte/shared';

export const BUNDLED_REPLAY_DIR = path.resolve(__dirname, '..', 'data', 'replay');
/** Two days of real Coinbase minute bars for BTC/USD and ETH/USD (QuantConnect Lean, Apache-2.0). */
export const DEFAULT_REPLAY_FILES = [
  'lean/coinbase/minute/btcusd/20180404_trade.zip',
  'lean/coinbase/minute/btcusd/20180405_trade.zip',
  'lean/coinbase/minute/ethusd/20180404_trade.zip',
  'lean/coinbase/minute/ethusd/20180405_trade.zip',
].map((f) => path.join(BUNDLED_REPLAY_DIR, f));

export interface ReplayConfig {
  files: string[];
  /** 1 = real time, 60 = a minute of data per second, 0 = as fast as possible. */
  speed: number;
  startMs: number | undefined;
  endMs: number | undefined;
  loop: boolean;
}

export interface PriceStreamConfig extends BaseConfig {
  source: 'replay';
  exchange: string;
  replay: ReplayConfig;
  /** Symbols the service follows, a subset of TRADABLE_SYMBOLS; empty = every tradable symbol. */
  symbols: Symbol[];
  timeframes: Timeframe[];
  tickConflateMs: number;
  barFlushMs: number;
  barBatchSize: number;
  writeQueueMax: number;
  persistMaxLagMs: number;
  maxMonitors: number;
}

function parseTime(name: string, raw: string | undefined, env: EnvReader): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    env.problem(name, `must be epoch ms or an ISO-8601 time, got ${describeValue(raw)}`);
    return undefined;
  }
  return ms;
}

export function readConfig(source: Record<string, string | undefined> = process.env): PriceStreamConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'price-stream');
  const files = env.list('REPLAY_FILES', (f) => path.resolve(f), { default: DEFAULT_REPLAY_FILES, minItems: 1 });
  const replay: ReplayConfig = {
    files,
    speed: env.number('REPLAY_SPEED', { default: 0, min: 0, max: 1_000_000 }),
    startMs: parseTime('REPLAY_START', env.optionalString('REPLAY_START'), env),
    endMs: parseTime('REPLAY_END', env.optionalString('REPLAY_END'), env),
    loop: env.bool('REPLAY_LOOP', { default: false }),
  };
  if (replay.startMs !== undefined && replay.endMs !== undefined && replay.startMs > replay.endMs) {
    env.problem('REPLAY_START', 'must not be after REPLAY_END');
  }
  const cfg: PriceStreamConfig = {
    ...base,
    source: env.oneOf('MARKET_SOURCE', ['replay'] as const, { default: 'replay' }),
    exchange: env.string('REPLAY_EXCHANGE', { default: 'coinbase', pattern: /^[a-z0-9_]{1,32}$/ }),
    replay,
    symbols: readSymbolSubset(env, 'SYMBOLS', base.tradableSymbols),
    timeframes: env.list('TIMEFRAMES', parseTimeframe, { default: ['1m', '5m', '15m', '1h', '4h', '1d'], minItems: 1 }),
    tickConflateMs: env.int('TICK_CONFLATE_MS', { default: 100, min: 1, max: 60_000 }),
    barFlushMs: env.int('BAR_FLUSH_MS', { default: 250, min: 10, max: 60_000 }),
    barBatchSize: env.int('BAR_BATCH_SIZE', { default: 500, min: 1, max: 10_000 }),
    writeQueueMax: env.int('WRITE_QUEUE_MAX', { default: 50_000, min: 10, max: 10_000_000 }),
    persistMaxLagMs: env.int('PERSIST_MAX_LAG_MS', { default: 30_000, min: 100 }),
    maxMonitors: env.int('MAX_MONITORS', { default: 1000, min: 1, max: 100_000 }),
  };
  env.done();
  return cfg;
}

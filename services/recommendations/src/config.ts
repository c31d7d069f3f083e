import {
  describeValue,
  CHANNELS,
  EnvReader,
  parseSymbol,
  parseTimeframe,
  readBaseConfig,
  TRADING_CHANNELS,
  type BaseConfig,
  type Timeframe,
} from '@cte/shared';
import type { KellyConfig } from './engine/kelly-sizer';

export interface RecommendationsConfig extends BaseConfig {
  riskGrpcAddr: string;
  executionGrpcAddr: string;
  portfolioGrpcAddr: string;
  signalsAggregatorGrpcAddr: string;
  priceStreamGrpcAddr: string;
  /** Deadline of one attempt of a call to a peer. */
  peerDeadlineMs: number;
  consensusChannel: string;
  orderEventsChannel: string;
  kelly: KellyConfig;
  /** Closed bars of this timeframe feed the ATR (`data.bars.{tf}.*`). */
  recTimeframe: Timeframe;
  atrPeriod: number;
  /** Warm a symbol's ATR from price-stream's GetBars when it has none yet. */
  atrWarmup: boolean;
  /** Also follow conflated ticks (`data.ticks.*`) for the latest price. */
  priceTicks: boolean;
  /** After a risk-approved consensus recommendation, same symbol and side wait this long (consensus data time). */
  cooldownMs: number;
  /** Not submitted within this long after creation → expired. */
  ttlMs: number;
  /** Approved but unacknowledged (or pending without a decision) this long → the sweeper re-drives it. */
  retryAfterMs: number;
  /** Submitted without a final status this long → the sweeper polls execution's GetOrder. */
  orderPollAfterMs: number;
  sweepIntervalMs: number;
  /** How long the sources' track records from ListSources are reused. */
  sourcesCacheMs: number;
  /** Consensus messages waiting per symbol beyond this are dropped (counted). */
  maxQueuePerSymbol: number;
  maxClockSkewMs: number;
}

const ADDR = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export function parseQtyDecimals(item: string): [string, number] {
  const eq = item.indexOf('=');
  if (eq < 0) throw new Error('expected SYMBOL=decimals');
  const symbol = parseSymbol(item.slice(0, eq).trim());
  const raw = item.slice(eq + 1).trim();
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > 18) throw new Error(`decimals must be an integer in [0, 18], got ${describeValue(raw)}`);
  return [symbol, Number(raw)];
}

export function readConfig(source: Record<string, string | undefined> = process.env): RecommendationsConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'recommendations');
  const addr = (name: string, def: string) => env.string(name, { default: def, pattern: ADDR });
  const stopAtrMult = env.number('STOP_ATR_MULT', { default: 2, min: 0.01, max: 100 });
  const takeProfitAtrMult = env.number('TAKE_PROFIT_ATR_MULT', { default: 3, min: 0.01, max: 100 });
  const qtyDecimals: Record<string, number> = {};
  for (const [s, d] of env.list('QTY_DECIMALS_BY_SYMBOL', parseQtyDecimals, { default: [] })) {
    if (s in qtyDecimals) env.problem('QTY_DECIMALS_BY_SYMBOL', `${s} is given twice`);
    if (!base.tradableSymbols.has(s)) env.problem('QTY_DECIMALS_BY_SYMBOL', base.tradableSymbols.unknown(s).message);
    qtyDecimals[s] = d;
  }
  const kellyFraction = env.number('KELLY_FRACTION', { default: 0.25, min: 0, max: 1 });
  if (kellyFraction <= 0) env.problem('KELLY_FRACTION', 'must be > 0');
  const maxPositionPct = env.number('MAX_POSITION_PCT', { default: 5, min: 0, max: 100 });
  if (maxPositionPct <= 0) env.problem('MAX_POSITION_PCT', 'must be > 0');
  const payoffRatio = env.number('KELLY_PAYOFF_RATIO', { default: stopAtrMult > 0 && takeProfitAtrMult > 0 ? Math.round((takeProfitAtrMult / stopAtrMult) * 1e6) / 1e6 : 1.5, min: 0.001, max: 1000 });
  const maxWinProbability = env.number('KELLY_MAX_WIN_PROBABILITY', { default: 0.95, min: 0.5, max: 1 });
  const cfg: RecommendationsConfig = {
    ...base,
    riskGrpcAddr: addr('RISK_GRPC_ADDR', '127.0.0.1:9027'),
    executionGrpcAddr: addr('EXECUTION_GRPC_ADDR', '127.0.0.1:9024'),
    portfolioGrpcAddr: addr('PORTFOLIO_GRPC_ADDR', '127.0.0.1:9026'),
    signalsAggregatorGrpcAddr: addr('SIGNALS_AGGREGATOR_GRPC_ADDR', '127.0.0.1:9028'),
    priceStreamGrpcAddr: addr('PRICE_STREAM_GRPC_ADDR', '127.0.0.1:9023'),
    peerDeadlineMs: env.int('PEER_DEADLINE_MS', { default: 2000, min: 10, max: 60_000 }),
    consensusChannel: env.string('CONSENSUS_CHANNEL', { default: CHANNELS.signalsConsensus, pattern: CHANNEL }),
    orderEventsChannel: env.string('ORDER_EVENTS_CHANNEL', { default: TRADING_CHANNELS.orders, pattern: CHANNEL }),
    kelly: {
      kellyFraction,
      maxPositionPct,
      payoffRatio,
      priorHitRate: env.number('KELLY_PRIOR_HIT_RATE', { default: 0.5, min: 0, max: 1 }),
      maxWinProbability,
      allowShort: env.bool('ALLOW_SHORT', { default: false }),
      defaultQtyDecimals: env.int('QTY_DECIMALS', { default: 8, min: 0, max: 18 }),
      qtyDecimals,
      priceDecimals: env.int('PRICE_DECIMALS', { default: 8, min: 0, max: 18 }),
      stopAtrMult,
      takeProfitAtrMult,
    },
    recTimeframe: timeframeVar(env, 'REC_TIMEFRAME', '1h'),
    atrPeriod: env.int('ATR_PERIOD', { default: 14, min: 1, max: 1000 }),
    atrWarmup: env.bool('ATR_WARMUP', { default: true }),
    priceTicks: env.bool('PRICE_TICKS', { default: true }),
    cooldownMs: env.int('REC_COOLDOWN_MS', { default: 3_600_000, min: 0, max: 30 * 86_400_000 }),
    ttlMs: env.int('REC_TTL_MS', { default: 60_000, min: 100, max: 86_400_000 }),
    retryAfterMs: env.int('SUBMIT_RETRY_AFTER_MS', { default: 5_000, min: 10, max: 3_600_000 }),
    orderPollAfterMs: env.int('ORDER_POLL_AFTER_MS', { default: 10_000, min: 10, max: 86_400_000 }),
    sweepIntervalMs: env.int('SWEEP_INTERVAL_MS', { default: 1_000, min: 10, max: 600_000 }),
    sourcesCacheMs: env.int('SOURCES_CACHE_MS', { default: 60_000, min: 0, max: 86_400_000 }),
    maxQueuePerSymbol: env.int('CONSENSUS_MAX_QUEUE', { default: 100, min: 1, max: 100_000 }),
    maxClockSkewMs: env.int('CONSENSUS_MAX_CLOCK_SKEW_MS', { default: 60_000, min: 0, max: 86_400_000 }),
  };
  if (cfg.retryAfterMs >= cfg.ttlMs) env.problem('SUBMIT_RETRY_AFTER_MS', `must be < REC_TTL_MS (${cfg.ttlMs})`);
  env.done();
  return cfg;
}

function timeframeVar(env: EnvReader, name: string, def: Timeframe): Timeframe {
  const raw = env.string(name, { default: def });
  try {
    return parseTimeframe(raw);
  } catch (err) {
    env.problem(name, (err as Error).message);
    return def;
  }
}

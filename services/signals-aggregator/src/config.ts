import os from 'node:os';
import {
  describeValue,
  CHANNELS,
  EnvReader,
  parseTimeframe,
  readBaseConfig,
  type BaseConfig,
  type Timeframe,
} from '@cte/shared';

/** The consumer group every replica joins on the signals stream. */
export const CONSUMER_GROUP = 'signals-aggregator';

export interface SignalsAggregatorConfig extends BaseConfig {
  /** Durable stream of raw signals (consumer group `signals-aggregator`). */
  signalsStream: string;
  /** Pub/sub channel consensus is published on. */
  consensusChannel: string;
  /** Consumer name within the group. */
  consumerName: string;
  /** Closed bars of this timeframe are the price feed (`data.bars.{tf}.*`). */
  priceTimeframe: Timeframe;
  /** Also score on conflated ticks (`data.ticks.*`). */
  priceTicks: boolean;
  halfLifeMs: number;
  maxAgeMs: number;
  minQuorum: number;
  minAgreement: number;
  /** Base weight by source_type or agent_id. */
  sourceWeights: Record<string, number>;
  trackRecordPrior: number;
  trackRecordPriorWeight: number;
  maxPendingPerSymbol: number;
  signalMaxLeadMs: number;
  signalMaxClockSkewMs: number;
  /** Rows kept in aggregator_signals. */
  signalsRetain: number;
  statsFlushMs: number;
  /** `bar`: one decision per (symbol, timeframe, bar); `signal`: a consensus per signal (timing-dependent). */
  decision: 'bar' | 'signal';
  /** Distinct sources that complete a bar; 0 = learn them from the data (CONSENSUS_EXPECTED_SOURCES). */
  expectedSources: number;
  /** With expectedSources 0: sources that reported within this many bars are expected. */
  learnWindowBars: number;
  /** A signal (any source) this many bars newer decides a pending bar; 0 = off. */
  deadlineBars: number;
  /** Price data time after a bar's close that decides it; 0 = off. */
  decideGraceMs: number;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export function parseWeight(item: string): [string, number] {
  const eq = item.indexOf('=');
  if (eq < 0) throw new Error('expected key=weight');
  const key = item.slice(0, eq).trim();
  const raw = item.slice(eq + 1).trim();
  if (!KEY.test(key)) throw new Error(`bad key ${describeValue(key)}`);
  const w = Number(raw);
  if (raw === '' || !Number.isFinite(w) || w < 0 || w > 1000) throw new Error(`weight must be a number in [0, 1000], got ${describeValue(raw)}`);
  return [key, w];
}

export function defaultConsumerName(): string {
  return `${os.hostname()}-${process.pid}`.replace(/[^\w.:-]/g, '_');
}

export function readConfig(source: Record<string, string | undefined> = process.env): SignalsAggregatorConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'signals-aggregator');
  const weights = env.list('SOURCE_WEIGHTS', parseWeight, { default: [] });
  const sourceWeights: Record<string, number> = {};
  for (const [k, w] of weights) {
    if (k in sourceWeights) env.problem('SOURCE_WEIGHTS', `${k} is given twice`);
    sourceWeights[k] = w;
  }
  const cfg: SignalsAggregatorConfig = {
    ...base,
    signalsStream: env.string('SIGNALS_STREAM', { default: CHANNELS.signalsRaw, pattern: CHANNEL }),
    consensusChannel: env.string('CONSENSUS_CHANNEL', { default: CHANNELS.signalsConsensus, pattern: CHANNEL }),
    consumerName: env.string('CONSUMER_NAME', { default: defaultConsumerName(), pattern: CHANNEL }),
    priceTimeframe: parseTimeframeVar(env),
    priceTicks: env.bool('PRICE_TICKS', { default: false }),
    halfLifeMs: env.int('CONSENSUS_HALF_LIFE_MS', { default: 900_000, min: 1, max: 30 * 86_400_000 }),
    maxAgeMs: env.int('CONSENSUS_MAX_AGE_MS', { default: 3_600_000, min: 1, max: 30 * 86_400_000 }),
    minQuorum: env.int('CONSENSUS_MIN_QUORUM', { default: 2, min: 1, max: 1000 }),
    minAgreement: env.number('CONSENSUS_MIN_AGREEMENT', { default: 0.6, min: 0, max: 1 }),
    sourceWeights,
    trackRecordPrior: env.number('TRACK_RECORD_PRIOR', { default: 0.5, min: 0, max: 1 }),
    trackRecordPriorWeight: env.number('TRACK_RECORD_PRIOR_WEIGHT', { default: 10, min: 0.001, max: 1_000_000 }),
    maxPendingPerSymbol: env.int('TRACK_RECORD_MAX_PENDING', { default: 10_000, min: 0, max: 10_000_000 }),
    signalMaxLeadMs: env.int('SIGNAL_MAX_LEAD_MS', { default: 3_600_000, min: 0 }),
    signalMaxClockSkewMs: env.int('SIGNAL_MAX_CLOCK_SKEW_MS', { default: 60_000, min: 0, max: 86_400_000 }),
    signalsRetain: env.int('SIGNALS_RETAIN', { default: 100_000, min: 100, max: 100_000_000 }),
    statsFlushMs: env.int('STATS_FLUSH_MS', { default: 500, min: 10, max: 60_000 }),
    decision: env.string('CONSENSUS_DECISION', { default: 'bar', pattern: /^(bar|signal)$/ }) as 'bar' | 'signal',
    expectedSources: env.int('CONSENSUS_EXPECTED_SOURCES', { default: 0, min: 0, max: 1000 }),
    learnWindowBars: env.int('CONSENSUS_LEARN_WINDOW_BARS', { default: 24, min: 1, max: 10_000 }),
    deadlineBars: env.int('CONSENSUS_DEADLINE_BARS', { default: 0, min: 0, max: 1000 }),
    decideGraceMs: env.int('CONSENSUS_DECIDE_GRACE_MS', { default: 0, min: 0, max: 30 * 86_400_000 }),
  };
  env.done();
  return cfg;
}

function parseTimeframeVar(env: EnvReader): Timeframe {
  const raw = env.string('PRICE_TIMEFRAME', { default: '1m' });
  try {
    return parseTimeframe(raw);
  } catch (err) {
    env.problem('PRICE_TIMEFRAME', (err as Error).message);
    return '1m';
  }
}

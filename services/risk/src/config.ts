import os from 'node:os';
import { EnvReader, FEED_CHANNELS, readBaseConfig, TRADING_CHANNELS, type BaseConfig } from '@cte/shared';
import { DEFAULT_WIRE_LIMITS, LIMIT_NAMES, parseLimitValue, validateLimitSet, type LimitName, type WireLimits } from './engine/limits';

/** The consumer group risk joins on the fills stream. */
export const CONSUMER_GROUP = 'risk';

export interface RiskConfig extends BaseConfig {
  /** Limits from the environment (RISK_<LIMIT>), the defaults of limits without a stored override. */
  envLimits: WireLimits;
  portfolioGrpcAddr: string;
  /** Deadline of one GetExposure attempt. */
  portfolioDeadlineMs: number;
  /** Retries of GetExposure on UNAVAILABLE / DEADLINE_EXCEEDED. */
  portfolioRetries: number;
  /** How long a fetched exposure is reused (a fill invalidates it at once). */
  exposureTtlMs: number;
  fillsStream: string;
  ordersChannel: string;
  tradingStateChannel: string;
  /** Pub/sub pattern of price ticks. */
  ticksPattern: string;
  /** Pub/sub channel of feed statuses (price-stream, MARKET_SOURCE=ccxt); a symbol whose every feed is stale gets stale_price. */
  feedsChannel: string;
  consumerName: string;
  /** Wall ms without any tick after which every price is stale; 0 = off. */
  priceFeedMaxSilenceMs: number;
  haltedAllowsReducing: boolean;
  /** Resized quantities are rounded down to this many decimals. */
  qtyDecimals: number;
  /** How long an approved opening order counts as pending exposure. 0 = off. */
  pendingTtlMs: number;
  eventsFlushMs: number;
  eventsBatchSize: number;
  eventsQueueMax: number;
  /** Check waits until its risk_events row is committed (group commit) instead of writing behind. */
  eventsDurable: boolean;
  /** Decisions kept in memory by recommendation_id. */
  decisionCacheSize: number;
  /** The trading state is re-published this often (pub/sub is lossy); 0 = only on change. */
  stateBroadcastMs: number;
}

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:*-]{0,199}$/;
const ADDR = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$|^(dns|unix|ipv4|ipv6):.+$/;

export function limitEnvName(name: LimitName): string {
  return `RISK_${name.toUpperCase()}`;
}

export function defaultConsumerName(): string {
  return `${os.hostname()}-${process.pid}`.replace(/[^\w.:-]/g, '_');
}

export function readConfig(source: Record<string, string | undefined> = process.env): RiskConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'risk');
  const envLimits: WireLimits = { ...DEFAULT_WIRE_LIMITS, allowed_symbols: [...DEFAULT_WIRE_LIMITS.allowed_symbols] };
  const target = envLimits as unknown as Record<LimitName, string | string[]>;
  for (const name of LIMIT_NAMES) {
    const varName = limitEnvName(name);
    const raw = env.optionalString(varName);
    if (raw === undefined) continue;
    try {
      target[name] = parseLimitValue(name, raw, base.tradableSymbols);
    } catch (err) {
      env.problem(varName, (err as Error).message);
    }
  }
  try {
    validateLimitSet(envLimits);
  } catch (err) {
    env.problem(limitEnvName('min_order_notional'), (err as Error).message);
  }
  const cfg: RiskConfig = {
    ...base,
    envLimits,
    portfolioGrpcAddr: env.string('PORTFOLIO_GRPC_ADDR', { default: '127.0.0.1:9026', pattern: ADDR }),
    portfolioDeadlineMs: env.int('PORTFOLIO_DEADLINE_MS', { default: 500, min: 10, max: 60_000 }),
    portfolioRetries: env.int('PORTFOLIO_RETRIES', { default: 1, min: 0, max: 5 }),
    exposureTtlMs: env.int('EXPOSURE_TTL_MS', { default: 250, min: 0, max: 60_000 }),
    fillsStream: env.string('FILLS_STREAM', { default: TRADING_CHANNELS.fills, pattern: CHANNEL }),
    ordersChannel: env.string('ORDERS_CHANNEL', { default: TRADING_CHANNELS.orders, pattern: CHANNEL }),
    tradingStateChannel: env.string('TRADING_STATE_CHANNEL', { default: TRADING_CHANNELS.tradingState, pattern: CHANNEL }),
    ticksPattern: env.string('TICKS_PATTERN', { default: 'data.ticks.*', pattern: CHANNEL }),
    feedsChannel: env.string('FEEDS_CHANNEL', { default: FEED_CHANNELS.status, pattern: CHANNEL }),
    consumerName: env.string('CONSUMER_NAME', { default: defaultConsumerName(), pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/ }),
    priceFeedMaxSilenceMs: env.int('PRICE_FEED_MAX_SILENCE_MS', { default: 120_000, min: 0, max: 30 * 86_400_000 }),
    haltedAllowsReducing: env.bool('HALTED_ALLOWS_REDUCING', { default: true }),
    qtyDecimals: env.int('QTY_DECIMALS', { default: 8, min: 0, max: 18 }),
    pendingTtlMs: env.int('PENDING_TTL_MS', { default: 3000, min: 0, max: 3_600_000 }),
    eventsFlushMs: env.int('EVENTS_FLUSH_MS', { default: 20, min: 1, max: 60_000 }),
    eventsBatchSize: env.int('EVENTS_BATCH_SIZE', { default: 500, min: 1, max: 10_000 }),
    eventsQueueMax: env.int('EVENTS_QUEUE_MAX', { default: 50_000, min: 1, max: 10_000_000 }),
    eventsDurable: env.bool('EVENTS_DURABLE', { default: false }),
    decisionCacheSize: env.int('DECISION_CACHE_SIZE', { default: 100_000, min: 100, max: 10_000_000 }),
    stateBroadcastMs: env.int('STATE_BROADCAST_MS', { default: 5000, min: 0, max: 3_600_000 }),
  };
  env.done();
  return cfg;
}

import { describeValue, Dec, EnvReader, readBaseConfig, type BaseConfig, type Symbol } from '@cte/shared';
import { parseMarketPrecision, type MarketPrecision } from './engine/precision';

export type TradingMode = 'mock' | 'live';

export interface ExecutionConfig extends BaseConfig {
  tradingMode: TradingMode;
  /** Risk's gRPC address, for GetTradingState. */
  riskGrpcAddr: string;
  riskDeadlineMs: number;
  tradingStateRefreshMs: number;
  /** On HALTED, cancel resting orders that would open or grow a position. */
  haltCancelsOpeningOrders: boolean;
  marketPrecision: Map<Symbol, MarketPrecision>;
  mock: {
    slippageBps: Dec;
    impactBps: Dec;
    liquidityNotional: Dec;
    takerFeeBps: Dec;
    makerFeeBps: Dec;
    maxPriceAgeMs: number;
    maxPriceSilenceMs: number;
  };
  outboxPollMs: number;
  outboxBatch: number;
  outboxRetainMs: number;
}

export const LIVE_NOT_AVAILABLE =
  'live trading arrives with a later issue (it will need exchange API keys and an explicit acknowledgement such as LIVE_TRADING_ACKNOWLEDGED=yes); run with TRADING_MODE=mock (the paper venue, the default)';

const ADDR = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

function decimalVar(env: EnvReader, name: string, def: string, min: string, max: string, positive = false): Dec {
  const raw = env.string(name, { default: def });
  if (!/^\d+(\.\d+)?$/.test(raw)) {
    env.problem(name, `must be a decimal number, got ${describeValue(raw)}`);
    return new Dec(def);
  }
  const d = new Dec(raw);
  if (d.lt(min) || d.gt(max) || (positive && d.lte(0))) {
    env.problem(name, `must be ${positive ? '> 0 and ' : ''}in [${min}, ${max}], got ${raw}`);
    return new Dec(def);
  }
  return d;
}

export function readConfig(source: Record<string, string | undefined> = process.env): ExecutionConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'execution');
  const tradingMode = env.oneOf('TRADING_MODE', ['mock', 'live'] as const, { default: 'mock' });
  if (tradingMode === 'live') env.problem('TRADING_MODE', LIVE_NOT_AVAILABLE);
  let marketPrecision = new Map<Symbol, MarketPrecision>();
  const precisionSpec = env.string('MARKET_PRECISION', { default: '' });
  try {
    marketPrecision = parseMarketPrecision(precisionSpec);
  } catch (err) {
    env.problem('MARKET_PRECISION', (err as Error).message);
  }
  for (const s of marketPrecision.keys()) if (!base.tradableSymbols.has(s)) env.problem('MARKET_PRECISION', base.tradableSymbols.unknown(s).message);
  const cfg: ExecutionConfig = {
    ...base,
    tradingMode,
    riskGrpcAddr: env.string('RISK_GRPC_ADDR', { default: '127.0.0.1:9027', pattern: ADDR }),
    riskDeadlineMs: env.int('RISK_DEADLINE_MS', { default: 1000, min: 10, max: 60_000 }),
    tradingStateRefreshMs: env.int('TRADING_STATE_REFRESH_MS', { default: 5000, min: 100, max: 3_600_000 }),
    haltCancelsOpeningOrders: env.bool('HALT_CANCEL_OPENING_ORDERS', { default: true }),
    marketPrecision,
    mock: {
      slippageBps: decimalVar(env, 'MOCK_SLIPPAGE_BPS', '5', '0', '1000'),
      impactBps: decimalVar(env, 'MOCK_IMPACT_BPS', '10', '0', '1000'),
      liquidityNotional: decimalVar(env, 'MOCK_LIQUIDITY_NOTIONAL', '100000', '0', '1000000000000', true),
      takerFeeBps: decimalVar(env, 'MOCK_TAKER_FEE_BPS', '10', '0', '1000'),
      makerFeeBps: decimalVar(env, 'MOCK_MAKER_FEE_BPS', '5', '0', '1000'),
      maxPriceAgeMs: env.int('MOCK_MAX_PRICE_AGE_MS', { default: 60_000, min: 0, max: 365 * 86_400_000 }),
      maxPriceSilenceMs: env.int('MOCK_MAX_PRICE_SILENCE_MS', { default: 300_000, min: 0, max: 86_400_000 }),
    },
    outboxPollMs: env.int('OUTBOX_POLL_MS', { default: 250, min: 10, max: 60_000 }),
    outboxBatch: env.int('OUTBOX_BATCH', { default: 100, min: 1, max: 10_000 }),
    outboxRetainMs: env.int('OUTBOX_RETAIN_MS', { default: 7 * 86_400_000, min: 0 }),
  };
  env.done();
  return cfg;
}

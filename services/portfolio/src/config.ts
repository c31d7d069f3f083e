import { describeValue, EnvReader, readBaseConfig, TRADING_CHANNELS, type BaseConfig } from '@cte/shared';
import { Exact, fitsColumn, type Decimal } from './engine/money';

/** The consumer group on the fills stream. */
export const CONSUMER_GROUP = 'portfolio';

export interface PortfolioConfig extends BaseConfig {
  /** Durable stream of fills (consumer group `portfolio`). */
  fillsStream: string;
  /**
   * Consumer name within the group. Stable on purpose (default `portfolio`): a restarted process
   * resumes its own pending fills first, so fills are applied in stream order.
   */
  consumerName: string;
  /** Deliveries after which a fill that keeps crashing the process goes to `<stream>.dlq`. */
  fillsMaxDeliveries: number;
  /** A fill pending this long on another consumer is taken over. */
  fillsClaimIdleMs: number;
  /** Stream entries read per round trip (they are still applied one at a time, in order). */
  fillsBatchSize: number;
  /** Seeded into the quote-currency balance once, when the ledger is first created. */
  initialCapital: Decimal;
  quoteCurrency: string;
  snapshotIntervalMs: number;
  recommendationsGrpcAddr: string;
  recommendationsDeadlineMs: number;
  /** execution's gRPC address: the venues' balances for the reconciliation (execution alone holds venue keys). */
  executionGrpcAddr: string;
  /** Period of the venue reconciliation; 0 = off. Paper mode: execution lists no venue, so nothing is compared. */
  venueReconcileMs: number;
  /** A drift is reported (warn log) when over both: absolute in asset units, relative (0.01 = 1 %). */
  venueDriftAbsolute: Decimal;
  venueDriftRelative: Decimal;
  /** Rebalancing orders below this notional (quote currency) are skipped. */
  rebalanceMinNotional: Decimal;
  /** Rebalancing quantities are rounded toward zero to this many decimals. */
  rebalanceQtyDecimals: number;
}

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;
const ADDR = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

function decimalVar(env: EnvReader, name: string, def: string, positive: boolean): Decimal {
  const raw = env.string(name, { default: def });
  if (!DECIMAL.test(raw)) {
    env.problem(name, `must be a decimal number such as ${def}, got ${describeValue(raw)}`);
    return new Exact(def);
  }
  const d = new Exact(raw);
  if (!fitsColumn(d)) env.problem(name, 'must have at most 18 decimals and be below 10^18');
  if (positive && !d.gt(0)) env.problem(name, 'must be > 0');
  return d;
}

export function readConfig(source: Record<string, string | undefined> = process.env): PortfolioConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'portfolio');
  const cfg: PortfolioConfig = {
    ...base,
    fillsStream: env.string('FILLS_STREAM', { default: TRADING_CHANNELS.fills, pattern: CHANNEL }),
    consumerName: env.string('CONSUMER_NAME', { default: 'portfolio', pattern: CHANNEL }),
    fillsMaxDeliveries: env.int('FILLS_MAX_DELIVERIES', { default: 20, min: 1, max: 1_000_000 }),
    fillsClaimIdleMs: env.int('FILLS_CLAIM_IDLE_MS', { default: 30_000, min: 100, max: 86_400_000 }),
    fillsBatchSize: env.int('FILLS_BATCH_SIZE', { default: 50, min: 1, max: 1000 }),
    initialCapital: decimalVar(env, 'INITIAL_CAPITAL', '100000', true),
    quoteCurrency: env.string('QUOTE_CURRENCY', { default: 'USD', pattern: /^[A-Z0-9]{1,20}$/ }),
    snapshotIntervalMs: env.int('SNAPSHOT_INTERVAL_MS', { default: 60_000, min: 50, max: 86_400_000 }),
    recommendationsGrpcAddr: env.string('RECOMMENDATIONS_GRPC_ADDR', { default: '127.0.0.1:9022', pattern: ADDR }),
    recommendationsDeadlineMs: env.int('RECOMMENDATIONS_DEADLINE_MS', { default: 2_000, min: 10, max: 60_000 }),
    rebalanceMinNotional: decimalVar(env, 'REBALANCE_MIN_NOTIONAL', '10', false),
    rebalanceQtyDecimals: env.int('REBALANCE_QTY_DECIMALS', { default: 8, min: 0, max: 18 }),
    executionGrpcAddr: env.string('EXECUTION_GRPC_ADDR', { default: '127.0.0.1:9024', pattern: ADDR }),
    venueReconcileMs: env.int('PORTFOLIO_VENUE_RECONCILE_MS', { default: 60_000, min: 0, max: 86_400_000 }),
    venueDriftAbsolute: decimalVar(env, 'PORTFOLIO_VENUE_DRIFT_ABSOLUTE', '0.00000001', false),
    venueDriftRelative: decimalVar(env, 'PORTFOLIO_VENUE_DRIFT_RELATIVE', '0.001', false),
  };
  env.done();
  return cfg;
}

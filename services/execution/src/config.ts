import { describeValue, Dec, EnvReader, parseSymbol, readBaseConfig, readOriginUrl, type BaseConfig, type Symbol, type TradableSymbols } from '@cte/shared';
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
  /** Set when TRADING_MODE=live. */
  live: LiveConfig | undefined;
}

/** The venues execution can trade live (each has a wire-faithful emulator in services/venue-emulator). */
export const LIVE_VENUES = ['binanceus', 'coinbase', 'kucoin'] as const;
export type LiveVenueId = (typeof LIVE_VENUES)[number];

export const LIVE_ACK_ENV = 'LIVE_TRADING_ACK';
export const LIVE_ACK_VALUE = 'I_UNDERSTAND_REAL_MONEY';

const REDACTED = '[redacted]';

/** A credential. It never prints: toString, JSON and util.inspect all show [redacted]; `reveal()` is the only way in. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [globalThis.Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export interface VenueCredentials {
  apiKey: Secret;
  secret: Secret;
  /** KuCoin's API passphrase. */
  password?: Secret;
}

export interface LiveVenueConfig {
  id: LiveVenueId;
  /** Fleet symbols this venue trades (each symbol goes to exactly one venue). */
  symbols: Symbol[];
  /** Origin replacing the venue's own in every REST and WebSocket URL (emulator, sandbox or proxy). */
  baseUrl: string | undefined;
  credentials: VenueCredentials;
}

export interface LiveConfig {
  venues: LiveVenueConfig[];
  /** ccxt request timeout. */
  timeoutMs: number;
  /** Wait after an ambiguous send before the lookup by client order id (Binance: its recvWindow). */
  settleMs: number;
  maxSends: number;
  maxLookups: number;
  lookupBackoffMs: number;
  /** Period of the REST reconciliation of open orders' fills (besides after every stream reconnect). */
  reconcileMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

/** The credential variables of each venue, in the order they are reported. */
export const CREDENTIAL_VARS: Readonly<Record<LiveVenueId, ReadonlyArray<{ name: string; field: keyof VenueCredentials; what: string }>>> = {
  binanceus: [
    { name: 'BINANCEUS_API_KEY', field: 'apiKey', what: 'API key' },
    { name: 'BINANCEUS_API_SECRET', field: 'secret', what: 'API secret (HMAC)' },
  ],
  coinbase: [
    { name: 'COINBASE_API_KEY', field: 'apiKey', what: 'CDP API key name (organizations/…/apiKeys/…)' },
    { name: 'COINBASE_API_SECRET', field: 'secret', what: 'CDP EC private key (PEM)' },
  ],
  kucoin: [
    { name: 'KUCOIN_API_KEY', field: 'apiKey', what: 'API key' },
    { name: 'KUCOIN_API_SECRET', field: 'secret', what: 'API secret' },
    { name: 'KUCOIN_API_PASSPHRASE', field: 'password', what: 'API passphrase' },
  ],
};

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
    live: tradingMode === 'live' ? readLiveConfig(env, source, base.tradableSymbols) : undefined,
  };
  env.done();
  return cfg;
}

/** A credential from the environment (or a Kubernetes Secret mapped into it). Problems never quote it. */
function readSecret(source: Record<string, string | undefined>, env: EnvReader, name: string, venue: LiveVenueId, what: string): Secret | undefined {
  env.names.push(name);
  let v = source[name]?.trim() ?? '';
  if (v === '') {
    env.problem(name, `is required for TRADING_MODE=live on ${venue}: the ${what}, from the environment or a Kubernetes Secret`);
    return undefined;
  }
  // A PEM in one env line usually carries literal "\n".
  if (v.includes('-----BEGIN') && v.includes('\\n')) v = v.replace(/\\n/g, '\n');
  return new Secret(v);
}

function readCredentials(source: Record<string, string | undefined>, env: EnvReader, venue: LiveVenueId): VenueCredentials | undefined {
  const got: Partial<Record<keyof VenueCredentials, Secret>> = {};
  let complete = true;
  for (const c of CREDENTIAL_VARS[venue]) {
    const s = readSecret(source, env, c.name, venue, c.what);
    if (s) got[c.field] = s;
    else complete = false;
  }
  if (venue === 'coinbase' && got.secret && !/-----BEGIN (EC )?PRIVATE KEY-----/.test(got.secret.reveal())) {
    env.problem('COINBASE_API_SECRET', 'must be the CDP key\'s EC private key in PEM form (-----BEGIN EC PRIVATE KEY----- …)');
    complete = false;
  }
  if (!complete || !got.apiKey || !got.secret) return undefined;
  return { apiKey: got.apiKey, secret: got.secret, ...(got.password ? { password: got.password } : {}) };
}

function readLiveConfig(env: EnvReader, source: Record<string, string | undefined>, tradable: TradableSymbols): LiveConfig {
  const ack = env.optionalString(LIVE_ACK_ENV);
  if (ack !== LIVE_ACK_VALUE) {
    env.problem(LIVE_ACK_ENV, `${ack === undefined ? 'is not set' : 'has the wrong value'}: TRADING_MODE=live sends real orders with real money; set ${LIVE_ACK_ENV}=${LIVE_ACK_VALUE} to confirm (or run TRADING_MODE=mock, the paper venue)`);
  }
  const ids = env.list('LIVE_VENUES', (x) => {
    const id = x.trim().toLowerCase();
    if (!(LIVE_VENUES as readonly string[]).includes(id)) throw new Error(`${describeValue(x)} is not one of ${LIVE_VENUES.join(', ')}`);
    return id as LiveVenueId;
  }, { required: true, minItems: 1 });
  if (new Set(ids).size !== ids.length) env.problem('LIVE_VENUES', 'lists a venue twice');
  const unique = [...new Set(ids)];
  const owner = new Map<Symbol, LiveVenueId>();
  const venues: LiveVenueConfig[] = [];
  for (const id of unique) {
    const name = `LIVE_SYMBOLS_${id.toUpperCase()}`;
    const given = env.optionalString(name) !== undefined;
    if (!given && unique.length > 1) env.problem(name, `is required when LIVE_VENUES names several venues: the symbols ${id} trades (each symbol on one venue)`);
    const symbols = env.list(name, parseSymbol, { default: unique.length === 1 ? [...tradable.list()] : [], minItems: unique.length === 1 ? 1 : 0 });
    const outside = symbols.filter((s) => !tradable.has(s));
    if (outside.length > 0) env.problem(name, `${outside.slice(0, 10).join(', ')} not tradable; tradable symbols are ${tradable.describe()}`);
    for (const s of symbols) {
      const other = owner.get(s);
      if (other !== undefined) env.problem(name, `${s} is already traded on ${other}; a symbol goes to one venue`);
      else owner.set(s, id);
    }
    const credentials = readCredentials(source, env, id);
    const baseUrl = readOriginUrl(env, `VENUE_URL_${id.toUpperCase()}`);
    if (credentials) venues.push({ id, symbols: symbols.filter((s) => tradable.has(s)), baseUrl, credentials });
  }
  const reconnectBaseMs = env.int('LIVE_RECONNECT_BASE_MS', { default: 500, min: 10, max: 60_000 });
  const reconnectMaxMs = env.int('LIVE_RECONNECT_MAX_MS', { default: 30_000, min: 10, max: 600_000 });
  if (reconnectMaxMs < reconnectBaseMs) env.problem('LIVE_RECONNECT_MAX_MS', 'must not be below LIVE_RECONNECT_BASE_MS');
  return {
    venues,
    timeoutMs: env.int('VENUE_TIMEOUT_MS', { default: 10_000, min: 100, max: 120_000 }),
    settleMs: env.int('VENUE_SETTLE_MS', { default: 5_000, min: 0, max: 120_000 }),
    maxSends: env.int('VENUE_MAX_SENDS', { default: 2, min: 1, max: 10 }),
    maxLookups: env.int('VENUE_MAX_LOOKUPS', { default: 5, min: 1, max: 100 }),
    lookupBackoffMs: env.int('VENUE_LOOKUP_BACKOFF_MS', { default: 500, min: 0, max: 60_000 }),
    reconcileMs: env.int('LIVE_RECONCILE_MS', { default: 15_000, min: 100, max: 3_600_000 }),
    reconnectBaseMs,
    reconnectMaxMs,
  };
}

import path from 'node:path';
import { describeValue, EnvReader, parseSymbol, parseTimeframe, readBaseConfig, readSymbolSubset, type BaseConfig, type Symbol, type Timeframe } from '@cte/shared';

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

/** The venues the live source supports (each has a wire-faithful emulator in services/venue-emulator). */
export const LIVE_EXCHANGES = ['binanceus', 'coinbase', 'kucoin'] as const;
export type LiveExchangeId = (typeof LIVE_EXCHANGES)[number];

export interface LiveFeedSymbol {
  /** The market as the venue lists it, in ccxt unified form (`BTC/USDT`). */
  venue: string;
  /** The fleet's symbol (one of TRADABLE_SYMBOLS) its trades are filed under. */
  symbol: Symbol;
}

export interface LiveExchangeConfig {
  id: LiveExchangeId;
  symbols: LiveFeedSymbol[];
  /** The variable the symbols came from, for error messages. */
  symbolsVar: string;
  /** Origin replacing the venue's own in every REST and WebSocket URL (emulator, sandbox or proxy). */
  baseUrl: string | undefined;
}

export interface LiveConfig {
  exchanges: LiveExchangeConfig[];
  /** A feed with no trade for longer than this is stale. */
  staleMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

export interface PriceStreamConfig extends BaseConfig {
  source: 'replay' | 'ccxt';
  /** Replay: REPLAY_EXCHANGE. Live: the first of EXCHANGES (the default of bar queries). */
  exchange: string;
  replay: ReplayConfig;
  /** Set when MARKET_SOURCE=ccxt. */
  live: LiveConfig | undefined;
  /** LIVE_BOOK: with MARKET_SOURCE=ccxt, top of book per feed is published on `data.book.{BASE-QUOTE}`. */
  liveBook: boolean;
  /** With MARKET_SOURCE=ccxt: every feed's status is re-sent on `data.feeds` this often (besides each transition). */
  feedStatusIntervalMs: number;
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

/**
 * `SYMBOLS_<EXCHANGE>` items are `VENUE_SYMBOL` or `VENUE_SYMBOL=FLEET_SYMBOL`. Without `=` the
 * venue's symbol is the fleet's, so BTC/USD (Coinbase) and BTC/USDT (Binance.US) stay two symbols;
 * `BTC/USDT=BTC/USD` deliberately files a USDT market under BTC/USD. Bars are kept per
 * (exchange, symbol) either way; only the latest price of a symbol is shared across venues.
 */
function parseFeedSymbol(item: string): LiveFeedSymbol {
  const [venue, fleet, extra] = item.split('=');
  if (extra !== undefined) throw new Error(`${describeValue(item)}: expected VENUE_SYMBOL or VENUE_SYMBOL=FLEET_SYMBOL`);
  const v = parseSymbol(venue?.trim() ?? '');
  return { venue: v, symbol: fleet === undefined ? v : parseSymbol(fleet.trim()) };
}

function readLiveConfig(env: EnvReader, followed: readonly Symbol[], followedVar: string, tradable: BaseConfig['tradableSymbols']): LiveConfig {
  const ids = env.list('EXCHANGES', (x) => {
    const id = x.trim().toLowerCase();
    if (!(LIVE_EXCHANGES as readonly string[]).includes(id)) throw new Error(`${describeValue(x)} is not one of ${LIVE_EXCHANGES.join(', ')}`);
    return id as LiveExchangeId;
  }, { required: true, minItems: 1 });
  if (new Set(ids).size !== ids.length) env.problem('EXCHANGES', 'lists an exchange twice');
  const exchanges = [...new Set(ids)].map((id): LiveExchangeConfig => {
    const upper = id.toUpperCase();
    const symbolsVar = env.optionalString(`SYMBOLS_${upper}`) === undefined ? followedVar : `SYMBOLS_${upper}`;
    const symbols = env.list(`SYMBOLS_${upper}`, parseFeedSymbol, { default: followed.map((s) => ({ venue: s, symbol: s })), minItems: 1 });
    const outside = symbols.filter((s) => !tradable.has(s.symbol)).map((s) => s.symbol);
    if (outside.length > 0) env.problem(`SYMBOLS_${upper}`, `${outside.slice(0, 10).join(', ')} not tradable; tradable symbols are ${tradable.describe()}`);
    const canon = symbols.map((s) => s.symbol);
    if (new Set(canon).size !== canon.length) env.problem(`SYMBOLS_${upper}`, 'maps two venue markets to the same fleet symbol');
    let baseUrl = env.optionalString(`VENUE_URL_${upper}`);
    if (baseUrl !== undefined) {
      baseUrl = env.url(`VENUE_URL_${upper}`, { protocols: ['http:', 'https:'] });
      try {
        const u = new URL(baseUrl);
        if (u.pathname !== '/' || u.search !== '' || u.username !== '' || u.password !== '') env.problem(`VENUE_URL_${upper}`, 'must be an origin only (scheme://host:port), without path, query or credentials');
        baseUrl = u.origin;
      } catch {
        // env.url has reported it.
      }
    }
    return { id, symbols, symbolsVar, baseUrl };
  });
  const reconnectBaseMs = env.int('RECONNECT_BASE_MS', { default: 500, min: 10, max: 60_000 });
  const reconnectMaxMs = env.int('RECONNECT_MAX_MS', { default: 30_000, min: 10, max: 600_000 });
  if (reconnectMaxMs < reconnectBaseMs) env.problem('RECONNECT_MAX_MS', 'must not be below RECONNECT_BASE_MS');
  return { exchanges, staleMs: env.int('FEED_STALE_MS', { default: 60_000, min: 100, max: 86_400_000 }), reconnectBaseMs, reconnectMaxMs };
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
  const marketSource = env.oneOf('MARKET_SOURCE', ['replay', 'ccxt'] as const, { default: 'replay' });
  const symbols = readSymbolSubset(env, 'SYMBOLS', base.tradableSymbols);
  const replayExchange = env.string('REPLAY_EXCHANGE', { default: 'coinbase', pattern: /^[a-z0-9_]{1,32}$/ });
  const liveBook = env.bool('LIVE_BOOK', { default: marketSource === 'ccxt' });
  if (liveBook && marketSource !== 'ccxt') env.problem('LIVE_BOOK', 'needs MARKET_SOURCE=ccxt (replay has no order books)');
  const live = marketSource === 'ccxt' ? readLiveConfig(env, symbols.length > 0 ? symbols : base.tradableSymbols.list(), symbols.length > 0 ? 'SYMBOLS' : 'TRADABLE_SYMBOLS', base.tradableSymbols) : undefined;
  const cfg: PriceStreamConfig = {
    ...base,
    source: marketSource,
    exchange: live?.exchanges[0]?.id ?? replayExchange,
    replay,
    live,
    liveBook,
    feedStatusIntervalMs: env.int('FEED_STATUS_INTERVAL_MS', { default: 5000, min: 100, max: 3_600_000 }),
    symbols,
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

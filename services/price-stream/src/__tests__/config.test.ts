import fs from 'node:fs';
import { readConfig, DEFAULT_REPLAY_FILES } from '../config';

const KEY = { TRADING_API_KEY: 'x'.repeat(24) };

describe('price-stream config', () => {
  it('defaults to replaying the bundled data, which exists', () => {
    const cfg = readConfig(KEY);
    expect(cfg.source).toBe('replay');
    expect(cfg.replay.files).toEqual(DEFAULT_REPLAY_FILES);
    for (const f of cfg.replay.files) expect(fs.existsSync(f)).toBe(true);
    expect(cfg.timeframes).toEqual(['1m', '5m', '15m', '1h', '4h', '1d']);
    expect([cfg.httpPort, cfg.grpcPort]).toEqual([8023, 9023]);
  });

  it('parses symbols, timeframes and replay window', () => {
    const cfg = readConfig({ ...KEY, TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT,SOL/USDT', SYMBOLS: 'btc-usdt, ETH/USDT', TIMEFRAMES: '1m,1h', REPLAY_START: '2018-04-04T00:00:00Z', REPLAY_END: '1522900000000', REPLAY_SPEED: '60' });
    expect(cfg.symbols).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(cfg.timeframes).toEqual(['1m', '1h']);
    expect(cfg.replay).toMatchObject({ startMs: Date.UTC(2018, 3, 4), endMs: 1522900000000, speed: 60 });
  });

  it.each([
    ['REPLAY_SPEED', { REPLAY_SPEED: '-1' }],
    ['REPLAY_SPEED', { REPLAY_SPEED: 'fast' }],
    ['TIMEFRAMES', { TIMEFRAMES: '1m,7m' }],
    ['SYMBOLS', { SYMBOLS: 'BTCUSDT' }],
    ['SYMBOLS', { SYMBOLS: 'BTC/USD,FOO/BAR' }],
    ['TRADABLE_SYMBOLS', { TRADABLE_SYMBOLS: 'BTC/USD,BTCUSD' }],
    ['TRADABLE_SYMBOLS', { TRADABLE_SYMBOLS: ',' }],
    ['MARKET_SOURCE', { MARKET_SOURCE: 'kafka' }],
    ['EXCHANGES', { MARKET_SOURCE: 'ccxt' }],
    ['EXCHANGES', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'coinbase,ftx' }],
    ['EXCHANGES', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'coinbase,Coinbase' }],
    ['SYMBOLS_COINBASE', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'coinbase', SYMBOLS_COINBASE: 'BTC/USD,DOGE/USD' }],
    ['SYMBOLS_COINBASE', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'coinbase', SYMBOLS_COINBASE: 'BTC/USD=BTC/USD=ETH/USD' }],
    ['SYMBOLS_BINANCEUS', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'binanceus', SYMBOLS_BINANCEUS: 'BTC/USDT=BTC/USD,BTC/USD' }],
    ['VENUE_URL_KUCOIN', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', VENUE_URL_KUCOIN: 'ftp://127.0.0.1:8033' }],
    ['VENUE_URL_KUCOIN', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', VENUE_URL_KUCOIN: 'http://127.0.0.1:8033/api' }],
    ['VENUE_URL_KUCOIN', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', VENUE_URL_KUCOIN: 'https://user:secret@proxy.example' }],
    ['RECONNECT_MAX_MS', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', RECONNECT_BASE_MS: '1000', RECONNECT_MAX_MS: '500' }],
    ['FEED_STALE_MS', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', FEED_STALE_MS: '10' }],
    ['FEED_STATUS_INTERVAL_MS', { MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', FEED_STATUS_INTERVAL_MS: '50' }],
    ['REPLAY_START', { REPLAY_START: 'yesterday' }],
    ['REPLAY_START', { REPLAY_START: '2000', REPLAY_END: '1000' }],
    ['WRITE_QUEUE_MAX', { WRITE_QUEUE_MAX: '0' }],
    ['TRADING_API_KEY', { TRADING_API_KEY: '' }],
  ])('fails fast naming %s', (name, env) => {
    expect(() => readConfig({ ...KEY, ...env })).toThrow(new RegExp(`${name}:`));
  });

  it('never echoes credentials of a rejected venue URL', () => {
    expect(() => readConfig({ ...KEY, MARKET_SOURCE: 'ccxt', EXCHANGES: 'kucoin', VENUE_URL_KUCOIN: 'https://user:secret@proxy.example' })).toThrow(/^(?![\s\S]*secret)/);
  });

  it('MARKET_SOURCE=ccxt: exchanges, per-exchange symbols mapped to fleet symbols, and venue URL overrides', () => {
    const cfg = readConfig({
      ...KEY,
      MARKET_SOURCE: 'ccxt',
      TRADABLE_SYMBOLS: 'BTC/USD,ETH/USD,BTC/USDT',
      EXCHANGES: 'coinbase, BinanceUS,kucoin',
      SYMBOLS_BINANCEUS: 'BTC/USDT,ETH/USDT=ETH/USD',
      VENUE_URL_BINANCEUS: 'http://127.0.0.1:8031',
      VENUE_URL_COINBASE: 'https://proxy.example:8443/',
      FEED_STALE_MS: '5000',
      FEED_STATUS_INTERVAL_MS: '1000',
    });
    expect(cfg.source).toBe('ccxt');
    expect(cfg.feedStatusIntervalMs).toBe(1000);
    expect(cfg.exchange).toBe('coinbase');
    expect(cfg.live?.staleMs).toBe(5000);
    expect(cfg.live?.exchanges).toEqual([
      { id: 'coinbase', symbolsVar: 'TRADABLE_SYMBOLS', baseUrl: 'https://proxy.example:8443', symbols: ['BTC/USD', 'BTC/USDT', 'ETH/USD'].map((s) => ({ venue: s, symbol: s })) },
      { id: 'binanceus', symbolsVar: 'SYMBOLS_BINANCEUS', baseUrl: 'http://127.0.0.1:8031', symbols: [{ venue: 'BTC/USDT', symbol: 'BTC/USDT' }, { venue: 'ETH/USDT', symbol: 'ETH/USD' }] },
      { id: 'kucoin', symbolsVar: 'TRADABLE_SYMBOLS', baseUrl: undefined, symbols: ['BTC/USD', 'BTC/USDT', 'ETH/USD'].map((s) => ({ venue: s, symbol: s })) },
    ]);
  });

  it('replay stays the default and needs none of the live variables', () => {
    const cfg = readConfig({ ...KEY, EXCHANGES: 'not-read-by-replay' });
    expect(cfg.source).toBe('replay');
    expect(cfg.live).toBeUndefined();
  });
});

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
    ['MARKET_SOURCE', { MARKET_SOURCE: 'ccxt' }],
    ['REPLAY_START', { REPLAY_START: 'yesterday' }],
    ['REPLAY_START', { REPLAY_START: '2000', REPLAY_END: '1000' }],
    ['WRITE_QUEUE_MAX', { WRITE_QUEUE_MAX: '0' }],
    ['TRADING_API_KEY', { TRADING_API_KEY: '' }],
  ])('fails fast naming %s', (name, env) => {
    expect(() => readConfig({ ...KEY, ...env })).toThrow(new RegExp(`${name}:`));
  });
});

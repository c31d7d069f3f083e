import { ConfigError, InvalidArgumentError, TradableSymbols } from '@cte/shared';
import { readConfig } from '../config';
import { DEFAULT_WIRE_LIMITS, limitsFromWire, limitsToWire, parseLimitsPatch, parseLimitValue, validateLimitSet } from '../engine/limits';
import { patchFromProto } from '../adapters/grpc';

const KEY = 'k'.repeat(32);
const TRADABLE = new TradableSymbols(['BTC/USDT', 'ETH/USDT', 'BTC/USD', 'ETH/USD'], 'TRADABLE_SYMBOLS');

describe('limit values', () => {
  it('accepts decimal strings and JSON numbers, canonicalised', () => {
    expect(parseLimitValue('max_position_pct', '5.50', TRADABLE)).toBe('5.5');
    expect(parseLimitValue('max_position_pct', 2.5, TRADABLE)).toBe('2.5');
    expect(parseLimitValue('max_order_notional', '0.000000000000000001', TRADABLE)).toBe('0.000000000000000001');
    expect(parseLimitValue('max_trades_per_day', 7, TRADABLE)).toBe('7');
    expect(parseLimitValue('max_price_age_ms', '0', TRADABLE)).toBe('0');
    expect(parseLimitValue('allowed_symbols', ['eth-usdt', 'BTC/USDT', 'ETH/USDT'], TRADABLE)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(parseLimitValue('allowed_symbols', 'BTC/USD, ETH/USD', TRADABLE)).toEqual(['BTC/USD', 'ETH/USD']);
  });

  it.each([
    ['max_position_pct', '-1'],
    ['max_position_pct', -1],
    ['max_position_pct', 'NaN'],
    ['max_position_pct', 'Infinity'],
    ['max_position_pct', '0'],
    ['max_position_pct', '101'],
    ['max_position_pct', '1e2'],
    ['max_position_pct', ''],
    ['max_position_pct', true],
    ['max_position_pct', null],
    ['max_trades_per_day', '1.5'],
    ['max_trades_per_day', '-3'],
    ['max_order_notional', '0'],
    ['min_order_notional', '-0.1'],
    ['max_daily_loss_pct', '100.0001'],
    ['max_price_age_ms', '-1'],
    ['max_order_notional', '1.0000000000000000001'],
    ['allowed_symbols', ['BTC']],
    ['allowed_symbols', 5],
  ])('rejects %s = %j naming the limit', (name, value) => {
    expect(() => parseLimitValue(name as never, value, TRADABLE)).toThrow(InvalidArgumentError);
    expect(() => parseLimitValue(name as never, value, TRADABLE)).toThrow(name);
  });

  it('refuses a well-formed symbol that is not tradable in allowed_symbols, naming it (issue 10)', () => {
    for (const raw of [['FOO/BAR'], ['BTC/USDT', 'foo-bar'], 'BTC/USD,FOO/BAR']) {
      expect(() => parseLimitValue('allowed_symbols', raw, TRADABLE)).toThrow(InvalidArgumentError);
      expect(() => parseLimitValue('allowed_symbols', raw, TRADABLE)).toThrow(/allowed_symbols: unknown symbol FOO\/BAR: tradable symbols are BTC\/USD, BTC\/USDT, ETH\/USD, ETH\/USDT/);
    }
    expect(() => parseLimitsPatch({ allowed_symbols: ['FOO/BAR'] }, TRADABLE)).toThrow(/unknown symbol FOO\/BAR/);
    expect(() => patchFromProto({ allowed_symbols: ['FOO/BAR'] }, TRADABLE)).toThrow(/unknown symbol FOO\/BAR/);
  });

  it('reads stored allowed_symbols back without the tradable set (a stored entry only narrows)', () => {
    expect(parseLimitValue('allowed_symbols', ['FOO/BAR'], undefined)).toEqual(['FOO/BAR']);
  });

  it('round-trips through the engine form', () => {
    expect(limitsToWire(limitsFromWire(DEFAULT_WIRE_LIMITS))).toEqual(DEFAULT_WIRE_LIMITS);
  });

  it('refuses a minimum notional above the maximum', () => {
    expect(() => validateLimitSet({ ...DEFAULT_WIRE_LIMITS, min_order_notional: '100', max_order_notional: '50' })).toThrow(/min_order_notional/);
  });
});

describe('PUT /limits bodies', () => {
  it('is a partial update; null resets a limit to its environment default', () => {
    expect(parseLimitsPatch({ max_position_pct: '3', max_drawdown_pct: null }, TRADABLE)).toEqual({ set: { max_position_pct: '3' }, reset: ['max_drawdown_pct'] });
  });

  it('rejects unknown keys, empty bodies and non-objects, naming them', () => {
    expect(() => parseLimitsPatch({ max_position_pct: '3', max_leverage: '2' }, TRADABLE)).toThrow(/unknown limit\(s\): max_leverage/);
    expect(() => parseLimitsPatch({}, TRADABLE)).toThrow(InvalidArgumentError);
    expect(() => parseLimitsPatch([], TRADABLE)).toThrow(InvalidArgumentError);
    expect(() => parseLimitsPatch('x', TRADABLE)).toThrow(InvalidArgumentError);
  });
});

describe('UpdateLimits messages', () => {
  it('treats empty strings as unchanged and sets allowed_symbols only when given or replaced', () => {
    expect(patchFromProto({ max_position_pct: '', max_gross_exposure_pct: '60', allowed_symbols: [] }, TRADABLE)).toEqual({ set: { max_gross_exposure_pct: '60' }, reset: [] });
    expect(patchFromProto({ allowed_symbols: [], replace_allowed_symbols: true }, TRADABLE).set).toEqual({ allowed_symbols: [] });
    expect(patchFromProto({ allowed_symbols: ['btc/usdt'] }, TRADABLE).set).toEqual({ allowed_symbols: ['BTC/USDT'] });
    expect(() => patchFromProto({ max_trades_per_day: 'ten' }, TRADABLE)).toThrow(/max_trades_per_day/);
  });
});

describe('configuration', () => {
  it('has a default for everything but the API key', () => {
    const cfg = readConfig({ TRADING_API_KEY: KEY });
    expect(cfg.envLimits).toEqual(DEFAULT_WIRE_LIMITS);
    expect(cfg).toMatchObject({ httpPort: 8027, grpcPort: 9027, portfolioGrpcAddr: '127.0.0.1:9026', exposureTtlMs: 250, eventsDurable: false, haltedAllowsReducing: true });
  });

  it('reads limits from RISK_<LIMIT>', () => {
    const cfg = readConfig({ TRADING_API_KEY: KEY, RISK_MAX_POSITION_PCT: '2', RISK_ALLOWED_SYMBOLS: 'BTC/USD,ETH/USD', RISK_MAX_PRICE_AGE_MS: '5000' });
    expect(cfg.envLimits).toMatchObject({ max_position_pct: '2', allowed_symbols: ['BTC/USD', 'ETH/USD'], max_price_age_ms: '5000' });
  });

  it('refuses RISK_ALLOWED_SYMBOLS naming a symbol outside TRADABLE_SYMBOLS', () => {
    expect(() => readConfig({ TRADING_API_KEY: KEY, RISK_ALLOWED_SYMBOLS: 'BTC/USD,FOO/BAR' })).toThrow(/RISK_ALLOWED_SYMBOLS: allowed_symbols: unknown symbol FOO\/BAR/);
    expect(readConfig({ TRADING_API_KEY: KEY, TRADABLE_SYMBOLS: 'FOO/BAR,BTC/USD', RISK_ALLOWED_SYMBOLS: 'FOO/BAR' }).envLimits.allowed_symbols).toEqual(['FOO/BAR']);
  });

  it('fails naming every bad variable', () => {
    let err: unknown;
    try {
      readConfig({ TRADING_API_KEY: KEY, RISK_MAX_POSITION_PCT: '-5', RISK_MAX_TRADES_PER_DAY: 'x', EXPOSURE_TTL_MS: 'soon', PORTFOLIO_GRPC_ADDR: 'no port' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['RISK_MAX_POSITION_PCT', 'RISK_MAX_TRADES_PER_DAY', 'EXPOSURE_TTL_MS', 'PORTFOLIO_GRPC_ADDR']) expect(msg).toContain(v);
  });
});

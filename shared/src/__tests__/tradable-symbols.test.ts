import {
  COMMON_ENV,
  ConfigError,
  DEFAULT_TRADABLE_SYMBOLS,
  EnvReader,
  InvalidArgumentError,
  readBaseConfig,
  readSymbolSubset,
  TradableSymbols,
} from '../index';

const KEY = { TRADING_API_KEY: 'k'.repeat(32) };

function thrown(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('expected InvalidArgumentError');
}

describe('TradableSymbols', () => {
  const t = new TradableSymbols(['ETH/USD', 'btc-usd'], 'TRADABLE_SYMBOLS');

  it('normalises, sorts and answers membership', () => {
    expect(t.list()).toEqual(['BTC/USD', 'ETH/USD']);
    expect(t.has('BTC/USD')).toBe(true);
    expect(t.has('btc-usd')).toBe(false);
    expect(t.require('eth_usd')).toBe('ETH/USD');
  });

  it('refuses a well-formed unknown symbol, naming it, the field and the set', () => {
    const err = thrown(() => t.require('FOO/BAR', 'allowed_symbols'));
    expect(err.message).toBe('allowed_symbols: unknown symbol FOO/BAR: tradable symbols are BTC/USD, ETH/USD (TRADABLE_SYMBOLS)');
    expect(err.details).toEqual({ field: 'allowed_symbols', symbol: 'FOO/BAR' });
    expect(thrown(() => t.check('XRP/USD')).message).toMatch(/^unknown symbol XRP\/USD/);
  });

  it('refuses a malformed symbol naming the field, with a bounded message', () => {
    expect(thrown(() => t.require('BTCUSD')).message).toMatch(/^invalid symbol/);
    expect(thrown(() => t.require('x'.repeat(100_000))).message.length).toBeLessThan(300);
    expect(thrown(() => t.require(42)).details).toEqual({ field: 'symbol' });
  });

  it('lists at most ten symbols in an error, then how many more', () => {
    const many = new TradableSymbols(Array.from({ length: 1000 }, (_, i) => `A${String(i).padStart(4, '0')}/USD`));
    const err = thrown(() => many.require('FOO/BAR'));
    expect(err.message).toContain('A0000/USD, A0001/USD');
    expect(err.message).toContain('A0009/USD and 990 more (TRADABLE_SYMBOLS)');
    expect(err.message).not.toContain('A0010/USD');
    expect(err.message.length).toBeLessThan(250);
  });

  it('cannot be empty', () => {
    expect(() => new TradableSymbols([])).toThrow(/no tradable symbols/);
  });

  it('is narrowed by a venue\'s markets (ccxt loadMarkets shape): inactive and unlisted ones drop out', () => {
    const configured = new TradableSymbols(['BTC/USD', 'ETH/USD', 'SOL/USD']);
    const { symbols, missing } = TradableSymbols.fromMarkets(
      configured,
      [{ symbol: 'BTC/USD', active: true }, { symbol: 'ETH/USD', active: false }, { symbol: 'DOGE/USD' }],
      'coinbase',
    );
    expect(symbols.list()).toEqual(['BTC/USD']);
    expect(missing).toEqual(['ETH/USD', 'SOL/USD']);
    expect(thrown(() => symbols.require('ETH/USD')).message).toContain('(TRADABLE_SYMBOLS on coinbase)');
    expect(() => TradableSymbols.fromMarkets(configured, [{ symbol: 'DOGE/USD' }], 'kraken')).toThrow(/kraken lists none of TRADABLE_SYMBOLS/);
  });
});

describe('TRADABLE_SYMBOLS configuration', () => {
  it('defaults to what the bundled replay data trades, declared once for every deployment', () => {
    const cfg = readBaseConfig(new EnvReader(KEY), 'risk');
    expect(cfg.tradableSymbols.list()).toEqual(['BTC/USD', 'ETH/USD']);
    expect(DEFAULT_TRADABLE_SYMBOLS).toEqual(['BTC/USD', 'ETH/USD']);
    expect(COMMON_ENV.TRADABLE_SYMBOLS).toBe('BTC/USD,ETH/USD');
  });

  it('reads and normalises the list', () => {
    const cfg = readBaseConfig(new EnvReader({ ...KEY, TRADABLE_SYMBOLS: ' sol-usd, BTC/USD ' }), 'execution');
    expect(cfg.tradableSymbols.list()).toEqual(['BTC/USD', 'SOL/USD']);
  });

  it.each([['BTC/USD,BTCUSD'], [','], ['BTC/USD;ETH/USD']])('fails fast on %j, naming the variable', (value) => {
    const env = new EnvReader({ ...KEY, TRADABLE_SYMBOLS: value });
    readBaseConfig(env, 'portfolio');
    expect(() => env.done()).toThrow(ConfigError);
    expect(() => env.done()).toThrow(/TRADABLE_SYMBOLS: /);
  });

  it('a service\'s own subset (SYMBOLS) must lie inside it', () => {
    const tradable = new TradableSymbols(['BTC/USD', 'ETH/USD']);
    const ok = new EnvReader({ SYMBOLS: 'eth-usd' });
    expect(readSymbolSubset(ok, 'SYMBOLS', tradable)).toEqual(['ETH/USD']);
    ok.done();
    const bad = new EnvReader({ SYMBOLS: 'ETH/USD,FOO/BAR' });
    readSymbolSubset(bad, 'SYMBOLS', tradable);
    expect(() => bad.done()).toThrow(/SYMBOLS: FOO\/BAR not tradable; tradable symbols are BTC\/USD, ETH\/USD/);
  });
});

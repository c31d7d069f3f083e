/**
 * TRADING_MODE=live configuration: it starts only with every venue's keys AND the explicit
 * acknowledgement; otherwise it fails fast naming each missing variable, and no message ever
 * quotes a credential.
 */
import { inspect } from 'node:util';
import { ConfigError } from '@cte/shared';
import { LIVE_ACK_VALUE, readConfig, Secret } from '../config';

const base = { TRADING_API_KEY: 'k'.repeat(20), TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT,BTC/USD' };
const PEM = '-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIPEMBODYPEMBODYPEMBODYPEMBODY\\n-----END EC PRIVATE KEY-----';
const KEYS = {
  BINANCEUS_API_KEY: 'binance-key-SECRET-1111',
  BINANCEUS_API_SECRET: 'binance-secret-SECRET-2222',
  COINBASE_API_KEY: 'organizations/org/apiKeys/SECRET-3333',
  COINBASE_API_SECRET: PEM,
  KUCOIN_API_KEY: 'kucoin-key-SECRET-4444',
  KUCOIN_API_SECRET: 'kucoin-secret-SECRET-5555',
  KUCOIN_API_PASSPHRASE: 'kucoin-pass-SECRET-6666',
};
const live = { ...base, TRADING_MODE: 'live', LIVE_TRADING_ACK: LIVE_ACK_VALUE, LIVE_VENUES: 'binanceus' };

function problems(env: Record<string, string>): string[] {
  try {
    readConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('TRADING_MODE=live', () => {
  it('without keys and acknowledgement: fails naming every missing variable', () => {
    const p = problems({ ...base, TRADING_MODE: 'live', LIVE_VENUES: 'binanceus,kucoin', LIVE_SYMBOLS_BINANCEUS: 'BTC/USDT', LIVE_SYMBOLS_KUCOIN: 'ETH/USDT' });
    expect(p.map((x) => x.split(':')[0]).sort()).toEqual(['BINANCEUS_API_KEY', 'BINANCEUS_API_SECRET', 'KUCOIN_API_KEY', 'KUCOIN_API_PASSPHRASE', 'KUCOIN_API_SECRET', 'LIVE_TRADING_ACK']);
    expect(p.join('\n')).toMatch(/LIVE_TRADING_ACK: is not set: TRADING_MODE=live sends real orders with real money; set LIVE_TRADING_ACK=I_UNDERSTAND_REAL_MONEY/);
    expect(p.join('\n')).toMatch(/KUCOIN_API_PASSPHRASE: is required for TRADING_MODE=live on kucoin: the API passphrase, from the environment or a Kubernetes Secret/);
  });

  it('keys without the acknowledgement (or a wrong one) are not enough', () => {
    expect(problems({ ...live, ...KEYS, LIVE_TRADING_ACK: '' })).toEqual([expect.stringMatching(/^LIVE_TRADING_ACK: is not set/)]);
    expect(problems({ ...live, ...KEYS, LIVE_TRADING_ACK: 'yes' })).toEqual([expect.stringMatching(/^LIVE_TRADING_ACK: has the wrong value/)]);
  });

  it('the acknowledgement without keys is not enough', () => {
    expect(problems(live).map((x) => x.split(':')[0])).toEqual(['BINANCEUS_API_KEY', 'BINANCEUS_API_SECRET']);
  });

  it('LIVE_VENUES is required and checked', () => {
    expect(problems({ ...live, ...KEYS, LIVE_VENUES: '' })).toEqual([expect.stringMatching(/^LIVE_VENUES: is required/)]);
    expect(problems({ ...live, ...KEYS, LIVE_VENUES: 'ftx' })).toEqual([expect.stringMatching(/^LIVE_VENUES: bad item "ftx"/)]);
  });

  it('keys and acknowledgement: one venue trades every tradable symbol; keys are Secrets', () => {
    const c = readConfig({ ...live, ...KEYS, VENUE_URL_BINANCEUS: 'http://127.0.0.1:8031' });
    expect(c.tradingMode).toBe('live');
    const v = c.live!.venues[0]!;
    expect(v).toMatchObject({ id: 'binanceus', symbols: ['BTC/USD', 'BTC/USDT', 'ETH/USDT'], baseUrl: 'http://127.0.0.1:8031' });
    expect(v.credentials.apiKey.reveal()).toBe(KEYS.BINANCEUS_API_KEY);
    expect(c.live).toMatchObject({ settleMs: 5000, maxSends: 2, maxLookups: 5, timeoutMs: 10_000 });
  });

  it('several venues: each symbol on exactly one venue, every venue names its symbols', () => {
    const env = { ...live, ...KEYS, LIVE_VENUES: 'binanceus,coinbase,kucoin' };
    expect(problems(env).map((x) => x.split(':')[0]).sort()).toEqual(['LIVE_SYMBOLS_BINANCEUS', 'LIVE_SYMBOLS_COINBASE', 'LIVE_SYMBOLS_KUCOIN']);
    expect(problems({ ...env, LIVE_SYMBOLS_BINANCEUS: 'BTC/USDT', LIVE_SYMBOLS_COINBASE: 'BTC/USD', LIVE_SYMBOLS_KUCOIN: 'BTC/USDT' })).toEqual([
      'LIVE_SYMBOLS_KUCOIN: BTC/USDT is already traded on binanceus; a symbol goes to one venue',
    ]);
    const c = readConfig({ ...env, LIVE_SYMBOLS_BINANCEUS: 'BTC/USDT', LIVE_SYMBOLS_COINBASE: 'BTC/USD', LIVE_SYMBOLS_KUCOIN: 'ETH/USDT' });
    expect(c.live!.venues.map((v) => [v.id, v.symbols])).toEqual([
      ['binanceus', ['BTC/USDT']],
      ['coinbase', ['BTC/USD']],
      ['kucoin', ['ETH/USDT']],
    ]);
    // A PEM given on one line with literal \n becomes a real PEM.
    expect(c.live!.venues[1]!.credentials.secret.reveal()).toBe(PEM.replace(/\\n/g, '\n'));
  });

  it('a symbol outside TRADABLE_SYMBOLS, a Coinbase secret that is not a PEM, and a VENUE_URL with a path are refused', () => {
    const p = problems({ ...live, ...KEYS, LIVE_VENUES: 'coinbase', LIVE_SYMBOLS_COINBASE: 'DOGE/USD', COINBASE_API_SECRET: 'plain-SECRET-7777', VENUE_URL_COINBASE: 'http://127.0.0.1:1/api' });
    expect(p.map((x) => x.split(':')[0]).sort()).toEqual(['COINBASE_API_SECRET', 'LIVE_SYMBOLS_COINBASE', 'VENUE_URL_COINBASE']);
    expect(p.join('\n')).not.toContain('plain-SECRET-7777');
  });

  it('no problem message ever quotes a credential', () => {
    const bad = { ...live, ...KEYS, LIVE_VENUES: 'binanceus,coinbase,kucoin,ftx', LIVE_TRADING_ACK: 'nope', COINBASE_API_SECRET: 'not-a-pem-SECRET-8888', VENUE_URL_KUCOIN: 'ftp://x' };
    const text = problems(bad).join('\n');
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/SECRET-\d{4}/);
  });

  it('mock mode ignores the live variables', () => {
    expect(readConfig({ ...base, LIVE_VENUES: 'ftx' }).live).toBeUndefined();
  });
});

describe('Secret', () => {
  it('never prints its value', () => {
    const s = new Secret('hunter2-SECRET');
    expect(String(s)).toBe('[redacted]');
    expect(`${s as unknown as string}`).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect({ s })).not.toContain('hunter2');
    expect(s.reveal()).toBe('hunter2-SECRET');
  });
});

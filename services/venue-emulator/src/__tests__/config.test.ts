/**
 * Configuration of the replay sources: VENUE_EMULATOR_BARS (+ _START/_END), _REBASE, _CAPTURES
 * and _SYNTHETIC_MARKETS; and the trading accounts of VENUE_EMULATOR_ACCOUNTS. Every bad value is a ConfigError naming its variable (the process
 * exits 2 with it; sandbox.int checks the exit code).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from '@cte/shared';
import { findSharedDataDir } from '@cte/testkit';
import { readConfig } from '../config';

const CSV = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const BASE = { TRADING_API_KEY: 'config-test-key-0123456789', CTE_SHARED_DATA: findSharedDataDir() };

function problems(env: Record<string, string>): string {
  try {
    readConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('replay source configuration', () => {
  it('defaults to today: captures from the start, no bars, no synthetic markets', () => {
    const cfg = readConfig(BASE);
    expect(cfg).toMatchObject({ bars: [], barsStartMs: undefined, barsEndMs: undefined, rebase: 'start', captures: true, syntheticMarkets: 0 });
  });

  it('reads bar items, the window (ISO or epoch ms), the rebase mode and the synthetic count', () => {
    const cfg = readConfig({
      ...BASE,
      VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${CSV}, kucoin:btc-usdt=${path.relative(process.cwd(), CSV)}`,
      VENUE_EMULATOR_BARS_START: '2019-10-14T00:00:00Z',
      VENUE_EMULATOR_BARS_END: '1571183999000',
      VENUE_EMULATOR_REBASE: 'end',
      VENUE_EMULATOR_CAPTURES: 'false',
      VENUE_EMULATOR_SYNTHETIC_MARKETS: '340',
    });
    expect(cfg.bars).toEqual([
      { venue: 'coinbase', symbol: 'BTC/USD', file: CSV },
      { venue: 'kucoin', symbol: 'BTC/USDT', file: CSV },
    ]);
    expect([cfg.barsStartMs, cfg.barsEndMs, cfg.rebase, cfg.captures, cfg.syntheticMarkets]).toEqual([Date.parse('2019-10-14T00:00:00Z'), 1571183999000, 'end', false, 340]);
  });

  it('needs no data folder when only bars are served', () => {
    const cfg = readConfig({ TRADING_API_KEY: BASE.TRADING_API_KEY, VENUE_EMULATOR_DATA_DIR: '/nonexistent', VENUE_EMULATOR_CAPTURES: 'false', VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${CSV}` });
    expect(cfg.captures).toBe(false);
    expect(problems({ VENUE_EMULATOR_DATA_DIR: '/nonexistent' })).toContain('VENUE_EMULATOR_DATA_DIR');
  });

  it.each([
    ['VENUE_EMULATOR_BARS', { VENUE_EMULATOR_BARS: `kraken:BTC/USD=${CSV}` }, /venue must be one of/],
    ['VENUE_EMULATOR_BARS', { VENUE_EMULATOR_BARS: `coinbase:BTC=${CSV}` }, /invalid symbol/],
    ['VENUE_EMULATOR_BARS', { VENUE_EMULATOR_BARS: 'coinbase:BTC/USD=no/such/file.csv' }, /not a readable file/],
    ['VENUE_EMULATOR_BARS', { VENUE_EMULATOR_BARS: `coinbase:BTC/USD` }, /expected venue:MARKET=path/],
    ['VENUE_EMULATOR_BARS', { VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${CSV}`, VENUE_EMULATOR_VENUES: 'kucoin' }, /missing from VENUE_EMULATOR_VENUES/],
    ['VENUE_EMULATOR_BARS_START', { VENUE_EMULATOR_BARS_START: 'yesterday' }, /epoch ms or an ISO-8601/],
    ['VENUE_EMULATOR_BARS_END', { VENUE_EMULATOR_BARS_END: '12.5' }, /epoch ms or an ISO-8601/],
    ['VENUE_EMULATOR_BARS_START', { VENUE_EMULATOR_BARS_START: '2019-10-15', VENUE_EMULATOR_BARS_END: '2019-10-14' }, /must not be after/],
    ['VENUE_EMULATOR_REBASE', { VENUE_EMULATOR_REBASE: 'middle' }, /must be one of start, end/],
    ['VENUE_EMULATOR_CAPTURES', { VENUE_EMULATOR_CAPTURES: 'maybe' }, /true or false/],
    ['VENUE_EMULATOR_CAPTURES', { VENUE_EMULATOR_CAPTURES: 'false' }, /serves nothing/],
    ['VENUE_EMULATOR_SYNTHETIC_MARKETS', { VENUE_EMULATOR_SYNTHETIC_MARKETS: '2001' }, /<= 2000/],
    ['VENUE_EMULATOR_SYNTHETIC_MARKETS', { VENUE_EMULATOR_SYNTHETIC_MARKETS: '-1' }, /integer|>= 0/],
  ])('%s: bad value %#', (name, env, why) => {
    const msg = problems(env);
    const line = msg.split('\n').find((l) => l.includes(`${name}:`)) ?? '';
    expect(line).toMatch(why);
  });
});

describe('VENUE_EMULATOR_ACCOUNTS', () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  const cdpKey = `organizations/${randomUUID()}/apiKeys/${randomUUID()}`;
  const accounts = [
    { venue: 'binanceus', api_key: 'B'.repeat(64), secret: 'S'.repeat(64), balances: { USDT: '1000' } },
    { venue: 'coinbase', api_key: cdpKey, secret: pem, balances: { EUR: 500 }, taker_fee: '0.006' },
    { venue: 'kucoin', api_key: '0123456789abcdef01234567', secret: randomUUID(), passphrase: 'pass-phrase', balances: { USDT: '10' } },
    { venue: 'kucoin', balances: {} },
  ];

  it('reads accounts of all three venues, each with its own credential format', () => {
    const cfg = readConfig({ ...BASE, VENUE_EMULATOR_ACCOUNTS: JSON.stringify(accounts) });
    expect(cfg.accounts).toEqual([
      { venue: 'binanceus', apiKey: 'B'.repeat(64), secret: 'S'.repeat(64), balances: { USDT: '1000' } },
      { venue: 'coinbase', apiKey: cdpKey, secret: pem, balances: { EUR: '500' }, takerRate: '0.006' },
      { venue: 'kucoin', apiKey: '0123456789abcdef01234567', secret: accounts[2]?.secret, passphrase: 'pass-phrase', balances: { USDT: '10' } },
      { venue: 'kucoin', balances: {} },
    ]);
  });

  it('names the account and field of a bad credential, never the secret', () => {
    const bad = problems({ VENUE_EMULATOR_ACCOUNTS: JSON.stringify([accounts[0], { ...accounts[1], secret: 'S'.repeat(64) }]) });
    expect(bad).toContain('VENUE_EMULATOR_ACCOUNTS');
    expect(bad).toContain('account 1: secret must be an EC P-256 private key in PEM');
    expect(bad).not.toContain('S'.repeat(64));
    expect(problems({ VENUE_EMULATOR_ACCOUNTS: JSON.stringify([{ venue: 'binanceus', passphrase: 'x', balances: {} }]) })).toContain('account 0: unknown field passphrase');
    expect(problems({ VENUE_EMULATOR_ACCOUNTS: JSON.stringify([accounts[2], accounts[2]]) })).toContain('two accounts have the same api_key');
  });
});

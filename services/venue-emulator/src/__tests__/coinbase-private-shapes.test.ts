/**
 * Coinbase private replies against ccxt's own fixtures (ccxt-static, read at run time): every key of
 * the fixture's raw reply is present in the emulator's with the same JSON type, ccxt's parsed result
 * has the fixture's structure, and every private URL ccxt's request fixtures call is served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSharedDataDir } from '@cte/testkit';
import type { CoinbasePrivate } from '../adapters/private/coinbase';
import { client, shapeOf, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';

interface Fixture {
  description?: string;
  method?: string;
  url?: string;
  input?: unknown[];
  httpResponse?: unknown;
  parsedResponse?: unknown;
}
type Fixtures = { methods: Record<string, Fixture[]> };

const dir = join(findSharedDataDir(), 'ccxt-static');
const responses = JSON.parse(readFileSync(join(dir, 'response', 'coinbase.json'), 'utf8')) as Fixtures;
const requests = JSON.parse(readFileSync(join(dir, 'request', 'coinbase.json'), 'utf8')) as Fixtures;

const SYMBOL = 'NMR/EUR';
let run: RunningEmulator;
let side: CoinbasePrivate;
let ex: CcxtExchange;

/** Keys of `fixture` missing from `ours` or of another JSON type (null in the fixture matches anything). */
function missing(fixture: unknown, ours: unknown, path = ''): string[] {
  if (fixture === null || typeof fixture !== 'object') {
    if (fixture === null || ours === null) return [];
    return typeof fixture === typeof ours ? [] : [`${path}: ${typeof fixture} vs ${typeof ours}`];
  }
  if (Array.isArray(fixture)) {
    if (!Array.isArray(ours)) return [`${path}: array vs ${typeof ours}`];
    return fixture.length > 0 && ours.length > 0 ? missing(fixture[0], ours[0], `${path}[0]`) : [];
  }
  if (typeof ours !== 'object' || ours === null) return [`${path}: object vs ${typeof ours}`];
  const o = ours as Record<string, unknown>;
  return Object.entries(fixture as Record<string, unknown>).flatMap(([k, v]) => (k in o ? missing(v, o[k], `${path}.${k}`) : [`${path}.${k}: absent`]));
}

function lastJson(): unknown {
  return (ex as unknown as { last_json_response: unknown }).last_json_response;
}

beforeAll(async () => {
  run = await startEmulator({ venues: ['coinbase'] });
  run.emu.step('coinbase', 3000);
  side = run.emu.coinbasePrivate as CoinbasePrivate;
  const { credentials } = side.createAccount({ balances: { EUR: '100000', NMR: '100' } });
  ex = client('coinbase', run.ports.coinbase, { ...credentials, enableLastJsonResponse: true });
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  await ex.createOrder(SYMBOL, 'market', 'buy', 50, undefined, { createMarketBuyOrderRequiresPrice: false });
  await ex.createOrder(SYMBOL, 'market', 'sell', 0.5);
});

afterAll(async () => {
  await ex?.close();
  await run?.close();
});

test.each([
  ['fetchMyTrades', () => ex.fetchMyTrades(SYMBOL)],
  ['fetchClosedOrders', () => ex.fetchClosedOrders(SYMBOL)],
])('%s: the raw reply has the fixture keys and types, the parsed one its structure', async (method, call) => {
  const fx = responses.methods[method]?.[0] as Fixture;
  const parsed = await call();
  expect(missing(fx.httpResponse, lastJson())).toEqual([]);
  const ours = shapeOf(parsed) as unknown[];
  const theirs = shapeOf(fx.parsedResponse) as unknown[];
  expect(Object.keys(ours[0] as object).sort()).toEqual(Object.keys(theirs[0] as object).sort());
});

test('fetchBalance (v2): the raw reply has the fixture keys and types', async () => {
  const fx = responses.methods['fetchBalance']?.find((f) => f.description === 'v2 balance') as Fixture;
  await ex.fetchBalance();
  expect(missing(fx.httpResponse, lastJson())).toEqual([]);
});

test('every spot private URL of the request fixtures is a private route of the emulator', () => {
  const methods = ['createOrder', 'cancelOrder', 'fetchOrder', 'fetchOpenOrders', 'fetchClosedOrders', 'fetchBalance'];
  const urls = methods.flatMap((m) => (requests.methods[m] ?? []).filter((f) => !/swap|future/i.test(f.description ?? '')).map((f) => f.url ?? ''))
    // Order preview (createOrder with `preview: true`) is not emulated.
    .filter((u) => !u.endsWith('/orders/preview'));
  expect(urls.length).toBeGreaterThan(5);
  for (const u of urls) {
    const url = new URL(u);
    const method = /orders(\/batch_cancel)?$/.test(url.pathname) ? 'POST' : 'GET';
    expect([u, side.api.isPrivate(method, url.pathname)]).toEqual([u, true]);
  }
});

/**
 * KuCoin private replies against ccxt's own fixtures (ccxt-static, read at run time): every key of
 * the fixture's raw reply is present in the emulator's with the same JSON type, ccxt's parsed result
 * has the fixture's keys, and every classic-account spot URL of ccxt's request fixtures is served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSharedDataDir } from '@cte/testkit';
import type { KucoinPrivate } from '../adapters/private/kucoin';
import { client, shapeOf, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';

interface Fixture {
  description?: string;
  url?: string;
  httpResponse?: unknown;
  parsedResponse?: unknown;
}
type Fixtures = { methods: Record<string, Fixture[]> };

const dir = join(findSharedDataDir(), 'ccxt-static');
const responses = JSON.parse(readFileSync(join(dir, 'response', 'kucoin.json'), 'utf8')) as Fixtures;
const requests = JSON.parse(readFileSync(join(dir, 'request', 'kucoin.json'), 'utf8')) as Fixtures;

const SYMBOL = 'BSV/USDT';
let run: RunningEmulator;
let side: KucoinPrivate;
let ex: CcxtExchange;
let marketOrder = '';

/** Keys of `fixture` missing from `ours` or of another JSON type (null on either side matches anything). */
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
  run = await startEmulator({ venues: ['kucoin'] });
  run.emu.step('kucoin', 3000);
  side = run.emu.kucoinPrivate as KucoinPrivate;
  const { credentials } = side.createAccount({ balances: { USDT: '100000', BCHSV: '100' } });
  ex = client('kucoin', run.ports.kucoin, { ...credentials, enableLastJsonResponse: true });
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  marketOrder = String((await ex.createOrder(SYMBOL, 'market', 'buy', 0.5)).id);
  await ex.createOrder(SYMBOL, 'limit', 'buy', 1, 100);
});

afterAll(async () => {
  await ex?.close();
  await run?.close();
});

test.each([
  ['fetchOrder', () => ex.fetchOrder(marketOrder, SYMBOL)],
  ['fetchMyTrades', () => ex.fetchMyTrades(SYMBOL)],
  ['fetchOpenOrders', () => ex.fetchOpenOrders(SYMBOL)],
  ['fetchBalance', () => ex.fetchBalance()],
])('%s: the raw reply has the fixture keys and types, the parsed one its keys', async (method, call) => {
  const fx = responses.methods[method]?.[0] as Fixture;
  const parsed: unknown = await call();
  expect(missing(fx.httpResponse, lastJson())).toEqual([]);
  const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
  const keys = (v: unknown): string[] => Object.keys((first(shapeOf(v)) ?? {})).sort();
  if (method === 'fetchBalance') expect(keys(parsed)).toEqual(expect.arrayContaining(['info', 'free', 'used', 'total']));
  else expect(keys(parsed)).toEqual(keys(fx.parsedResponse));
});

test('every classic-account spot URL of the request fixtures is a private route of the emulator', () => {
  const methods = ['createOrder', 'cancelOrder', 'fetchOrder', 'fetchOpenOrders', 'fetchClosedOrders', 'fetchMyTrades', 'fetchBalance'];
  // HF, stop-order and margin endpoints are not emulated (the account reports itself as classic).
  const urls = methods
    .flatMap((m) => (requests.methods[m] ?? []).map((f) => f.url ?? ''))
    .filter((u) => !/\/hf\/|stop-order|margin|isolated|trade_hf/.test(u));
  expect(urls.length).toBeGreaterThan(8);
  for (const u of urls) {
    const url = new URL(u);
    expect([u, ['GET', 'POST', 'DELETE'].some((m) => side.api.isPrivate(m, url.pathname))]).toEqual([u, true]);
  }
});

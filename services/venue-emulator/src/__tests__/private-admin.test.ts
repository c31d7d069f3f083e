/**
 * The private admin API over HTTP for every venue: an account created with
 * `POST /admin/venues/{venue}/accounts` trades through unmodified ccxt with the credentials of the
 * reply, `GET .../accounts/{key}` never shows a secret, bad fields are 400s naming the field, a
 * taken key is a 409, each venue's rate-limit fields, and private faults armed through
 * `POST /admin/venues/{venue}/faults` counted in the fault metric.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as ccxt from 'ccxt';
import { createHttpApp, createLogger, Readiness } from '@cte/shared';
import { mountAdminRoutes } from '../adapters/admin';
import type { VenueId } from '../engine/types';
import { client, type CcxtExchange } from './helpers/ccxt';
import { faultCount, startEmulator, type RunningEmulator } from './helpers/emulator';
import { primeBook } from './helpers/private';

const ADMIN_KEY = 'admin-key-for-private-admin-tests-0123';
let run: RunningEmulator;
let admin: string;
let closeAdmin: () => Promise<void>;
const opened: CcxtExchange[] = [];

interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

async function call(method: string, path: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method, headers: { 'x-trading-api-key': ADMIN_KEY, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${admin}${path}`, init);
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

interface VenueCase {
  venue: VenueId;
  /** ccxt symbol and the emulator's canonical one. */
  symbol: string;
  canonical: string;
  balances: Record<string, string>;
  keyRe: RegExp;
  secretRe: RegExp;
  /** A malformed credential and the field the 400 names. */
  bad: { body: Record<string, unknown>; field: string };
}

const CASES: VenueCase[] = [
  {
    venue: 'binanceus',
    symbol: 'COMP/USDT',
    canonical: 'COMP/USDT',
    balances: { USDT: '5000', COMP: '10' },
    keyRe: /^[A-Za-z0-9]{64}$/,
    secretRe: /^[A-Za-z0-9]{64}$/,
    bad: { body: { api_key: 'too-short' }, field: 'api_key' },
  },
  {
    venue: 'coinbase',
    symbol: 'NMR/EUR',
    canonical: 'NMR/EUR',
    balances: { EUR: '5000', NMR: '10' },
    keyRe: /^organizations\/[0-9a-f-]{36}\/apiKeys\/[0-9a-f-]{36}$/,
    secretRe: /^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----\n$/,
    bad: { body: { secret: '-----BEGIN EC PRIVATE KEY-----\nnot a key\n-----END EC PRIVATE KEY-----\n' }, field: 'secret' },
  },
  {
    venue: 'kucoin',
    symbol: 'BSV/USDT',
    canonical: 'BCHSV/USDT',
    balances: { USDT: '5000', BCHSV: '10' },
    keyRe: /^[0-9a-f]{24}$/,
    secretRe: /^[0-9a-f-]{36}$/,
    bad: { body: { passphrase: 'has spaces in it' }, field: 'passphrase' },
  },
];

function bestBid(c: VenueCase): number {
  return Number(run.emu.venue(c.venue)?.state.market(c.canonical)?.book.snapshot(1).bids[0]?.[0]);
}

async function connect(venue: VenueId, ccxtCreds: Record<string, unknown>): Promise<CcxtExchange> {
  const e = client(venue, run.ports[venue], ccxtCreds);
  opened.push(e);
  await e.loadHttpProxyAgent();
  await e.loadMarkets();
  return e;
}

beforeAll(async () => {
  run = await startEmulator();
  primeBook(run, 'COMP/USDT', 5);
  run.emu.step('coinbase', 3000);
  run.emu.step('kucoin', 3000);
  const http = createHttpApp({ service: 'venue-emulator', version: 'test', apiKey: ADMIN_KEY, logger: createLogger({ service: 'venue-emulator', level: 'fatal' }), registry: run.registry, readiness: new Readiness() });
  mountAdminRoutes(http.router, run.emu);
  const handle = await http.listen(0, '127.0.0.1');
  admin = `http://127.0.0.1:${handle.port}`;
  closeAdmin = () => handle.close(100);
});

afterAll(async () => {
  for (const e of opened) await e.close();
  await closeAdmin?.();
  await run?.close();
});

describe.each(CASES)('$venue accounts over the admin API', (c) => {
  let created: Record<string, unknown>;
  let creds: Record<string, unknown>;

  beforeAll(async () => {
    const r = await call('POST', `/admin/venues/${c.venue}/accounts`, { balances: c.balances, taker_fee: '0.002' });
    expect(r.status).toBe(201);
    created = r.json;
    creds = created['ccxt'] as Record<string, unknown>;
  });

  it('returns the credentials ccxt needs, in the venue format, and ccxt places an order with them', async () => {
    expect(created['api_key']).toMatch(c.keyRe);
    expect(created['secret']).toMatch(c.secretRe);
    expect(created['taker_fee']).toBe('0.002');
    const expected: Record<string, unknown> = { apiKey: created['api_key'], secret: created['secret'] };
    if (c.venue === 'kucoin') {
      expect(created['passphrase']).toMatch(/^[0-9a-f]{16}$/);
      expected['password'] = created['passphrase'];
    } else expect(created).not.toHaveProperty('passphrase');
    expect(creds).toEqual(expected);
    const ex = await connect(c.venue, creds);
    const o = await ex.createOrder(c.symbol, 'limit', 'buy', 1, Math.floor(bestBid(c) * 0.9));
    expect(o.id).toBeTruthy();
    const open = await ex.fetchOpenOrders(c.symbol);
    expect(open.map((x) => x.id)).toContain(o.id);
  });

  it('GET shows balances and the open order, never the secret', async () => {
    const r = await call('GET', `/admin/venues/${c.venue}/accounts/${encodeURIComponent(String(created['api_key']))}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ venue: c.venue, api_key: created['api_key'] });
    expect(r.json['open_orders']).toHaveLength(1);
    expect(r.json['balances']).toEqual(expect.arrayContaining([expect.objectContaining({ asset: Object.keys(c.balances)[0] })]));
    expect(r.json).not.toHaveProperty('secret');
    // A PEM's first line is its header: look for its key material.
    const secret = String(created['secret']);
    expect(r.text).not.toContain(secret.includes('\n') ? (secret.split('\n')[1] ?? secret) : secret);
    if (c.venue === 'kucoin') expect(r.text).not.toContain(String(created['passphrase']));
    expect((await call('GET', `/admin/venues/${c.venue}/accounts/nope`)).status).toBe(404);
  });

  it('a malformed field is a 400 naming it (and never echoing it); a taken api_key is a 409', async () => {
    const bad = await call('POST', `/admin/venues/${c.venue}/accounts`, { balances: {}, ...c.bad.body });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain(c.bad.field);
    expect(bad.text).not.toContain(String(Object.values(c.bad.body)[0]));
    const neg = await call('POST', `/admin/venues/${c.venue}/accounts`, { balances: { USDT: '-1' } });
    expect([neg.status, neg.text.includes('balances.USDT')]).toEqual([400, true]);
    const other = await call('POST', `/admin/venues/${c.venue}/accounts`, { balances: {}, colour: 'red' });
    expect([other.status, other.text.includes('colour')]).toEqual([400, true]);
    const dup = await call('POST', `/admin/venues/${c.venue}/accounts`, { api_key: created['api_key'], balances: {} });
    expect(dup.status).toBe(409);
  });
});

describe('venue-specific credentials and limits', () => {
  it('Coinbase takes a given key name and P-256 PEM, and refuses other key formats', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const name = `organizations/${randomUUID()}/apiKeys/${randomUUID()}`;
    const r = await call('POST', '/admin/venues/coinbase/accounts', { api_key: name, secret: pem, balances: { EUR: '100' } });
    expect(r.status).toBe(201);
    expect(r.json['ccxt']).toEqual({ apiKey: name, secret: pem });
    const ex = await connect('coinbase', r.json['ccxt'] as Record<string, unknown>);
    expect((await ex.fetchBalance({ v3: true }))['EUR']?.free).toBe(100);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const wrong = await call('POST', '/admin/venues/coinbase/accounts', { secret: p384, balances: {} });
    expect([wrong.status, wrong.text.includes('secret must be an EC P-256 private key')]).toEqual([400, true]);
    const binanceKey = await call('POST', '/admin/venues/coinbase/accounts', { api_key: 'K'.repeat(64), balances: {} });
    expect([binanceKey.status, binanceKey.text.includes('api_key must be a CDP key name')]).toEqual([400, true]);
    const pass = await call('POST', '/admin/venues/coinbase/accounts', { passphrase: 'abc', balances: {} });
    expect([pass.status, pass.text.includes('unknown field passphrase')]).toEqual([400, true]);
  });

  it('KuCoin takes a given key, secret and passphrase that ccxt then signs with', async () => {
    const body = { api_key: 'a1b2c3d4e5f6a7b8c9d0e1f2', secret: randomUUID(), passphrase: 'my-pass_phrase!', balances: { USDT: '42' } };
    const r = await call('POST', '/admin/venues/kucoin/accounts', body);
    expect(r.status).toBe(201);
    expect(r.json['ccxt']).toEqual({ apiKey: body.api_key, secret: body.secret, password: body.passphrase });
    const ex = await connect('kucoin', r.json['ccxt'] as Record<string, unknown>);
    expect((await ex.fetchBalance())['USDT']?.free).toBe(42);
  });

  it('each venue has its own rate-limit fields; an unknown one is a 400 naming it', async () => {
    expect((await call('GET', '/admin/venues/binanceus/rate-limits')).json).toMatchObject({ venue: 'binanceus', weight_per_minute: 1200, orders_per_10s: 100 });
    expect((await call('GET', '/admin/venues/coinbase/rate-limits')).json).toEqual({ venue: 'coinbase', requests_per_second: 30 });
    expect((await call('GET', '/admin/venues/kucoin/rate-limits')).json).toEqual({ venue: 'kucoin', pool_per_30s: 4000 });
    const put = await call('PUT', '/admin/venues/coinbase/rate-limits', { requests_per_second: 50 });
    expect(put.json).toEqual({ venue: 'coinbase', requests_per_second: 50 });
    expect(run.emu.coinbasePrivate?.api.limiter.limit).toBe(50);
    const kc = await call('PUT', '/admin/venues/kucoin/rate-limits', { pool_per_30s: 5000 });
    expect(kc.json).toEqual({ venue: 'kucoin', pool_per_30s: 5000 });
    const wrong = await call('PUT', '/admin/venues/kucoin/rate-limits', { weight_per_minute: 10 });
    expect([wrong.status, wrong.text.includes('unknown field weight_per_minute')]).toEqual([400, true]);
    const range = await call('PUT', '/admin/venues/coinbase/rate-limits', { requests_per_second: 0 });
    expect([range.status, range.text.includes('requests_per_second must be an integer')]).toEqual([400, true]);
    await call('PUT', '/admin/venues/coinbase/rate-limits', { requests_per_second: 30 });
    await call('PUT', '/admin/venues/kucoin/rate-limits', { pool_per_30s: 4000 });
  });
});

describe('private faults armed over the admin API', () => {
  async function account(venue: VenueId, balances: Record<string, string>): Promise<CcxtExchange> {
    const r = await call('POST', `/admin/venues/${venue}/accounts`, { balances });
    return connect(venue, r.json['ccxt'] as Record<string, unknown>);
  }

  it('Coinbase: order_5xx_after_accept answers 503 (ExchangeNotAvailable), counted; the order exists', async () => {
    const c = CASES[1] as VenueCase;
    const ex = await account('coinbase', c.balances);
    const before = await faultCount(run.registry, 'coinbase', 'order_5xx_after_accept');
    const armed = await call('POST', '/admin/venues/coinbase/faults', { fault: 'order_5xx_after_accept', status: 503 });
    expect([armed.status, armed.json['affected']]).toEqual([202, 1]);
    await expect(ex.createOrder(c.symbol, 'limit', 'buy', 1, Math.floor(bestBid(c) * 0.9), { client_order_id: 'admin-5xx' })).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(await faultCount(run.registry, 'coinbase', 'order_5xx_after_accept')).toBe(before + 1);
    expect((await ex.fetchOpenOrders(c.symbol)).map((o) => o.clientOrderId)).toContain('admin-5xx');
  });

  it('KuCoin: order_lost_ack drops the connection (NetworkError), counted; the order exists', async () => {
    const c = CASES[2] as VenueCase;
    const ex = await account('kucoin', c.balances);
    const before = await faultCount(run.registry, 'kucoin', 'order_lost_ack');
    const armed = await call('POST', '/admin/venues/kucoin/faults', { fault: 'order_lost_ack' });
    expect([armed.status, armed.json['affected']]).toEqual([202, 1]);
    await expect(ex.createOrder(c.symbol, 'limit', 'buy', 1, Math.floor(bestBid(c) * 0.9), { clientOrderId: 'admin-lost' })).rejects.toBeInstanceOf(ccxt.NetworkError);
    expect(await faultCount(run.registry, 'kucoin', 'order_lost_ack')).toBe(before + 1);
    expect((await ex.fetchOpenOrders(c.symbol)).map((o) => o.clientOrderId)).toContain('admin-lost');
  });
});

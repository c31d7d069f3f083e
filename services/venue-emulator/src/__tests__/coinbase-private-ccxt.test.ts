/**
 * Coinbase Advanced Trade private side through unmodified ccxt.pro (CDP key name + EC PEM): orders,
 * fills, balances, the `user` channel, JWT failures, refusals, idempotent client order ids, the
 * request limit and the order/user-stream faults as a client sees them.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as ccxt from 'ccxt';
import { SignJWT } from 'jose';
import type { CoinbasePrivate } from '../adapters/private/coinbase';
import { client, type CcxtExchange } from './helpers/ccxt';
import { faultCount, startEmulator, type RunningEmulator } from './helpers/emulator';
import { until } from './helpers/private';

const SYMBOL = 'NMR/EUR';
const UNLIMITED = 1_000_000;
let run: RunningEmulator;
let side: CoinbasePrivate;
let ex: CcxtExchange;
let creds: { apiKey: string; secret: string };

function newCreds(balances: Record<string, string> = { EUR: '100000', NMR: '100' }): { apiKey: string; secret: string } {
  const { credentials } = side.createAccount({ balances });
  return { apiKey: credentials.apiKey, secret: credentials.secret };
}

async function connect(c: { apiKey: string; secret: string }): Promise<CcxtExchange> {
  const e = client('coinbase', run.ports.coinbase, { apiKey: c.apiKey, secret: c.secret });
  await e.loadHttpProxyAgent();
  await e.loadMarkets();
  return e;
}

function best(): { bid: number; ask: number } {
  const s = run.emu.venue('coinbase')?.state.market(SYMBOL)?.book.snapshot(1);
  return { bid: Number(s?.bids[0]?.[0]), ask: Number(s?.asks[0]?.[0]) };
}

/** A JWT as a CDP client builds it, with parts overridable. */
async function jwt(c: { apiKey: string; secret: string }, o: { uri?: string; nbf?: number; exp?: number; iss?: string; signWith?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { sub: c.apiKey, iss: o.iss ?? 'cdp', nbf: o.nbf ?? now, exp: o.exp ?? now + 120 };
  if (o.uri !== undefined) claims['uri'] = o.uri;
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: c.apiKey, nonce: randomBytes(16).toString('hex') }).sign(createPrivateKey(o.signWith ?? c.secret));
}

async function raw(path: string, token: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${run.ports.coinbase}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  run = await startEmulator({ venues: ['coinbase'] });
  run.emu.step('coinbase', 3000);
  const s = run.emu.coinbasePrivate;
  if (!s) throw new Error('coinbase has no private side');
  side = s;
  // Coinbase's 30 per second per key counts wall-clock seconds: the tests' one client would pass it
  // now and then. The limit test below lowers it on purpose.
  side.setLimits({ requests_per_second: UNLIMITED });
  creds = newCreds();
  ex = await connect(creds);
});

afterAll(async () => {
  await ex?.close();
  await run?.close();
});

test('fetchBalance (v2 and v3 accounts) shows the funded balances', async () => {
  const v2 = await ex.fetchBalance();
  expect(v2['EUR']?.total).toBe(100000);
  const v3 = await ex.fetchBalance({ v3: true });
  expect(v3['EUR']).toEqual({ free: 100000, used: 0, total: 100000 });
  expect(v3['NMR']?.free).toBe(100);
});

test('a resting limit order: create, fetchOrder, fetchOpenOrders, cancel, fetchOrder again', async () => {
  const price = Math.floor(best().bid * 0.9);
  const o = await ex.createOrder(SYMBOL, 'limit', 'buy', 1, price);
  expect(o.id).toMatch(/^[0-9a-f-]{36}$/);
  const f = await ex.fetchOrder(String(o.id), SYMBOL);
  expect(f).toMatchObject({ id: String(o.id), status: 'open', type: 'limit', side: 'buy', price, amount: 1, filled: 0 });
  const open = await ex.fetchOpenOrders(SYMBOL);
  expect(open.map((x) => x.id)).toContain(o.id);
  const bal = await ex.fetchBalance({ v3: true });
  // The hold includes the fee (charged in quote) at the account's rate, 0.1 %.
  expect(bal['EUR']?.used).toBeCloseTo(price * 1.001, 8);
  await ex.cancelOrder(String(o.id), SYMBOL);
  expect((await ex.fetchOrder(String(o.id), SYMBOL)).status).toBe('canceled');
  expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).not.toContain(o.id);
});

test('a market buy by cost fills against the book: fetchOrder, fetchClosedOrders, fetchMyTrades', async () => {
  const o = await ex.createOrder(SYMBOL, 'market', 'buy', 100, undefined, { createMarketBuyOrderRequiresPrice: false });
  const f = await ex.fetchOrder(String(o.id), SYMBOL);
  expect(f.status).toBe('closed');
  expect(f.filled).toBeGreaterThan(0);
  expect(f.cost).toBeGreaterThan(99);
  expect((await ex.fetchClosedOrders(SYMBOL)).map((x) => x.id)).toContain(o.id);
  const trades = await ex.fetchMyTrades(SYMBOL);
  const mine = trades.filter((t) => t.order === o.id);
  expect(mine.length).toBeGreaterThan(0);
  expect(mine[0]).toMatchObject({ symbol: SYMBOL, side: 'buy', takerOrMaker: 'taker' });
  expect(mine[0]?.fee?.currency).toBe('EUR');
});

test('watchOrders: the snapshot, then the fill of a crossing limit sell', async () => {
  const e = await connect(newCreds());
  try {
    // watchOrders(symbol) resolves on the first update of that market (the snapshot is empty).
    const seen = e.watchOrders(SYMBOL);
    await until(() => side.subscribed > 0, 3000, 'the user subscription');
    const price = Math.floor(best().bid * 0.95);
    const o = await e.createOrder(SYMBOL, 'limit', 'sell', 0.5, price);
    let orders = await seen;
    while (!orders.some((x) => x.id === String(o.id) && x.status === 'closed')) orders = await e.watchOrders(SYMBOL);
    const filled = orders.filter((x) => x.id === o.id).pop();
    expect(filled?.filled).toBe(0.5);
  } finally {
    await e.close();
  }
});

describe('authentication', () => {
  test('a JWT signed with another key is a 401 "Unauthorized" that ccxt reports as AuthenticationError', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const e = client('coinbase', run.ports.coinbase, { apiKey: creds.apiKey, secret: other });
    await e.loadHttpProxyAgent();
    await expect(e.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
    await e.close();
  });

  test('expired, not-yet-valid, too long-lived, wrong issuer and wrong uri are refused; the right one passes', async () => {
    const path = '/api/v3/brokerage/accounts';
    const now = Math.floor(Date.now() / 1000);
    const good = await raw(path, await jwt(creds, { uri: `GET api.coinbase.com${path}` }));
    expect(good.status).toBe(200);
    const bad = [
      await jwt(creds, { uri: `GET api.coinbase.com${path}`, nbf: now - 300, exp: now - 180 }),
      await jwt(creds, { uri: `GET api.coinbase.com${path}`, nbf: now + 60, exp: now + 180 }),
      await jwt(creds, { uri: `GET api.coinbase.com${path}`, nbf: now, exp: now + 600 }),
      await jwt(creds, { uri: `GET api.coinbase.com${path}`, iss: 'someone' }),
      await jwt(creds, { uri: `GET api.coinbase.com/api/v3/brokerage/orders/historical/batch` }),
      await jwt(creds, { uri: `POST api.coinbase.com${path}` }),
      await jwt(creds, { uri: `GET api.example.com${path}` }),
      await jwt(creds),
    ];
    for (const t of bad) expect(await raw(path, t)).toEqual({ status: 401, text: 'Unauthorized\n' });
    expect((await fetch(`http://127.0.0.1:${run.ports.coinbase}${path}`)).status).toBe(401);
  });

  test('the user channel refuses a bad JWT', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const e = client('coinbase', run.ports.coinbase, { apiKey: creds.apiKey, secret: other });
    await e.loadHttpProxyAgent();
    await e.loadMarkets().catch(() => undefined);
    e.markets = ex.markets;
    e.markets_by_id = ex.markets_by_id;
    await expect(e.watchOrders(SYMBOL)).rejects.toThrow(/authentication failure/);
    await e.close();
  });
});

describe('refusals', () => {
  test('insufficient funds is InsufficientFunds; a size below the minimum value is refused with its preview reason', async () => {
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 10_000, Math.floor(best().bid * 0.9))).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    const small = ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, Math.floor(best().bid * 0.9));
    await expect(small).rejects.toBeInstanceOf(ccxt.ExchangeError);
    await expect(small).rejects.toThrow(/PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL/);
  });

  test('a repeated client_order_id answers the existing order instead of creating one', async () => {
    const price = Math.floor(best().bid * 0.9);
    const a = await ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { client_order_id: 'dup-1' });
    const b = await ex.createOrder(SYMBOL, 'limit', 'buy', 2, price, { client_order_id: 'dup-1' });
    expect(b.id).toBe(a.id);
    expect((await ex.fetchOpenOrders(SYMBOL)).filter((o) => o.clientOrderId === 'dup-1')).toHaveLength(1);
    await ex.cancelOrder(String(a.id), SYMBOL);
  });

  test('more than the per-key requests per second is a 429 ccxt reports as RateLimitExceeded', async () => {
    side.api.limiter.limit = 3;
    try {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => ex.fetchBalance({ v3: true })));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect((r).reason).toBeInstanceOf(ccxt.RateLimitExceeded);
    } finally {
      side.setLimits({ requests_per_second: UNLIMITED });
    }
  });
});

describe('faults', () => {
  const arm = (kind: 'order_lost_ack' | 'order_timeout' | 'order_5xx_after_accept' | 'user_stream_drop' | 'fill_duplicate' | 'fill_out_of_order', delayMs = 10_000, status = 503): void =>
    run.emu.faults.armPrivate('coinbase', { kind, delayMs, status }, 1);

  test('order_lost_ack: the connection drops, the order exists anyway', async () => {
    const before = await faultCount(run.registry, 'coinbase', 'order_lost_ack');
    arm('order_lost_ack');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 1, Math.floor(best().bid * 0.9), { client_order_id: 'lost-1' })).rejects.toBeInstanceOf(ccxt.NetworkError);
    expect(await faultCount(run.registry, 'coinbase', 'order_lost_ack')).toBe(before + 1);
    const open = await ex.fetchOpenOrders(SYMBOL);
    const lost = open.find((o) => o.clientOrderId === 'lost-1');
    expect(lost).toBeDefined();
    await ex.cancelOrder(lost?.id ?? '', SYMBOL);
  });

  test('order_5xx_after_accept and order_timeout: the client sees an error or a timeout, the order exists', async () => {
    arm('order_5xx_after_accept');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 1, Math.floor(best().bid * 0.9), { client_order_id: 'five-1' })).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(await faultCount(run.registry, 'coinbase', 'order_5xx_after_accept')).toBe(1);
    const e = client('coinbase', run.ports.coinbase, { apiKey: creds.apiKey, secret: creds.secret, timeout: 300 });
    await e.loadHttpProxyAgent();
    e.markets = ex.markets;
    e.markets_by_id = ex.markets_by_id;
    arm('order_timeout', 2000);
    await expect(e.createOrder(SYMBOL, 'limit', 'buy', 1, Math.floor(best().bid * 0.9), { client_order_id: 'slow-1' })).rejects.toBeInstanceOf(ccxt.RequestTimeout);
    expect(await faultCount(run.registry, 'coinbase', 'order_timeout')).toBe(1);
    const ids = (await ex.fetchOpenOrders(SYMBOL)).filter((o) => o.clientOrderId === 'five-1' || o.clientOrderId === 'slow-1');
    expect(ids).toHaveLength(2);
    for (const o of ids) await ex.cancelOrder(String(o.id), SYMBOL);
    await e.close();
  });

  test('user_stream_drop, fill_duplicate and fill_out_of_order on the user channel', async () => {
    const raws: string[] = [];
    const e = await connect(newCreds());
    try {
      void e.watchOrders(SYMBOL).catch(() => undefined);
      await until(() => side.subscribed > 0, 3000, 'the user subscription');
      const wsClient = Object.values(e.clients)[0] as { connection: { on: (ev: string, f: (d: unknown) => void) => void } };
      wsClient.connection.on('message', (d: unknown) => raws.push(String(d)));
      arm('fill_duplicate');
      const o1 = await e.createOrder(SYMBOL, 'limit', 'sell', 0.2, Math.floor(best().bid * 0.95));
      await until(() => raws.filter((r) => r.includes(String(o1.id)) && r.includes('"FILLED"')).length >= 2, 3000, 'a duplicated fill');
      expect(await faultCount(run.registry, 'coinbase', 'fill_duplicate')).toBe(1);

      arm('fill_out_of_order');
      // More than the best bid holds: the market sell fills on two levels, and the first fill comes after the second.
      const top = run.emu.venue('coinbase')?.state.market(SYMBOL)?.book.snapshot(2);
      const amount = Number(top?.bids[0]?.[1]) + Math.min(Number(top?.bids[1]?.[1]), 1);
      const o2 = await e.createOrder(SYMBOL, 'market', 'sell', amount);
      const cum = (): number[] => raws.filter((r) => r.includes(String(o2.id))).map((r) => Number((JSON.parse(r) as { events: { orders: { cumulative_quantity: string }[] }[] }).events[0]?.orders[0]?.cumulative_quantity));
      await until(() => cum().length >= 3, 3000, 'the market order events');
      expect(await faultCount(run.registry, 'coinbase', 'fill_out_of_order')).toBe(1);
      expect(cum().some((c, i, all) => i > 0 && c < (all[i - 1] ?? 0))).toBe(true);

      arm('user_stream_drop');
      await e.createOrder(SYMBOL, 'limit', 'sell', 0.2, Math.floor(best().bid * 0.95));
      await until(async () => (await faultCount(run.registry, 'coinbase', 'user_stream_drop')) === 1, 3000, 'the drop');
      await until(() => side.subscribed === 0, 3000, 'the user subscription to end');
    } finally {
      await e.close();
    }
  });
});

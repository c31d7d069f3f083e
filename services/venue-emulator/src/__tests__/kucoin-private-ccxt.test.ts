/**
 * KuCoin private side through unmodified ccxt.pro (apiKey, secret, password): orders, fills,
 * balances, watchOrders over the private bullet token, signature/passphrase/timestamp failures,
 * refusals, duplicate clientOid, the resource pool and the order/user-stream faults.
 */
import { createHmac } from 'node:crypto';
import * as ccxt from 'ccxt';
import type { KucoinPrivate } from '../adapters/private/kucoin';
import { client, type CcxtExchange } from './helpers/ccxt';
import { faultCount, startEmulator, type RunningEmulator } from './helpers/emulator';
import { until } from './helpers/private';

/** ccxt calls KuCoin's BCHSV by its common code BSV. */
const SYMBOL = 'BSV/USDT';
const VENUE_SYMBOL = 'BCHSV/USDT';
let run: RunningEmulator;
let side: KucoinPrivate;
let ex: CcxtExchange;
let creds: { apiKey: string; secret: string; password: string };

function newCreds(balances: Record<string, string> = { USDT: '100000', BCHSV: '100' }): { apiKey: string; secret: string; password: string } {
  const { credentials } = side.createAccount({ balances });
  return { apiKey: credentials.apiKey, secret: credentials.secret, password: credentials.password ?? '' };
}

async function connect(c: { apiKey: string; secret: string; password: string }, options: Record<string, unknown> = {}): Promise<CcxtExchange> {
  const e = client('kucoin', run.ports.kucoin, { ...c, ...options });
  await e.loadHttpProxyAgent();
  await e.loadMarkets();
  return e;
}

function best(): { bid: number; ask: number } {
  const s = run.emu.venue('kucoin')?.state.market(VENUE_SYMBOL)?.book.snapshot(1);
  return { bid: Number(s?.bids[0]?.[0]), ask: Number(s?.asks[0]?.[0]) };
}

const b64 = (secret: string, payload: string): string => createHmac('sha256', secret).update(payload).digest('base64');

/** A signed KuCoin request with parts overridable. */
async function signed(path: string, o: { secret?: string; passphrase?: string; ts?: number; key?: string } = {}): Promise<{ status: number; body: unknown }> {
  const ts = String(o.ts ?? Date.now());
  const secret = o.secret ?? creds.secret;
  const headers = {
    'KC-API-KEY': o.key ?? creds.apiKey,
    'KC-API-SIGN': b64(secret, `${ts}GET${path}`),
    'KC-API-TIMESTAMP': ts,
    'KC-API-PASSPHRASE': b64(secret, o.passphrase ?? creds.password),
    'KC-API-KEY-VERSION': '2',
  };
  const res = await fetch(`http://127.0.0.1:${run.ports.kucoin}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  run = await startEmulator({ venues: ['kucoin'] });
  run.emu.step('kucoin', 3000);
  const s = run.emu.kucoinPrivate;
  if (!s) throw new Error('kucoin has no private side');
  side = s;
  creds = newCreds();
  ex = await connect(creds);
});

afterAll(async () => {
  await ex?.close();
  await run?.close();
});

test('fetchBalance shows the funded trade account', async () => {
  const b = await ex.fetchBalance();
  expect(b['USDT']).toEqual({ free: 100000, used: 0, total: 100000 });
  expect(b['BSV']?.free).toBe(100);
});

test('a resting limit order: create, fetchOrder (by id and clientOid), fetchOpenOrders, cancel', async () => {
  const price = Math.floor(best().bid * 0.9);
  const o = await ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-rest-1' });
  expect(o.id).toMatch(/^[0-9a-f]{24}$/);
  expect(await ex.fetchOrder(String(o.id), SYMBOL)).toMatchObject({ id: o.id, clientOrderId: 'kc-rest-1', status: 'open', type: 'limit', side: 'buy', price, amount: 1, filled: 0 });
  expect((await ex.fetchOrder('', SYMBOL, { clientOid: 'kc-rest-1' })).id).toBe(o.id);
  expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).toContain(o.id);
  expect((await ex.fetchBalance())['USDT']?.used).toBe(price);
  await ex.cancelOrder(String(o.id), SYMBOL);
  expect((await ex.fetchOrder(String(o.id), SYMBOL)).status).toBe('canceled');
  expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).not.toContain(o.id);
});

test('a market buy fills against the book: fetchOrder, fetchClosedOrders, fetchMyTrades', async () => {
  const o = await ex.createOrder(SYMBOL, 'market', 'buy', 0.5);
  const f = await ex.fetchOrder(String(o.id), SYMBOL);
  expect(f.status).toBe('closed');
  expect(f.filled).toBe(0.5);
  expect((await ex.fetchClosedOrders(SYMBOL)).map((x) => x.id)).toContain(o.id);
  const mine = (await ex.fetchMyTrades(SYMBOL)).filter((t) => t.order === o.id);
  expect(mine.length).toBeGreaterThan(0);
  expect(mine[0]).toMatchObject({ symbol: SYMBOL, side: 'buy', takerOrMaker: 'taker' });
});

test('watchOrders receives open and filled events over the private bullet token', async () => {
  const e = await connect(newCreds());
  try {
    const seen = e.watchOrders(SYMBOL);
    await until(() => side.subscribed > 0, 5000, 'the private subscription');
    const o = await e.createOrder(SYMBOL, 'limit', 'sell', 0.2, Math.floor(best().bid * 0.95));
    let orders = await seen;
    while (!orders.some((x) => x.id === o.id && x.status === 'closed')) orders = await e.watchOrders(SYMBOL);
    expect(orders.filter((x) => x.id === o.id).pop()?.filled).toBe(0.2);
  } finally {
    await e.close();
  }
});

test('watchBalance follows /account/balance as an order holds funds', async () => {
  const e = await connect(newCreds());
  try {
    const seen = e.watchBalance();
    await until(() => side.subscribed > 0, 5000, 'the balance subscription');
    const price = Math.floor(best().bid * 0.9);
    const o = await e.createOrder(SYMBOL, 'limit', 'buy', 2, price);
    let b = await seen;
    while (b['USDT']?.used !== price * 2) b = await e.watchBalance();
    expect(b['USDT']).toMatchObject({ free: 100000 - price * 2, used: price * 2, total: 100000 });
    await e.cancelOrder(String(o.id), SYMBOL);
  } finally {
    await e.close();
  }
});

describe('authentication', () => {
  test('bad secret, bad passphrase, unknown key and stale timestamp give the real codes; ccxt reports AuthenticationError', async () => {
    expect(await signed('/api/v1/accounts')).toMatchObject({ status: 200, body: { code: '200000' } });
    expect(await signed('/api/v1/accounts', { secret: 'not-the-secret' })).toMatchObject({ status: 401, body: { code: '400004' } });
    expect(await signed('/api/v1/accounts', { passphrase: 'wrong' })).toMatchObject({ status: 401, body: { code: '400004', msg: 'Invalid KC-API-PASSPHRASE' } });
    expect(await signed('/api/v1/accounts', { key: 'ffffffffffffffffffffffff' })).toMatchObject({ status: 401, body: { code: '400003' } });
    expect(await signed('/api/v1/accounts', { ts: Date.now() - 60_000 })).toMatchObject({ status: 401, body: { code: '400002' } });
    const wrongSecret = client('kucoin', run.ports.kucoin, { ...creds, secret: 'not-the-secret' });
    wrongSecret.markets = ex.markets;
    wrongSecret.markets_by_id = ex.markets_by_id;
    await expect(wrongSecret.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
    const wrongPass = client('kucoin', run.ports.kucoin, { ...creds, password: 'wrong' });
    wrongPass.markets = ex.markets;
    wrongPass.markets_by_id = ex.markets_by_id;
    await expect(wrongPass.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  test('a signature over another body is 400005 Invalid KC-API-SIGN', async () => {
    const ts = String(Date.now());
    const body = JSON.stringify({ clientOid: 'sig-1', side: 'buy', symbol: 'BCHSV-USDT', type: 'limit', size: '1', price: '1' });
    const res = await fetch(`http://127.0.0.1:${run.ports.kucoin}/api/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'KC-API-KEY': creds.apiKey, 'KC-API-SIGN': b64(creds.secret, `${ts}POST/api/v1/orders{}`), 'KC-API-TIMESTAMP': ts, 'KC-API-PASSPHRASE': b64(creds.secret, creds.password), 'KC-API-KEY-VERSION': '2' },
      body,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: '400005', msg: 'Invalid KC-API-SIGN' });
  });
});

describe('refusals', () => {
  test('insufficient balance is 200004 (InsufficientFunds); a size below the minimum is InvalidOrder', async () => {
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 10_000, Math.floor(best().bid * 0.9))).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.000001, Math.floor(best().bid * 0.9))).rejects.toBeInstanceOf(ccxt.InvalidOrder);
  });

  test('a duplicate clientOid is refused', async () => {
    const price = Math.floor(best().bid * 0.9);
    const a = await ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-dup-1' });
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-dup-1' })).rejects.toThrow(/clientOid is duplicated/);
    await ex.cancelOrder(String(a.id), SYMBOL);
  });

  test('an exhausted resource pool is 429 with code 429000', async () => {
    side.api.limiter.limit = 12;
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => ex.fetchBalance()));
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(String(r.reason)).toMatch(/429000/);
    } finally {
      side.api.limiter.limit = 4000;
      side.api.limiter.reset();
    }
  });
});

describe('faults', () => {
  const arm = (kind: 'order_lost_ack' | 'order_timeout' | 'order_5xx_after_accept' | 'user_stream_drop' | 'fill_duplicate' | 'fill_out_of_order', delayMs = 10_000): void =>
    run.emu.faults.armPrivate('kucoin', { kind, delayMs, status: 503 }, 1);

  test('order_lost_ack, order_5xx_after_accept, order_timeout: the client errs, the order exists', async () => {
    const price = Math.floor(best().bid * 0.9);
    arm('order_lost_ack');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-lost' })).rejects.toBeInstanceOf(ccxt.NetworkError);
    arm('order_5xx_after_accept');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-5xx' })).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    const e = client('kucoin', run.ports.kucoin, { ...creds, timeout: 300 });
    e.markets = ex.markets;
    e.markets_by_id = ex.markets_by_id;
    e.options['hf'] = false;
    e.options['uta'] = false;
    arm('order_timeout', 2000);
    await expect(e.createOrder(SYMBOL, 'limit', 'buy', 1, price, { clientOrderId: 'kc-slow' })).rejects.toBeInstanceOf(ccxt.RequestTimeout);
    for (const f of ['order_lost_ack', 'order_5xx_after_accept', 'order_timeout']) expect(await faultCount(run.registry, 'kucoin', f)).toBe(1);
    const open = (await ex.fetchOpenOrders(SYMBOL)).filter((o) => ['kc-lost', 'kc-5xx', 'kc-slow'].includes(o.clientOrderId ?? ''));
    expect(open).toHaveLength(3);
    for (const o of open) await ex.cancelOrder(String(o.id), SYMBOL);
  });

  test('fill_duplicate, fill_out_of_order and user_stream_drop on /spotMarket/tradeOrders', async () => {
    const e = await connect(newCreds());
    const raws: string[] = [];
    try {
      void e.watchOrders(SYMBOL).catch(() => undefined);
      await until(() => side.subscribed > 0, 5000, 'the private subscription');
      const wsClient = Object.values(e.clients).find((c) => String((c as { url: string }).url).includes('kcpriv-')) as { connection: { on: (ev: string, f: (d: unknown) => void) => void } };
      wsClient.connection.on('message', (d: unknown) => raws.push(String(d)));
      arm('fill_duplicate');
      const o1 = await e.createOrder(SYMBOL, 'limit', 'sell', 0.1, Math.floor(best().bid * 0.95));
      await until(() => raws.filter((r) => r.includes(String(o1.id)) && r.includes('"filled"')).length >= 2, 3000, 'a duplicated fill');
      arm('fill_out_of_order');
      // More than the best bid holds: the market sell fills on two levels, and the first fill comes after the second.
      const top = run.emu.venue('kucoin')?.state.market(VENUE_SYMBOL)?.book.snapshot(2);
      const amount = Number(top?.bids[0]?.[1]) + Math.min(Number(top?.bids[1]?.[1]), 1);
      const o2 = await e.createOrder(SYMBOL, 'market', 'sell', amount);
      const filled = (): number[] => raws.filter((r) => r.includes(String(o2.id))).map((r) => Number((JSON.parse(r) as { data: { filledSize: string } }).data.filledSize));
      await until(() => filled().length >= 3, 3000, 'the market order events');
      expect(filled().some((c, i, all) => i > 0 && c < (all[i - 1] ?? 0))).toBe(true);
      arm('user_stream_drop');
      await e.createOrder(SYMBOL, 'limit', 'sell', 0.1, Math.floor(best().bid * 0.95));
      await until(() => side.connections === 0, 3000, 'the private socket to drop');
      for (const f of ['fill_duplicate', 'fill_out_of_order', 'user_stream_drop']) expect(await faultCount(run.registry, 'kucoin', f)).toBe(1);
    } finally {
      await e.close();
    }
  });
});

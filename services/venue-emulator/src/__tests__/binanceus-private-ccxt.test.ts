/**
 * The Binance.US private side through unmodified ccxt.pro binanceus with an API key and secret,
 * pointed only at 127.0.0.1: orders against the replayed book, lookups, cancels, balances and
 * trades, the user-data stream (ccxt's WebSocket API subscription, and a raw listen-key stream),
 * Binance's real error bodies mapped by ccxt to its exceptions, request weight with 429 then 418,
 * and ccxt's private request fixtures.
 */
import fs from 'node:fs';
import * as ccxt from 'ccxt';
import { createHttpApp, createLogger, Readiness } from '@cte/shared';
import { sharedData } from '@cte/testkit';
import { mountAdminRoutes } from '../adapters/admin';
import type { CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { pumpUntil } from './helpers/pump';
import { keyed, newAccount, primeBook, privateClient, privateSide, signed, until, type Creds } from './helpers/private';
import { RawClients } from './helpers/raw-ws';

const SYMBOL = 'COMP/USDT';
const ADMIN_KEY = 'admin-key-for-tests-0123456789';
let run: RunningEmulator;
let creds: Creds;
let ex: CcxtExchange;
const raws = new RawClients();
const opened: CcxtExchange[] = [];

async function open(c: Creds, options: Record<string, unknown> = {}): Promise<CcxtExchange> {
  const e = await privateClient(run, c, options);
  opened.push(e);
  return e;
}

function best(): { bid: number; ask: number } {
  const b = run.emu.venue('binanceus')?.state.market(SYMBOL)?.book.best();
  return { bid: Number(b?.bid?.[0]), ask: Number(b?.ask?.[0]) };
}

beforeAll(async () => {
  run = await startEmulator({ venues: ['binanceus'] });
  primeBook(run, SYMBOL, 5);
  creds = newAccount(run);
  ex = await open(creds);
});

afterAll(async () => {
  raws.closeAll();
  for (const e of opened) await e.close();
  await run.close();
});

describe('orders through ccxt', () => {
  it('a resting limit order: create, fetch by id and client id, list open, cancel, list all', async () => {
    const price = Number(ex.priceToPrecision(SYMBOL, best().bid * 0.9));
    const o = await ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'resting-1' });
    expect(o).toMatchObject({ status: 'open', symbol: SYMBOL, type: 'limit', side: 'buy', amount: 0.1, price, filled: 0, clientOrderId: 'resting-1' });
    expect(ex.last_request_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/order$/);

    const byId = await ex.fetchOrder(String(o.id), SYMBOL);
    expect(byId).toMatchObject({ id: o.id, status: 'open', clientOrderId: 'resting-1', remaining: 0.1 });
    const byClientId = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'resting-1' });
    expect(byClientId.id).toBe(o.id);
    expect(ex.last_request_url).toContain('origClientOrderId=resting-1');

    expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).toContain(o.id);
    const bal = await ex.fetchBalance();
    expect(bal['USDT']?.used).toBeCloseTo(0.1 * price, 6);

    const canceled = await ex.cancelOrder(String(o.id), SYMBOL);
    expect(canceled).toMatchObject({ id: o.id, status: 'canceled' });
    expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).not.toContain(o.id);
    expect((await ex.fetchOrders(SYMBOL)).find((x) => x.id === o.id)?.status).toBe('canceled');
    expect((await ex.fetchBalance())['USDT']?.used).toBe(0);
  });

  it('a market buy fills against the replayed asks, with the fee in base, trades and balances', async () => {
    const before = await ex.fetchBalance();
    const ask = best().ask;
    const o = await ex.createOrder(SYMBOL, 'market', 'buy', 0.05);
    expect(o).toMatchObject({ status: 'closed', filled: 0.05, remaining: 0 });
    expect(o.average).toBeGreaterThanOrEqual(ask);
    expect(o.trades.length).toBeGreaterThan(0);
    expect(o.fee?.currency).toBe('COMP');

    const trades = await ex.fetchMyTrades(SYMBOL);
    const mine = trades.filter((t) => t.order === o.id);
    expect(mine.reduce((s, t) => s + (t.amount ?? 0), 0)).toBeCloseTo(0.05, 8);
    expect(mine.every((t) => t.side === 'buy' && t.takerOrMaker === 'taker' && t.fee?.currency === 'COMP')).toBe(true);

    const after = await ex.fetchBalance();
    const fee = mine.reduce((s, t) => s + (t.fee?.cost ?? 0), 0);
    expect((after['COMP']?.free ?? 0) - (before['COMP']?.free ?? 0)).toBeCloseTo(0.05 - fee, 8);
    expect((before['USDT']?.free ?? 0) - (after['USDT']?.free ?? 0)).toBeCloseTo(o.cost ?? 0, 6);
    expect((await ex.fetchClosedOrders(SYMBOL)).map((x) => x.id)).toContain(o.id);
  });

  it('a market buy by quote amount (quoteOrderQty) spends at most that amount', async () => {
    const r = await signed(run, creds, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '20' }, { inBody: true });
    expect(r.status).toBe(200);
    const body = r.body as { status: string; cummulativeQuoteQty: string; origQuoteOrderQty: string; fills: unknown[] };
    expect(body.status).toBe('FILLED');
    expect(body.origQuoteOrderQty).toBe('20.00000000');
    expect(Number(body.cummulativeQuoteQty)).toBeLessThanOrEqual(20);
    expect(body.fills.length).toBeGreaterThan(0);
  });

  it('cancelAllOrders cancels every open order of the market', async () => {
    const price = Number(ex.priceToPrecision(SYMBOL, best().bid * 0.8));
    await ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price);
    await ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price);
    const res = await ex.cancelAllOrders(SYMBOL);
    expect(res).toHaveLength(2);
    expect(await ex.fetchOpenOrders(SYMBOL)).toHaveLength(0);
  });
});

describe('user data through ccxt.pro (WebSocket API signature subscription)', () => {
  it('watchOrders, watchBalance and watchMyTrades receive a taker fill, then a maker fill from the replay', async () => {
    const c = newAccount(run);
    const w = await open(c);
    const firstOrders = w.watchOrders(SYMBOL);
    await until(() => privateSide(run).subscribed > 0, 3000, 'user stream subscribed');
    const balance = w.watchBalance();
    const placed = await w.createOrder(SYMBOL, 'market', 'buy', 0.05);
    const orders = await firstOrders;
    expect(orders.some((o) => o.id === placed.id)).toBe(true);
    // outboundAccountPosition: the assets the fill changed.
    const b = await balance;
    expect(b['COMP']?.free).toBeCloseTo(100 + 0.05 - (placed.fee?.cost ?? 0), 8);

    // A sell just above the best bid rests (it does not cross the ask) and fills when a trade prints at or through it.
    const trades = w.watchMyTrades(SYMBOL);
    const price = Number(w.priceToPrecision(SYMBOL, best().bid + 0.01));
    const resting = await w.createOrder(SYMBOL, 'limit', 'sell', 0.05, price);
    expect(resting.status).toBe('open');
    const got = await pumpUntil(run, 'binanceus', trades);
    expect(got.some((t) => t.order === resting.id && t.takerOrMaker === 'maker' && t.price === price)).toBe(true);
    expect((await w.fetchOrder(String(resting.id), SYMBOL)).filled).toBeGreaterThan(0);
  });

  it('a listen key (REST userDataStream) streams raw executionReport and outboundAccountPosition on /ws/<listenKey>', async () => {
    const c = newAccount(run);
    const started = await keyed(run, c.apiKey, 'POST', '/api/v3/userDataStream');
    const listenKey = (started.body as { listenKey: string }).listenKey;
    expect(listenKey).toMatch(/^[A-Za-z0-9]{60}$/);
    const r = await raws.open(`ws://127.0.0.1:${run.ports.binanceus}/ws/${listenKey}`);
    const price = (best().bid * 0.9).toFixed(2);
    const placed = await signed(run, c, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price, newClientOrderId: 'lk-1' }, { inBody: true });
    expect(placed.status).toBe(200);
    await r.until(() => r.json().some((m) => (m as { e?: string }).e === 'outboundAccountPosition'), 3000, 'account position');
    const [report, position] = r.json() as Record<string, unknown>[];
    expect(report).toMatchObject({ e: 'executionReport', s: 'COMPUSDT', c: 'lk-1', x: 'NEW', X: 'NEW', S: 'BUY', o: 'LIMIT', N: null, t: -1 });
    expect(position).toMatchObject({ e: 'outboundAccountPosition' });
    expect(await keyed(run, c.apiKey, 'PUT', '/api/v3/userDataStream', { listenKey })).toMatchObject({ status: 200, body: {} });
    expect(await keyed(run, c.apiKey, 'DELETE', '/api/v3/userDataStream', { listenKey })).toMatchObject({ status: 200, body: {} });
    expect(await keyed(run, c.apiKey, 'PUT', '/api/v3/userDataStream', { listenKey })).toMatchObject({ status: 400, body: { code: -1125, msg: 'This listenKey does not exist.' } });
  });
});

describe("Binance's error replies, as ccxt maps them", () => {
  it('a wrong secret is -1022 (AuthenticationError)', async () => {
    const bad = await open({ apiKey: creds.apiKey, secret: 'x'.repeat(64) });
    await expect(bad.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    await expect(bad.fetchBalance()).rejects.toThrow(/-1022/);
  });

  it('an unknown key is -2015 and a malformed key -2014 (AuthenticationError), with HTTP 401', async () => {
    const unknown = await open({ apiKey: 'A'.repeat(64), secret: creds.secret });
    await expect(unknown.fetchBalance()).rejects.toThrow(/-2015.*Invalid API-key, IP, or permissions for action/);
    await expect(unknown.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    const malformed = await open({ apiKey: 'not-a-key', secret: creds.secret });
    await expect(malformed.fetchBalance()).rejects.toThrow(/-2014.*API-key format invalid/);
    const raw = await signed(run, creds, 'GET', '/api/v3/account', {}, { apiKeyHeader: null });
    expect(raw).toMatchObject({ status: 401, body: { code: -2014, msg: 'API-key format invalid.' } });
  });

  it('a timestamp outside recvWindow is -1021 (InvalidNonce)', async () => {
    const late = await open(creds);
    late.options['timeDifference'] = 120_000; // ccxt's nonce() then runs two minutes behind
    await expect(late.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);
    const ahead = await signed(run, creds, 'GET', '/api/v3/account', {}, { timestamp: Date.now() + 5000 });
    expect(ahead).toMatchObject({ status: 400, body: { code: -1021 } });
  });

  it('a missing mandatory parameter is -1102', async () => {
    const r = await signed(run, creds, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1' }, { inBody: true });
    expect(r).toMatchObject({ status: 400, body: { code: -1102, msg: "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed." } });
  });

  it('LOT_SIZE and PRICE_FILTER failures are -1013 (InvalidOrder); MIN_NOTIONAL is -1013 too (ccxt: BadRequest)', async () => {
    const price = Number(ex.priceToPrecision(SYMBOL, best().bid * 0.9));
    // ccxt rounds amount and price itself, so the violating values go in as raw parameters.
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { quantity: '0.100005' })).rejects.toThrow(ccxt.InvalidOrder);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { quantity: '0.100005' })).rejects.toThrow(/"code":-1013,"msg":"Filter failure: LOT_SIZE"/);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { price: (price + 0.0000005).toFixed(7) })).rejects.toThrow(/"code":-1013,"msg":"Filter failure: PRICE_FILTER"/);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, price)).rejects.toThrow(ccxt.BadRequest);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, price)).rejects.toThrow(/"code":-1013,"msg":"Filter failure: MIN_NOTIONAL"/);
  });

  it('too little money is -2010 (InsufficientFunds); a reused open client order id is -2010 "Duplicate order sent."', async () => {
    const price = Number(ex.priceToPrecision(SYMBOL, best().bid * 0.9));
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 5000, price)).rejects.toThrow(ccxt.InsufficientFunds);
    await ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'dup-1' });
    const dup = ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'dup-1' });
    await expect(dup).rejects.toThrow(ccxt.InvalidOrder);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'dup-1' })).rejects.toThrow(/"code":-2010,"msg":"Duplicate order sent."/);
    await ex.cancelOrder('', SYMBOL, { clientOrderId: 'dup-1' });
  });

  it('unknown orders: cancel is -2011, fetch is -2013 (OrderNotFound)', async () => {
    await expect(ex.cancelOrder('999', SYMBOL)).rejects.toThrow(ccxt.OrderNotFound);
    await expect(ex.cancelOrder('999', SYMBOL)).rejects.toThrow(/-2011/);
    await expect(ex.fetchOrder('999', SYMBOL)).rejects.toThrow(/-2013.*Order does not exist/);
  });
});

describe('ccxt request fixtures for private methods', () => {
  interface Case {
    description: string;
    method: string;
    url: string;
    input: unknown[];
  }
  const fixture = JSON.parse(fs.readFileSync(sharedData('ccxt-static', 'request', 'binanceus.json'), 'utf8')) as { skipKeys: string[]; methods: Record<string, Case[]> };
  const PRIVATE = ['fetchOrders', 'fetchMyTrades', 'fetchOpenOrders', 'fetchClosedOrders', 'fetchBalance'];
  const cases = PRIVATE.flatMap((m) => (fixture.methods[m] ?? []).map((c) => [`${m}: ${c.description}`, c] as const));

  it('has the private cases', () => expect(cases).toHaveLength(PRIVATE.length));
  it.each(cases)('%s is sent as the fixture says and answered 200', async (_name, c) => {
    const args = c.input.map((a) => (a === 'LTC/USDT' ? SYMBOL : a));
    const fn = (ex as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[c.method] as (...a: unknown[]) => Promise<unknown>;
    await fn.apply(ex, args);
    const sent = new URL(ex.last_request_url as string);
    const want = new URL(c.url.replace('LTCUSDT', 'COMPUSDT'));
    expect(sent.pathname).toBe(want.pathname);
    const strip = (u: URL): [string, string][] => [...u.searchParams.entries()].filter(([k]) => !fixture.skipKeys.includes(k)).sort();
    expect(strip(sent)).toEqual(strip(want));
    expect(sent.searchParams.has('signature') && sent.searchParams.has('timestamp')).toBe(true);
  });
});

describe('request weight', () => {
  afterAll(() => {
    privateSide(run).setRateLimits({ weightPerMinute: 1200, banAfter429s: 5, banMs: 120_000 });
  });

  it('every reply carries X-MBX-USED-WEIGHT-1M; order replies carry the order counts', async () => {
    await ex.fetchTicker(SYMBOL);
    const headers = ex.last_response_headers as Record<string, string>;
    const used = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-mbx-used-weight-1m')?.[1];
    expect(Number(used)).toBeGreaterThan(0);
    const price = (best().bid * 0.9).toFixed(2);
    const r = await signed(run, creds, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price }, { inBody: true });
    expect(Number(r.headers.get('x-mbx-used-weight-1m'))).toBeGreaterThan(Number(used));
    expect(Number(r.headers.get('x-mbx-order-count-10s'))).toBeGreaterThan(0);
    expect(Number(r.headers.get('x-mbx-order-count-1d'))).toBeGreaterThan(0);
  });

  it('over the limit: 429 with Retry-After (ccxt DDoSProtection), then 418 if the client keeps going', async () => {
    privateSide(run).setRateLimits({ weightPerMinute: 20, banAfter429s: 3, banMs: 120_000 });
    const statuses: number[] = [];
    let first429: Response | undefined;
    let first418: Response | undefined;
    // Bounded: a minute boundary in between only resets the count, and the loop keeps going.
    for (let i = 0; i < 200 && !first418; i++) {
      const res = await fetch(`http://127.0.0.1:${run.ports.binanceus}/api/v3/exchangeInfo`);
      statuses.push(res.status);
      if (res.status === 429 && !first429) first429 = res;
      if (res.status === 418) first418 = res;
      await res.arrayBuffer();
    }
    expect(first429).toBeDefined();
    expect(Number(first429?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(first418).toBeDefined();
    expect(Number(first418?.headers.get('retry-after'))).toBe(120);
    expect(statuses.indexOf(429)).toBeLessThan(statuses.indexOf(418));
    await expect(ex.fetchTicker(SYMBOL)).rejects.toThrow(ccxt.DDoSProtection);
    const banned = await fetch(`http://127.0.0.1:${run.ports.binanceus}/api/v3/ping`);
    expect(banned.status).toBe(418);
    expect(await banned.json()).toMatchObject({ code: -1003, msg: expect.stringMatching(/^Way too much request weight used; IP banned until \d+\./) as unknown });
  });
});

describe('admin account API', () => {
  it('POST /admin/venues/binanceus/accounts creates a key and secret with balances that ccxt then trades with', async () => {
    const http = createHttpApp({ service: 'venue-emulator', version: 'test', apiKey: ADMIN_KEY, logger: createLogger({ service: 'venue-emulator', level: 'fatal' }), registry: run.registry, readiness: new Readiness() });
    mountAdminRoutes(http.router, run.emu);
    const handle = await http.listen(0, '127.0.0.1');
    try {
      const post = (body: unknown): Promise<Response> => fetch(`http://127.0.0.1:${handle.port}/admin/venues/binanceus/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-trading-api-key': ADMIN_KEY }, body: JSON.stringify(body) });
      const res = await post({ balances: { USDT: '2500', COMP: 1.5 }, taker_fee: '0.002' });
      expect(res.status).toBe(201);
      const acct = (await res.json()) as { api_key: string; secret: string; taker_fee: string };
      expect(acct.api_key).toMatch(/^[A-Za-z0-9]{64}$/);
      expect(acct.secret).toMatch(/^[A-Za-z0-9]{64}$/);
      expect(acct.taker_fee).toBe('0.002');
      const c = await open({ apiKey: acct.api_key, secret: acct.secret });
      const bal = await c.fetchBalance();
      expect([bal['USDT']?.free, bal['COMP']?.free]).toEqual([2500, 1.5]);
      const o = await c.createOrder(SYMBOL, 'market', 'buy', 0.05);
      expect(o.fee?.cost).toBeCloseTo(0.0001, 10); // 0.2 % of 0.05 COMP
      expect((await post({ balances: { USDT: '-1' } })).status).toBe(400);
      expect((await post({ api_key: acct.api_key })).status).toBe(409);
      const unauth = await fetch(`http://127.0.0.1:${handle.port}/admin/venues/binanceus/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(unauth.status).toBe(401);
      const info = await fetch(`http://127.0.0.1:${handle.port}/admin/venues/binanceus/accounts/${acct.api_key}`, { headers: { 'x-trading-api-key': ADMIN_KEY } });
      const body = (await info.json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('secret');
      expect(body['balances']).toEqual(expect.arrayContaining([expect.objectContaining({ asset: 'USDT' })]));
    } finally {
      await handle.close(100);
    }
  });
});

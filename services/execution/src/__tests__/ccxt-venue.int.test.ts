/**
 * TRADING_MODE=live against the venue emulator's Binance.US private side (in this process, on
 * 127.0.0.1), with the real MariaDB and Redis: a live order round trip (submit → fill on the user
 * data stream → stored fill), the ambiguous outcomes (reply lost after the venue accepted, a 5xx
 * after accepting, a timeout) resolved by a lookup by client order id with exactly one order at the
 * venue, duplicate fill events stored once, a user-stream drop during fills repaired by REST,
 * a crash between the send and the acknowledgement repaired at restart, local and venue
 * rejections, and no credential in logs or /metrics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Dec } from '@cte/shared';
import { waitFor } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { Account } from '../../../venue-emulator/src/engine/private/exchange';
import type { PrivateFault } from '../../../venue-emulator/src/engine/faults';
import { LOOKUP_CALL } from '../adapters/ccxt-venue';
import { toStep } from '../engine/venue-rules';
import type { Order } from '../engine/types';
import { createLiveHarness, type LiveHarness } from './helpers/ccxt-venue-harness';

const SYMBOL = 'COMP/USDT';
const tag = randomBytes(3).toString('hex');
let seq = 0;
const cid = (): string => `live-${tag}-${++seq}`;

let emu: RunningEmulator;
let account: Account;
let h: LiveHarness;
/** A quantity on the lot step, worth about 3× the minimum notional at the best ask. */
let qty: Dec;
let bestAsk: Dec;

function arm(kind: PrivateFault['kind'], extra: Partial<PrivateFault> = {}): void {
  emu.emu.faults.armPrivate('binanceus', { kind, delayMs: 0, status: 503, ...extra }, 1);
}

/** The emulator's orders of one client order id, and their fills. */
function atVenue(clientOrderId: string): { orders: number; tradeIds: string[] } {
  const orders = [...account.orders.values()].filter((o) => o.clientOrderId === clientOrderId);
  const ids = new Set(orders.map((o) => o.id));
  return { orders: orders.length, tradeIds: account.trades.filter((t) => ids.has(t.orderId)).map((t) => `${SYMBOL}:${t.tradeId}`).sort() };
}

/** cte_venue_calls_total of one call and outcome. */
async function calls(call: string, outcome: string): Promise<number> {
  const m = await h.registry.getSingleMetric('cte_venue_calls_total')!.get();
  return m.values.find((v) => v.labels['call'] === call && v.labels['outcome'] === outcome)?.value ?? 0;
}

async function storedTradeIds(orderId: string): Promise<string[]> {
  const rows = await h.tdb.db.query<{ venue: string; venue_trade_id: string }>('SELECT venue, venue_trade_id FROM trades WHERE order_id = ?', [orderId]);
  for (const r of rows) expect(r.venue).toBe('binanceus');
  return rows.map((r) => r.venue_trade_id).sort();
}

async function settled(orderId: string): Promise<Order> {
  return waitFor(`order ${orderId} filled`, async () => {
    const o = await h.repo.findOrder(orderId);
    return o && o.status === 'FILLED' ? o : undefined;
  });
}

async function buy(clientOrderId: string, q: Dec = qty): Promise<Order> {
  const r = await h.svc.submit({ client_order_id: clientOrderId, symbol: SYMBOL, side: 'buy', type: 'market', qty: q.toFixed() }, 'livetrace01');
  expect(r.created).toBe(true);
  return r.order;
}

beforeAll(async () => {
  emu = await startEmulator({ venues: ['binanceus'] });
  // A minute of replay, so the book has levels to take.
  emu.emu.advanceBy('binanceus', 60_000);
  const priv = emu.emu.privateSides.get('binanceus');
  if (!priv) throw new Error('the emulator has no Binance.US private side');
  account = priv.createAccount({ balances: { USDT: '100000', COMP: '50' } }).account;
  h = await createLiveHarness({ port: emu.ports.binanceus, apiKey: account.apiKey, secret: account.secret, symbols: [SYMBOL], settleMs: 50, timeoutMs: 1500 });
  const rules = h.venue.marketRules(SYMBOL)!;
  const book = await h.exchange.fetchOrderBook(SYMBOL);
  const ask = new Dec(String(book.asks[0]![0]));
  bestAsk = ask;
  const notional = (rules.minNotional ?? new Dec(10)).times(3);
  qty = toStep(notional.div(ask), rules.qtyStep!, true);
  if (rules.minQty && qty.lt(rules.minQty)) qty = rules.minQty;
});

afterAll(async () => {
  await h?.stop();
  await emu?.close();
});

describe('a live order', () => {
  it('round trip: submitted with our client order id, filled on the user stream, each fill stored once', async () => {
    const id = cid();
    const order = await buy(id);
    expect(['SUBMITTED', 'PARTIALLY_FILLED', 'FILLED']).toContain(order.status);
    const done = await settled(order.id);
    expect(done.venue).toBe('binanceus');
    expect(done.filledQty.eq(qty)).toBe(true);
    const venue = atVenue(id);
    expect(venue.orders).toBe(1);
    expect(done.venueOrderId).toBe(String([...account.orders.values()].find((o) => o.clientOrderId === id)!.id));
    expect(await storedTradeIds(order.id)).toEqual(venue.tradeIds);
  });

  it('an order off the venue’s lot step is rejected locally with the reason; nothing reaches the venue', async () => {
    const rules = h.venue.marketRules(SYMBOL)!;
    const id = cid();
    const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'market', qty: qty.plus(rules.qtyStep!.div(2)).toFixed() }, 'livetrace02');
    expect(r.order.status).toBe('REJECTED');
    expect(r.order.reason).toMatch(/^lot_size: qty not a multiple of /);
    expect(atVenue(id).orders).toBe(0);
  });

  it('a venue rejection is final, with the venue’s reason', async () => {
    const id = cid();
    // Within every market rule, but more COMP than the account holds (50).
    const rules = h.venue.marketRules(SYMBOL)!;
    const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'sell', type: 'limit', qty: '1000', limit_price: toStep(bestAsk, rules.priceStep!).toFixed() }, 'livetrace03');
    expect(r.order.status).toBe('REJECTED');
    expect(r.order.reason).toMatch(/^venue: .*insufficient balance/i);
    expect(await calls('createOrder', 'rejected')).toBe(1);
    expect(atVenue(id).orders).toBe(0);
  });
});

describe('cancel', () => {
  it('a resting limit order is canceled at the venue; canceling again is refused', async () => {
    const id = cid();
    const rules = h.venue.marketRules(SYMBOL)!;
    const price = toStep(bestAsk.div(2), rules.priceStep!);
    const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'limit', qty: qty.toFixed(), limit_price: price.toFixed() }, 'livetrace05');
    expect(r.order.status).toBe('SUBMITTED');
    expect((await h.venue.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toContain(id);
    const canceled = await h.svc.cancel({ id: r.order.id });
    expect(canceled.status).toBe('CANCELED');
    const atEmu = [...account.orders.values()].find((o) => o.clientOrderId === id);
    expect(atEmu?.status).toBe('CANCELED');
    await expect(h.svc.cancel({ id: r.order.id })).rejects.toThrow(/is CANCELED and cannot be canceled/);
  });
});

describe('ambiguous outcomes are looked up by client order id, never resent blind', () => {
  it.each([
    ['order_lost_ack', {}],
    ['order_5xx_after_accept', { status: 503 }],
    ['order_timeout', { delayMs: 2500 }],
  ] as const)('%s: the venue holds exactly one order and the fills are stored once', async (kind, extra) => {
    const ambiguousBefore = await calls('createOrder', 'ambiguous');
    const lookupsBefore = await calls(LOOKUP_CALL, 'ok');
    arm(kind, extra);
    const id = cid();
    const order = await buy(id);
    expect(order.status).not.toBe('REJECTED');
    expect(order.status).not.toBe('FAILED');
    const done = await settled(order.id);
    const venue = atVenue(id);
    expect(venue.orders).toBe(1);
    expect(done.venueOrderId).toBe(String([...account.orders.values()].find((o) => o.clientOrderId === id)!.id));
    expect(await storedTradeIds(order.id)).toEqual(venue.tradeIds);
    // The send was ambiguous, the lookup found the order, and there was no second send.
    expect(await calls('createOrder', 'ambiguous')).toBe(ambiguousBefore + 1);
    expect(await calls(LOOKUP_CALL, 'ok')).toBeGreaterThan(lookupsBefore);
  });
});

describe('an order the venue provably does not have', () => {
  it('is sent again after the lookup: a 5xx before the venue processed it, then not found, then one order', async () => {
    const ambiguousBefore = await calls('createOrder', 'ambiguous');
    const okBefore = await calls('createOrder', 'ok');
    const notFoundBefore = await calls(LOOKUP_CALL, 'not_found');
    // The next order request is refused with a 500 before the venue sees it.
    emu.emu.armRest('binanceus', { kind: 'rest_5xx', status: 500 }, 1, '/api/v3/order');
    const id = cid();
    const order = await buy(id);
    await settled(order.id);
    expect(await calls('createOrder', 'ambiguous')).toBe(ambiguousBefore + 1);
    expect(await calls(LOOKUP_CALL, 'not_found')).toBe(notFoundBefore + 1);
    expect(await calls('createOrder', 'ok')).toBe(okBefore + 1);
    const venue = atVenue(id);
    expect(venue.orders).toBe(1);
    expect(await storedTradeIds(order.id)).toEqual(venue.tradeIds);
  });
});

describe('fills from the stream and over REST', () => {
  it('a fill event delivered twice is stored once', async () => {
    arm('fill_duplicate');
    const id = cid();
    const order = await buy(id);
    await settled(order.id);
    const ids = await storedTradeIds(order.id);
    expect(ids).toEqual(atVenue(id).tradeIds);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a user-stream drop during the fills is repaired by REST reconciliation after the reconnect', async () => {
    // prom-client hands out its live value objects: copy the number.
    const before = (await h.registry.getSingleMetric('cte_venue_stream_reconnects_total')!.get()).values[0]!.value;
    arm('user_stream_drop');
    const id = cid();
    const order = await buy(id);
    const done = await settled(order.id);
    expect(done.filledQty.eq(qty)).toBe(true);
    expect(await storedTradeIds(order.id)).toEqual(atVenue(id).tradeIds);
    const after = await h.registry.getSingleMetric('cte_venue_stream_reconnects_total')!.get();
    expect(after.values[0]!.value).toBeGreaterThan(before);
    const recovered = await h.registry.getSingleMetric('cte_venue_reconciled_fills_total')!.get();
    expect(recovered.values[0]!.value).toBeGreaterThan(0);
  });
});

describe('restart', () => {
  it('an order sent but never acknowledged before a crash is found by client order id at start, with its fills', async () => {
    // The crash: the row is NEW (stored before the send), the venue has the order and filled it.
    const id = cid();
    const order = h.svc.manager.create({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', qty, limitPrice: null, recommendationId: '' }, randomUUID(), 'livetrace04', Date.now());
    await h.repo.insertOrder(order);
    await h.exchange.createOrder(SYMBOL, 'market', 'buy', Number(qty.toFixed()), undefined, { clientOrderId: id });
    expect(atVenue(id).orders).toBe(1);
    const r = await h.svc.reconcile();
    expect(r.open).toBeGreaterThanOrEqual(1);
    const done = await settled(order.id);
    expect(done.venueOrderId).not.toBeNull();
    expect(await storedTradeIds(order.id)).toEqual(atVenue(id).tradeIds);
    expect(atVenue(id).orders).toBe(1);
  });
});

describe('secrets', () => {
  it('a failing venue call’s logged error, the order reason and /metrics contain no credential', async () => {
    // Every order request fails with a 500 (the send and each lookup): the order stays unresolved.
    emu.emu.armRest('binanceus', { kind: 'rest_5xx', status: 500 }, 4, '/api/v3/order');
    const id = cid();
    const order = await buy(id);
    expect(order.status).toBe('SUBMITTED');
    expect(order.venueOrderId).toMatch(/^unconfirmed:/);
    const logs = h.log.text();
    expect(logs).toMatch(/"level":"error".*order outcome unknown at the venue/);
    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/cte_venue_calls_total\{venue="binanceus",call="createOrder",outcome="ambiguous"\} [1-9]/);
    for (const secret of [account.apiKey, account.secret]) {
      expect(logs).not.toContain(secret);
      expect(metrics).not.toContain(secret);
      expect(JSON.stringify(await h.repo.findOrder(order.id))).not.toContain(secret);
    }
    // The redactor is what stands between a venue echoing a credential and the log.
    expect(h.venue.describe(new Error(`venue said: bad key ${account.apiKey} for secret ${account.secret}`))).toBe('Error: venue said: bad key [redacted] for secret [redacted]');
  });
});

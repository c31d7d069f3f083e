/**
 * Order statuses the venue changes on its own reach execution without a restart (the venue
 * emulator's Binance.US private side on 127.0.0.1, the real MariaDB and Redis): a cancel made at
 * the venue by another client with the same keys and a market order's expired remainder arrive on
 * the user stream and end the stored order, with the event on events.orders; an ambiguous
 * submission (reply lost, lookups failing) is resolved by a later periodic reconciliation, to its
 * real venue order id when the venue has it, to REJECTED when the venue provably does not.
 */
import { randomBytes } from 'node:crypto';
import { Dec, TRADING_CHANNELS, type Envelope, type OrderEventMessage } from '@cte/shared';
import { waitFor } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { Account } from '../../../venue-emulator/src/engine/private/exchange';
import { createCcxtExchange, LOOKUP_CALL, type ProExchange } from '../adapters/ccxt-venue';
import { Secret } from '../config';
import { toStep } from '../engine/venue-rules';
import type { Order } from '../engine/types';
import type { OrderStatus } from '../engine/order-state';
import { createLiveHarness, type LiveHarness } from './helpers/ccxt-venue-harness';

const SYMBOL = 'COMP/USDT';
const tag = randomBytes(3).toString('hex');
let seq = 0;
const cid = (): string => `vst-${tag}-${++seq}`;

let emu: RunningEmulator;
let account: Account;
let h: LiveHarness;
/** A second client with the same keys: what a person at the venue's website would do. */
let other: ProExchange;
const events: OrderEventMessage[] = [];
let restingPrice: Dec;
let qty: Dec;

beforeAll(async () => {
  emu = await startEmulator({ venues: ['binanceus'] });
  emu.emu.advanceBy('binanceus', 60_000);
  const priv = emu.emu.privateSides.get('binanceus');
  if (!priv) throw new Error('the emulator has no Binance.US private side');
  const created = priv.createAccount({ balances: { USDT: '1000000', COMP: '50' } });
  account = created.account;
  const { apiKey, secret } = created.credentials;
  // No periodic reconciliation here: what changes comes on the user stream. (Its REST lookups
  // would also take the faults armed for the second harness below.)
  h = await createLiveHarness({ port: emu.ports.binanceus, apiKey, secret, symbols: [SYMBOL], settleMs: 50, timeoutMs: 1500, maxLookups: 3, reconcileMs: 0 });
  await h.bus.subscribe<OrderEventMessage>(TRADING_CHANNELS.orders, (e: Envelope<OrderEventMessage>) => void events.push(e.data));
  other = await createCcxtExchange({ id: 'binanceus', symbols: [SYMBOL], baseUrl: `http://127.0.0.1:${emu.ports.binanceus}`, credentials: { apiKey: new Secret(apiKey), secret: new Secret(secret) } }, 3000);
  other.enableRateLimit = false;
  await other.loadMarkets();
  const rules = h.venue.marketRules(SYMBOL)!;
  const book = await other.fetchOrderBook(SYMBOL);
  const ask = new Dec(String(book.asks[0]![0]));
  // Far below the market (within PERCENT_PRICE): it rests. Cents: on the venue's tick and within the fleet's precision.
  restingPrice = toStep(ask.times('0.8'), new Dec('0.01'));
  qty = toStep((rules.minNotional ?? new Dec(10)).times(3).div(restingPrice), rules.qtyStep!, true);
});

afterAll(async () => {
  await other?.close();
  await h?.stop();
  await emu?.close();
});

async function restingBuy(clientOrderId: string): Promise<Order> {
  const r = await h.svc.submit({ client_order_id: clientOrderId, symbol: SYMBOL, side: 'buy', type: 'limit', qty: qty.toFixed(), limit_price: restingPrice.toFixed() }, 'vsttrace01');
  expect(r.created).toBe(true);
  return r.order;
}

async function stored(orderId: string, what: string, ok: (o: Order) => boolean, in_: LiveHarness = h): Promise<Order> {
  return waitFor(`order ${orderId} ${what}`, async () => {
    const o = await in_.repo.findOrder(orderId);
    return o && ok(o) ? o : undefined;
  });
}

const becomes = (orderId: string, status: OrderStatus, in_: LiveHarness = h): Promise<Order> => stored(orderId, status, (o) => o.status === status, in_);

async function published(orderId: string, event: OrderEventMessage['event']): Promise<OrderEventMessage> {
  return waitFor(`${event} of ${orderId} on events.orders`, async () => events.find((e) => e.order_id === orderId && e.event === event));
}

/** cte_execution_venue_order_updates_total of one status and outcome. */
async function updates(in_: LiveHarness, status: string, outcome: string): Promise<number> {
  const m = await in_.registry.getSingleMetric('cte_execution_venue_order_updates_total')!.get();
  return m.values.find((v) => v.labels['status'] === status && v.labels['outcome'] === outcome)?.value ?? 0;
}

async function calls(in_: LiveHarness, call: string, outcome: string): Promise<number> {
  const m = await in_.registry.getSingleMetric('cte_venue_calls_total')!.get();
  return m.values.find((v) => v.labels['call'] === call && v.labels['outcome'] === outcome)?.value ?? 0;
}

/** The submission of `clientOrderId` stayed ambiguous after every lookup (logged at error). */
function unresolvedLog(in_: LiveHarness, clientOrderId: string): boolean {
  return in_.log.lines.some((l) => l.includes('"order outcome unknown at the venue; kept open and looked up again later"') && l.includes(`"client_order_id":"${clientOrderId}"`));
}

function atVenue(clientOrderId: string, of: Account = account): { id: number; status: string }[] {
  return [...of.orders.values()].filter((o) => o.clientOrderId === clientOrderId).map((o) => ({ id: o.id, status: o.status }));
}

describe('statuses changed at the venue reach execution without a restart', () => {
  it('a resting order canceled at the venue by another client becomes CANCELED, announced on events.orders', async () => {
    const id = cid();
    const order = await restingBuy(id);
    expect(order.status).toBe('SUBMITTED');
    expect(atVenue(id)).toEqual([{ id: Number(order.venueOrderId), status: 'NEW' }]);
    await other.cancelOrder(order.venueOrderId!, SYMBOL);
    const done = await becomes(order.id, 'CANCELED');
    expect(done.reason).toBe('canceled_at_venue');
    expect(done.filledQty.eq(0)).toBe(true);
    const msg = await published(order.id, 'canceled');
    expect(msg).toMatchObject({ status: 'CANCELED', client_order_id: id, filled_qty: '0', reason: 'canceled_at_venue' });
    expect(await updates(h, 'canceled', 'applied')).toBeGreaterThanOrEqual(1);
    // Canceling it through execution now is refused: it is final.
    await expect(h.svc.cancel({ id: order.id })).rejects.toThrow(/is CANCELED and cannot be canceled/);
  });

  it('a market order larger than the book fills what there is and its remainder EXPIRES, with every fill stored', async () => {
    const rules = h.venue.marketRules(SYMBOL)!;
    const book = await other.fetchOrderBook(SYMBOL, 5000);
    const depth = book.asks.reduce((sum, [, q]) => sum.plus(String(q)), new Dec(0));
    const cap = rules.marketMaxQty ?? rules.maxQty ?? depth;
    const size = toStep(cap, rules.qtyStep!);
    // Market buys of the largest size until together they ask for more than the book holds (the
    // venue remembers what was taken): the last one cannot fill completely.
    let asked = new Dec(0);
    let last: { id: string; order: Order } | undefined;
    while (!asked.gt(depth)) {
      const id = cid();
      const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'market', qty: size.toFixed() }, 'vsttrace02');
      last = { id, order: r.order };
      asked = asked.plus(size);
    }
    const done = await becomes(last!.order.id, 'EXPIRED');
    expect(done.reason).toBe('expired_at_venue');
    const venueOrder = [...account.orders.values()].find((o) => o.clientOrderId === last!.id)!;
    expect(venueOrder.status).toBe('EXPIRED');
    // Every fill recorded, before the order ended: its filled quantity is the venue's.
    expect(done.filledQty.eq(new Dec(venueOrder.executedQty))).toBe(true);
    expect(done.filledQty.lt(size)).toBe(true);
    const msg = await published(last!.order.id, 'expired');
    expect(msg).toMatchObject({ status: 'EXPIRED', filled_qty: done.filledQty.toFixed() });
    // The fills were applied before the expiry, not as fills on an ended order.
    expect(h.log.text()).not.toMatch(/fill does not fit its order/);
    expect(await updates(h, 'expired', 'applied')).toBeGreaterThanOrEqual(1);
  });
});

/** While the order is sent, its reply is lost; the 5xx armed at that moment fail the submission's three lookups. */
async function withLostAckAndFailingLookups<T>(fn: () => Promise<T>): Promise<T> {
  const faults = emu.emu.faults;
  const take = faults.takePrivate.bind(faults);
  const spy = jest.spyOn(faults, 'takePrivate').mockImplementation((venue, kinds) => {
    const f = take(venue, kinds);
    if (f?.kind === 'order_lost_ack') faults.armRest('binanceus', { kind: 'rest_5xx', status: 500 }, 3, '/api/v3/order');
    return f;
  });
  try {
    faults.armPrivate('binanceus', { kind: 'order_lost_ack', delayMs: 0, status: 503 }, 1);
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

describe('an ambiguous submission (reply lost, every lookup failed) is resolved without a restart', () => {
  it('by the user stream’s order event: the order carries its real venue order id', async () => {
    const id = cid();
    const order = await withLostAckAndFailingLookups(() => restingBuy(id));
    const [placed] = atVenue(id);
    expect(placed).toBeDefined();
    const resolved = await stored(order.id, 'with its venue order id', (o) => o.venueOrderId === String(placed!.id));
    expect(resolved.status).toBe('SUBMITTED');
    expect(await calls(h, LOOKUP_CALL, 'ambiguous')).toBeGreaterThanOrEqual(3);
    expect(atVenue(id)).toHaveLength(1);
    expect((await h.svc.cancel({ id: order.id })).status).toBe('CANCELED');
    expect(atVenue(id)).toEqual([{ id: placed!.id, status: 'CANCELED' }]);
    // The stream's cancel event comes after our own cancel: stale, nothing changes.
    await waitFor('the late cancel event counted stale', async () => (await updates(h, 'canceled', 'stale')) >= 1);
    expect((await h.repo.findOrder(order.id))!.reason).toBe('canceled');
  });

  describe('by the periodic REST lookup (a venue without an order stream; a short LIVE_RECONCILE_MS)', () => {
    let h2: LiveHarness;
    let account2: Account;

    beforeAll(async () => {
      const created = emu.emu.privateSides.get('binanceus')!.createAccount({ balances: { USDT: '100000', COMP: '50' } });
      account2 = created.account;
      h2 = await createLiveHarness({ port: emu.ports.binanceus, apiKey: created.credentials.apiKey, secret: created.credentials.secret, symbols: [SYMBOL], settleMs: 50, timeoutMs: 1500, maxLookups: 3, reconcileMs: 200, orderStream: false });
      await h2.bus.subscribe<OrderEventMessage>(TRADING_CHANNELS.orders, (e: Envelope<OrderEventMessage>) => void events.push(e.data));
    });

    afterAll(async () => {
      await h2?.stop();
    });

    const buy2 = async (clientOrderId: string): Promise<Order> =>
      (await h2.svc.submit({ client_order_id: clientOrderId, symbol: SYMBOL, side: 'buy', type: 'limit', qty: qty.toFixed(), limit_price: restingPrice.toFixed() }, 'vsttrace03')).order;

    it('the venue has it: unconfirmed at first, then its real venue order id', async () => {
      // No other open order whose periodic lookups could take the armed faults.
      expect(await h2.repo.openOrders()).toEqual([]);
      const id = cid();
      const order = await withLostAckAndFailingLookups(() => buy2(id));
      expect(order.status).toBe('SUBMITTED');
      // (The periodic lookup may already have resolved it by the time submit answers.)
      expect(unresolvedLog(h2, id)).toBe(true);
      const [placed] = atVenue(id, account2);
      expect(placed).toBeDefined();
      const resolved = await stored(order.id, 'with its venue order id', (o) => o.venueOrderId === String(placed!.id), h2);
      expect(resolved.status).toBe('SUBMITTED');
      // Stored under its provisional id first, then updated from the venue.
      const update = h2.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'order updated from the venue' && l['order_id'] === order.id);
      expect(update).toMatchObject({ from_venue_order_id: `unconfirmed:${id}`, venue_order_id: String(placed!.id), source: 'rest', outcome: 'applied' });
      expect(atVenue(id, account2)).toHaveLength(1);
      expect(await updates(h2, 'open', 'applied')).toBe(1);
      expect((await h2.svc.cancel({ id: order.id })).status).toBe('CANCELED');
      expect(atVenue(id, account2)).toEqual([{ id: placed!.id, status: 'CANCELED' }]);
      // The next periodic lookup sees it canceled: stale, and it is no longer looked up.
      await waitFor('the periodic lookup of the canceled order counted stale', async () => (await updates(h2, 'canceled', 'stale')) >= 1);
    });

    it('the venue provably does not have it: REJECTED (venue_has_no_such_order), announced on events.orders', async () => {
      expect(await h2.repo.openOrders()).toEqual([]);
      // The send and its three lookups fail before the venue sees them: nothing is placed.
      emu.emu.armRest('binanceus', { kind: 'rest_5xx', status: 500 }, 4, '/api/v3/order');
      const id = cid();
      const order = await buy2(id);
      expect(unresolvedLog(h2, id)).toBe(true);
      const done = await becomes(order.id, 'REJECTED', h2);
      expect(done.reason).toBe('venue_has_no_such_order');
      expect(atVenue(id, account2)).toEqual([]);
      expect(await published(order.id, 'rejected')).toMatchObject({ status: 'REJECTED', reason: 'venue_has_no_such_order' });
      expect(await updates(h2, 'rejected', 'applied')).toBe(1);
    });
  });
});

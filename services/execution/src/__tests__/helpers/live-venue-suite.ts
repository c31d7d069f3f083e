/**
 * The live-order checks every venue of CcxtVenue must pass, against the venue emulator's private
 * side of that venue (in this process, on 127.0.0.1) with the real MariaDB and Redis: a round trip
 * with our client order id at the venue, local and venue rejections, a cancel (also of an order
 * already canceled at the venue, and of one known only by client order id), ambiguous sends
 * (reply lost, 5xx after accepting) resolved by a lookup with exactly one order at the venue, a
 * duplicated fill event stored once, and a user-stream drop repaired by REST reconciliation.
 * What differs per venue (symbol, balances, client id field, lookup call) comes in as a LiveVenueSpec.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Dec } from '@cte/shared';
import { waitFor } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../../venue-emulator/src/__tests__/helpers/emulator';
import type { Account } from '../../../../venue-emulator/src/engine/private/exchange';
import type { PrivateFault } from '../../../../venue-emulator/src/engine/faults';
import type { Credentials } from '../../../../venue-emulator/src/adapters/private/types';
import { CcxtVenue, LOOKUP_CALL } from '../../adapters/ccxt-venue';
import type { LiveVenueId } from '../../config';
import { toStep } from '../../engine/venue-rules';
import type { Order } from '../../engine/types';
import { createLiveHarness, type LiveHarness } from './ccxt-venue-harness';

export interface LiveVenueSpec {
  venue: Exclude<LiveVenueId, 'binanceus'>;
  /** The ccxt symbol traded. */
  symbol: string;
  /** The account's balances, as the emulator names the currencies (KuCoin's BSV is BCHSV there); base below `overdraw`. */
  balances: Record<string, string>;
  /** A sell quantity on the lot step above the base balance, within the venue's size limits. */
  overdraw: string;
  /** The createOrder param of ccxt that carries a client order id to this venue. */
  clientIdParam: string;
  /** The ccxt call that looks an order up by client order id. */
  /** The venue's refusal of an order over the balance, as stored. */
  insufficientReason: RegExp;
}

export function liveVenueSuite(spec: LiveVenueSpec): void {
  const SYMBOL = spec.symbol;
  const tag = randomBytes(3).toString('hex');
  let seq = 0;
  const cid = (): string => `${spec.venue.slice(0, 2)}-${tag}-${++seq}`;

  let emu: RunningEmulator;
  let account: Account;
  let creds: Credentials;
  let h: LiveHarness;
  /** A quantity on the lot step, worth about 3× the minimum notional (or the minimum quantity) at the best ask. */
  let qty: Dec;
  let bestAsk: Dec;
  /** A limit buy that rests: below the market, above the venue's minimums. */
  let restingPrice: Dec;
  let restingQty: Dec;

  function arm(kind: PrivateFault['kind'], extra: Partial<PrivateFault> = {}): void {
    emu.emu.faults.armPrivate(spec.venue, { kind, delayMs: 0, status: 503, ...extra }, 1);
  }

  /** The emulator's orders of one client order id. */
  function ordersAtVenue(clientOrderId: string): number {
    return [...account.orders.values()].filter((o) => o.clientOrderId === clientOrderId).length;
  }

  /** The order's trades as the venue lists them (ccxt, over REST), as stored trade ids. */
  async function venueTradeIds(venueOrderId: string): Promise<string[]> {
    const all = await h.exchange.fetchMyTrades(SYMBOL, undefined, 1000, spec.venue === 'coinbase' ? { order_ids: venueOrderId } : { orderId: venueOrderId });
    return all.filter((t) => t.order === venueOrderId).map((t) => `${SYMBOL}:${t.id}`).sort();
  }

  /** A price on the venue's tick and in cents (what the fleet's precision table allows). */
  function priced(p: Dec): Dec {
    const tick = h.venue.marketRules(SYMBOL)!.priceStep!;
    return toStep(p, tick.gt('0.01') ? tick : new Dec('0.01'));
  }

  async function calls(call: string, outcome: string): Promise<number> {
    const m = await h.registry.getSingleMetric('cte_venue_calls_total')!.get();
    return m.values.find((v) => v.labels['call'] === call && v.labels['outcome'] === outcome)?.value ?? 0;
  }

  async function counter(name: string): Promise<number> {
    // prom-client hands out its live value objects: copy the number.
    const m = await h.registry.getSingleMetric(name)!.get();
    return m.values.reduce((s, v) => s + v.value, 0);
  }

  async function storedTradeIds(orderId: string): Promise<string[]> {
    const rows = await h.tdb.db.query<{ venue: string; venue_trade_id: string }>('SELECT venue, venue_trade_id FROM trades WHERE order_id = ?', [orderId]);
    for (const r of rows) expect(r.venue).toBe(spec.venue);
    return rows.map((r) => r.venue_trade_id).sort();
  }

  async function settled(orderId: string): Promise<Order> {
    return waitFor(`order ${orderId} filled`, async () => {
      const o = await h.repo.findOrder(orderId);
      return o && o.status === 'FILLED' ? o : undefined;
    });
  }

  async function buy(clientOrderId: string): Promise<Order> {
    const r = await h.svc.submit({ client_order_id: clientOrderId, symbol: SYMBOL, side: 'buy', type: 'market', qty: qty.toFixed() }, `${spec.venue}trace01`);
    expect(r.created).toBe(true);
    return r.order;
  }

  /** A filled order: one order at the venue with our client order id, every venue trade stored once. */
  async function expectFilledOnce(clientOrderId: string, order: Order): Promise<Order> {
    const done = await settled(order.id);
    expect(done.venue).toBe(spec.venue);
    expect(done.filledQty.eq(qty)).toBe(true);
    expect(ordersAtVenue(clientOrderId)).toBe(1);
    expect(done.venueOrderId).not.toBeNull();
    const atVenue = await venueTradeIds(done.venueOrderId!);
    expect(atVenue.length).toBeGreaterThan(0);
    const stored = await storedTradeIds(order.id);
    expect(stored).toEqual(atVenue);
    expect(new Set(stored).size).toBe(stored.length);
    return done;
  }

  beforeAll(async () => {
    emu = await startEmulator({ venues: [spec.venue] });
    // Replay enough of the capture that the book has levels to take.
    emu.emu.step(spec.venue, 3000);
    const side = emu.emu.privateSides.get(spec.venue);
    if (!side) throw new Error(`the emulator has no ${spec.venue} private side`);
    ({ account, credentials: creds } = side.createAccount({ balances: spec.balances }));
    h = await createLiveHarness({
      venue: spec.venue,
      port: emu.ports[spec.venue],
      apiKey: creds.apiKey,
      secret: creds.secret,
      ...(creds.password !== undefined ? { password: creds.password } : {}),
      symbols: [SYMBOL],
      settleMs: 50,
      timeoutMs: 1500,
    });
    // ccxt's request pacing, as in production (the harness turns it off): these tests would
    // otherwise exceed Coinbase's 30 private requests a second and test 429s instead.
    h.exchange.enableRateLimit = true;
    const rules = h.venue.marketRules(SYMBOL)!;
    const book = await h.exchange.fetchOrderBook(SYMBOL);
    bestAsk = new Dec(String(book.asks[0]![0]));
    qty = toStep((rules.minNotional ?? new Dec(1)).times(3).div(bestAsk), rules.qtyStep!, true);
    if (rules.minQty && qty.lt(rules.minQty.times(3))) qty = toStep(rules.minQty.times(3), rules.qtyStep!, true);
    restingPrice = priced(bestAsk.times('0.8'));
    const q = toStep((rules.minNotional ?? new Dec(1)).times(3).div(restingPrice), rules.qtyStep!, true);
    restingQty = q.gt(qty) ? q : qty;
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
      const done = await expectFilledOnce(id, order);
      // Our id reached the venue in its own field (ccxt would otherwise make one up).
      const atEmu = [...account.orders.values()].find((o) => o.clientOrderId === id);
      expect(atEmu).toBeDefined();
      const fetched = await h.exchange.fetchOrder(done.venueOrderId!, SYMBOL);
      expect(fetched.clientOrderId).toBe(id);
    });

    it('an order below the venue’s minimum size is rejected locally with the reason; nothing reaches the venue', async () => {
      const rules = h.venue.marketRules(SYMBOL)!;
      expect(rules.minQty !== undefined || rules.minNotional !== undefined).toBe(true);
      const id = cid();
      const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'limit', qty: rules.qtyStep!.toFixed(), limit_price: priced(bestAsk.times('0.9')).toFixed() }, `${spec.venue}trace02`);
      expect(r.order.status).toBe('REJECTED');
      expect(r.order.reason).toMatch(/^(min_qty|min_notional): /);
      expect(ordersAtVenue(id)).toBe(0);
    });

    it('a venue rejection (insufficient funds) is final, with the venue’s reason', async () => {
      const rejectedBefore = await calls('createOrder', 'rejected');
      const id = cid();
      const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'sell', type: 'limit', qty: spec.overdraw, limit_price: priced(bestAsk.times('1.5')).toFixed() }, `${spec.venue}trace03`);
      expect(r.order.status).toBe('REJECTED');
      expect(r.order.reason).toMatch(spec.insufficientReason);
      expect(await calls('createOrder', 'rejected')).toBe(rejectedBefore + 1);
      expect(ordersAtVenue(id)).toBe(0);
    });
  });

  describe('cancel', () => {
    it('a resting limit order is canceled at the venue; canceling again is refused', async () => {
      const id = cid();
      const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'limit', qty: restingQty.toFixed(), limit_price: restingPrice.toFixed() }, `${spec.venue}trace05`);
      expect(r.order.status).toBe('SUBMITTED');
      expect((await h.venue.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toContain(id);
      const canceled = await h.svc.cancel({ id: r.order.id });
      expect(canceled.status).toBe('CANCELED');
      const atEmu = [...account.orders.values()].find((o) => o.clientOrderId === id);
      expect(atEmu?.status).toBe('CANCELED');
      await expect(h.svc.cancel({ id: r.order.id })).rejects.toThrow(/is CANCELED and cannot be canceled/);
    });
  });

  describe('cancel of an order the venue no longer has open', () => {
    it('canceled at the venue by another client: our cancel answers "no longer open" and the order ends CANCELED', async () => {
      const id = cid();
      const r = await h.svc.submit({ client_order_id: id, symbol: SYMBOL, side: 'buy', type: 'limit', qty: restingQty.toFixed(), limit_price: restingPrice.toFixed() }, `${spec.venue}trace06`);
      expect(r.order.status).toBe('SUBMITTED');
      const venueOrderId = r.order.venueOrderId!;
      await h.exchange.cancelOrder(venueOrderId, SYMBOL);
      expect([...account.orders.values()].find((o) => o.clientOrderId === id)?.status).toBe('CANCELED');
      await expect(h.venue.cancel({ orderId: r.order.id, clientOrderId: id, venueOrderId, symbol: SYMBOL })).resolves.toBe(false);
      await waitFor(`order ${r.order.id} canceled`, async () => (await h.repo.findOrder(r.order.id))?.status === 'CANCELED');
    });
  });

  describe('cancel by client order id', () => {
    it('an order this process never saw acknowledged (venue order id unknown) is canceled by its client order id', async () => {
      const id = cid();
      // Placed by an earlier process (or its acknowledgement lost): this venue instance knows only the client order id.
      await h.exchange.createOrder(SYMBOL, 'limit', 'buy', Number(restingQty.toFixed()), Number(restingPrice.toFixed()), { [spec.clientIdParam]: id });
      const fresh = new CcxtVenue({
        id: spec.venue,
        exchange: h.exchange,
        symbols: [SYMBOL],
        secrets: [],
        policy: { maxSends: 2, maxLookups: 3, settleMs: 50, lookupBackoffMs: 50 },
        reconcileMs: 0,
        reconnectBaseMs: 20,
        reconnectMaxMs: 200,
        logger: h.log.logger,
      });
      const ref = { orderId: randomUUID(), clientOrderId: id, venueOrderId: null, symbol: SYMBOL };
      expect(await fresh.cancel(ref)).toBe(true);
      expect([...account.orders.values()].find((o) => o.clientOrderId === id)?.status).toBe('CANCELED');
      // Again: no longer open at the venue.
      expect(await fresh.cancel(ref)).toBe(false);
    });
  });

  describe('ambiguous outcomes are looked up by client order id, never resent blind', () => {
    it.each([
      ['order_lost_ack', {}],
      ['order_5xx_after_accept', { status: 503 }],
    ] as const)('%s: the venue holds exactly one order and the fills are stored once', async (kind, extra) => {
      const ambiguousBefore = await calls('createOrder', 'ambiguous');
      const okBefore = await calls('createOrder', 'ok');
      const lookupsBefore = await calls(LOOKUP_CALL, 'ok');
      arm(kind, extra);
      const id = cid();
      const order = await buy(id);
      expect(order.status).not.toBe('REJECTED');
      expect(order.status).not.toBe('FAILED');
      await expectFilledOnce(id, order);
      // The send was ambiguous, the lookup found the order, and there was no second send.
      expect(await calls('createOrder', 'ambiguous')).toBe(ambiguousBefore + 1);
      expect(await calls('createOrder', 'ok')).toBe(okBefore);
      expect(await calls(LOOKUP_CALL, 'ok')).toBeGreaterThan(lookupsBefore);
    });
  });

  describe('fills from the stream and over REST', () => {
    it('a fill event delivered twice is stored once', async () => {
      arm('fill_duplicate');
      const id = cid();
      const order = await buy(id);
      await expectFilledOnce(id, order);
    });

    it('a user-stream drop during the fills is repaired by REST reconciliation after the reconnect', async () => {
      const reconnectsBefore = await counter('cte_venue_stream_reconnects_total');
      const recoveredBefore = await counter('cte_venue_reconciled_fills_total');
      arm('user_stream_drop');
      const id = cid();
      const order = await buy(id);
      await expectFilledOnce(id, order);
      expect(await counter('cte_venue_stream_reconnects_total')).toBeGreaterThan(reconnectsBefore);
      expect(await counter('cte_venue_reconciled_fills_total')).toBeGreaterThan(recoveredBefore);
    });
  });

  describe('secrets', () => {
    it('the logs and /metrics contain no credential', async () => {
      const logs = h.log.text();
      const metrics = await h.registry.metrics();
      for (const secret of [creds.apiKey, creds.secret, ...(creds.password !== undefined ? [creds.password] : [])]) {
        expect(logs).not.toContain(secret);
        expect(metrics).not.toContain(secret);
      }
    });
  });
}

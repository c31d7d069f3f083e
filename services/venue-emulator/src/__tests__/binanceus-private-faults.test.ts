/**
 * The private-side faults, seen from the client: an order accepted whose reply never comes (lost
 * ack, timeout, 503 "execution status unknown"), a user-data stream dropped while fills happen, a
 * fill delivered twice, and two events delivered swapped. Each order fault leaves the order on
 * the venue (the client must reconcile), and each is counted in
 * venue_emulator_faults_injected_total.
 */
import * as ccxt from 'ccxt';
import type { PrivateFault } from '../engine/faults';
import type { CcxtExchange } from './helpers/ccxt';
import { faultCount, startEmulator, type RunningEmulator } from './helpers/emulator';
import { keyed, newAccount, primeBook, privateClient, privateSide, signed, until, type Creds } from './helpers/private';
import { RawClients, type RawClient } from './helpers/raw-ws';

const SYMBOL = 'COMP/USDT';
let run: RunningEmulator;
let creds: Creds;
let ex: CcxtExchange;
const raws = new RawClients();
const opened: CcxtExchange[] = [];

function arm(kind: PrivateFault['kind'], o: Partial<PrivateFault> = {}): void {
  run.emu.faults.armPrivate('binanceus', { kind, delayMs: 10_000, status: 503, ...o }, 1);
}

async function open(options: Record<string, unknown> = {}): Promise<CcxtExchange> {
  const e = await privateClient(run, creds, options);
  opened.push(e);
  return e;
}

function bestBid(): number {
  return Number(run.emu.venue('binanceus')?.state.market(SYMBOL)?.book.best().bid?.[0]);
}

async function listenKeyStream(): Promise<RawClient> {
  const r = await keyed(run, creds.apiKey, 'POST', '/api/v3/userDataStream');
  return raws.open(`ws://127.0.0.1:${run.ports.binanceus}/ws/${(r.body as { listenKey: string }).listenKey}`);
}

type Report = { e: string; x?: string; t?: number; I?: number };
const reports = (r: RawClient): Report[] => r.json() as Report[];

beforeAll(async () => {
  run = await startEmulator({ venues: ['binanceus'] });
  primeBook(run, SYMBOL, 5);
});

beforeEach(async () => {
  creds = newAccount(run);
  ex = await open();
});

afterEach(() => {
  raws.closeAll();
  run.emu.faults.clear('binanceus');
});

afterAll(async () => {
  for (const e of opened) await e.close();
  await run.close();
});

describe('order faults: the order is accepted, the reply is not what it should be', () => {
  it('order_lost_ack: the connection closes without a reply (ccxt NetworkError); the order is open on the venue', async () => {
    arm('order_lost_ack');
    const price = Number(ex.priceToPrecision(SYMBOL, bestBid() * 0.9));
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'lost-1' })).rejects.toThrow(ccxt.NetworkError);
    const o = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'lost-1' });
    expect(o.status).toBe('open');
    expect(await faultCount(run.registry, 'binanceus', 'order_lost_ack')).toBe(1);
  });

  it('order_timeout: the reply comes after the client gave up (ccxt RequestTimeout); the order exists', async () => {
    arm('order_timeout', { delayMs: 1500 });
    const impatient = await open({ timeout: 300 });
    const price = Number(ex.priceToPrecision(SYMBOL, bestBid() * 0.9));
    await expect(impatient.createOrder(SYMBOL, 'limit', 'buy', 0.1, price, { clientOrderId: 'slow-1' })).rejects.toThrow(ccxt.RequestTimeout);
    expect((await ex.fetchOrder('', SYMBOL, { clientOrderId: 'slow-1' })).status).toBe('open');
    expect(await faultCount(run.registry, 'binanceus', 'order_timeout')).toBe(1);
  });

  it('order_5xx_after_accept: 503 with -1007 "execution status unknown" (ccxt RequestTimeout); the order exists', async () => {
    arm('order_5xx_after_accept');
    const price = (bestBid() * 0.9).toFixed(2);
    const raw = await signed(run, creds, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price, newClientOrderId: 'u-raw' }, { inBody: true });
    expect(raw).toMatchObject({ status: 503, body: { code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' } });
    arm('order_5xx_after_accept');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.1, Number(price), { clientOrderId: 'u-1' })).rejects.toThrow(ccxt.RequestTimeout);
    expect((await ex.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId).sort()).toEqual(['u-1', 'u-raw']);
    expect(await faultCount(run.registry, 'binanceus', 'order_5xx_after_accept')).toBe(2);
  });

  it('a refused order does not use up an armed order fault', async () => {
    const before = await faultCount(run.registry, 'binanceus', 'order_lost_ack');
    arm('order_lost_ack');
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 100)).rejects.toThrow(/-1013/);
    expect(run.emu.faults.pendingPrivate('binanceus')).toBe(1);
    expect(await faultCount(run.registry, 'binanceus', 'order_lost_ack')).toBe(before);
  });
});

describe('user-data stream faults', () => {
  it('user_stream_drop: the stream is dropped when a fill happens (ccxt watcher fails); REST still shows the fill', async () => {
    const w = await open();
    const pending = w.watchMyTrades(SYMBOL);
    pending.catch(() => undefined);
    await until(() => privateSide(run).subscribed > 0, 3000, 'subscribed');
    const r = await listenKeyStream();
    arm('user_stream_drop');
    const o = await ex.createOrder(SYMBOL, 'market', 'buy', 0.05);
    await expect(pending).rejects.toThrow(/NetworkError|closed|1006|Connection/i);
    await r.until(() => r.closed !== undefined, 3000, 'listen-key stream closed');
    expect(r.closed?.code).toBe(1006);
    expect(reports(r).some((m) => m.x === 'TRADE')).toBe(false);
    expect((await ex.fetchMyTrades(SYMBOL)).some((t) => t.order === o.id)).toBe(true);
    expect(await faultCount(run.registry, 'binanceus', 'user_stream_drop')).toBe(2);
  });

  it('fill_duplicate: the same trade executionReport arrives twice', async () => {
    const r = await listenKeyStream();
    arm('fill_duplicate');
    await ex.createOrder(SYMBOL, 'market', 'buy', 0.05);
    await r.until(() => reports(r).some((m) => m.e === 'outboundAccountPosition'), 3000, 'account position');
    const trades = reports(r).filter((m) => m.x === 'TRADE');
    const first = trades[0] as Report;
    expect(trades.filter((m) => m.t === first.t && m.I === first.I)).toHaveLength(2);
    expect(await faultCount(run.registry, 'binanceus', 'fill_duplicate')).toBe(1);
  });

  it('fill_out_of_order: a trade executionReport arrives after the event that followed it', async () => {
    const r = await listenKeyStream();
    arm('fill_out_of_order');
    const o = await ex.createOrder(SYMBOL, 'market', 'buy', 0.05);
    const tradesOfOrder = (o.trades ?? []).length;
    expect(tradesOfOrder).toBeGreaterThan(0);
    await r.until(() => reports(r).filter((m) => m.x === 'TRADE').length === tradesOfOrder && reports(r).some((m) => m.e === 'outboundAccountPosition'), 3000, 'all events');
    const got = reports(r).map((m) => m.x ?? m.e);
    // Delivered in order, the sequence is NEW, TRADE × n, outboundAccountPosition; the first trade
    // and the event after it have traded places.
    const normal = ['NEW', ...Array<string>(tradesOfOrder).fill('TRADE'), 'outboundAccountPosition'];
    const swapped = [...normal];
    [swapped[1], swapped[2]] = [normal[2] as string, normal[1] as string];
    expect(got).toEqual(swapped);
    if (tradesOfOrder > 1) {
      const ids = reports(r).filter((m) => m.x === 'TRADE').map((m) => m.I as number);
      expect(ids[0]).toBeGreaterThan(ids[1] as number);
    }
    expect(await faultCount(run.registry, 'binanceus', 'fill_out_of_order')).toBe(1);
  });
});

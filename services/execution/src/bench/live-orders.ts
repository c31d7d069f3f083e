/**
 * Order latency through the live path (section "execution-live" of `make bench`): for each venue
 * the emulator serves (a child process, its private side with a fresh account), N small market
 * orders one after another through CcxtVenue as the service builds it (createCcxtExchange, the
 * venue's market rules, the user stream). Per order:
 *  - submit→ack: CcxtVenue.submit until it resolves accepted (the venue's REST reply);
 *  - ack→fill: from there until the fill completing the order reaches the fill handler (the user
 *    stream, or REST where the venue has no trade stream; CcxtVenue holds a fill until the ack);
 *  - submit→fill: both.
 * Next to it, in the same run: the floor, a bare keep-alive HTTP GET of the venue's time endpoint
 * on the same emulator port (what any request costs), and the paper venue (MockVenue) filling the
 * same order at the same price. The service's database and outbox are not in any of the figures.
 */
import http from 'node:http';
import { createLogger, Dec, type Logger, type Symbol } from '@cte/shared';
import type { EmulatorProcess, EmulatorVenue } from '@cte/testkit';
import { CcxtVenue, createCcxtExchange, type ProExchange } from '../adapters/ccxt-venue';
import { MockVenue } from '../adapters/mock-venue';
import type { Venue, VenueOrderRequest } from '../adapters/venue';
import { Secret, type LiveVenueId } from '../config';
import { PrecisionTable } from '../engine/precision';
import type { Fill } from '../engine/types';

/** The venue's server-time endpoint: the cheapest request it answers. */
const TIME_PATH: Record<LiveVenueId, string> = {
  binanceus: '/api/v3/time',
  coinbase: '/api/v3/brokerage/time',
  kucoin: '/api/v1/timestamp',
};

const FILL_TIMEOUT_MS = 30_000;
/** Replay events stepped between orders, so the book keeps moving as it would. */
const EVENTS_BETWEEN_ORDERS = 20;

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  n: number;
}

export interface VenueLatency {
  venue: LiveVenueId;
  symbol: string;
  qty: string;
  floor: Percentiles;
  ccxt: { submitAck: Percentiles; ackFill: Percentiles; submitFill: Percentiles; rejected: number; unfilled: number; fillsPerOrder: number };
  paper: { submitAck: Percentiles; submitFill: Percentiles };
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function percentiles(xs: readonly number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), n: s.length };
}

/** The floor: `n` GETs of the venue's time endpoint over one keep-alive connection, one at a time. */
async function floorRoundTrips(port: number, path: string, n: number, warmup: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
      });
      req.once('error', reject);
    });
  try {
    for (let i = 0; i < warmup; i++) await get();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = nowMs();
      await get();
      out.push(nowMs() - t0);
    }
    return out;
  } finally {
    agent.destroy();
  }
}

/** Waits for the fill that completes each order, by order id. */
class FillWaiter {
  private readonly want = new Map<string, { qty: Dec; got: Dec; fills: number; done: (atMs: number) => void }>();
  fills = 0;

  readonly handler = (f: Fill): void => {
    const at = nowMs();
    this.fills++;
    const w = this.want.get(f.orderId);
    if (!w) return;
    w.got = w.got.add(f.qty);
    w.fills++;
    if (w.got.gte(w.qty)) {
      this.want.delete(f.orderId);
      w.done(at);
    }
  };

  /** Registers an order before it is sent; resolves with when its last fill arrived, or undefined after the timeout. */
  expect(orderId: string, qty: Dec): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.want.delete(orderId);
        resolve(undefined);
      }, FILL_TIMEOUT_MS);
      this.want.set(orderId, {
        qty,
        got: new Dec(0),
        fills: 0,
        done: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }
}

interface OrderTimes {
  submitAck: number[];
  ackFill: number[];
  submitFill: number[];
  rejected: number;
  unfilled: number;
}

/** Sends `n` market orders (after `warmup` unmeasured ones), alternately buying and selling, one at a time. */
async function timeOrders(venue: Venue, waiter: FillWaiter, make: (i: number) => VenueOrderRequest, n: number, warmup: number, between: () => Promise<void>): Promise<OrderTimes> {
  const out: OrderTimes = { submitAck: [], ackFill: [], submitFill: [], rejected: 0, unfilled: 0 };
  for (let i = 0; i < warmup + n; i++) {
    const order = make(i);
    const filled = waiter.expect(order.orderId, order.qty);
    const t0 = nowMs();
    const ack = await venue.submit(order);
    const tAck = nowMs();
    const tFill = ack.accepted ? await filled : undefined;
    if (i >= warmup) {
      if (!ack.accepted) out.rejected++;
      else if (tFill === undefined) out.unfilled++;
      else {
        out.submitAck.push(tAck - t0);
        // The paper venue fills inside submit, and CcxtVenue may hand the fill over a tick before
        // the submit's promise resumes us: the fill is then "at the ack".
        out.ackFill.push(Math.max(0, tFill - tAck));
        out.submitFill.push(Math.max(tFill, tAck) - t0);
      }
    } else if (!ack.accepted) {
      throw new Error(`${venue.name}: warm-up order rejected: ${ack.reason}`);
    }
    await between();
  }
  return out;
}

function credentialsOf(a: { api_key: string; secret: string; passphrase?: string }): { apiKey: Secret; secret: Secret; password?: Secret } {
  return { apiKey: new Secret(a.api_key), secret: new Secret(a.secret), ...(a.passphrase !== undefined ? { password: new Secret(a.passphrase) } : {}) };
}

/** The first market of the venue (dollar-quoted first) whose book has both sides (the replay stepped until it has), with its mid price. */
async function pickMarket(emu: EmulatorProcess, v: EmulatorVenue, ex: ProExchange): Promise<{ symbol: string; mid: Dec }> {
  const markets = await ex.loadMarkets();
  // Dollar-quoted markets first: their captured books are the deepest.
  const usd = (m: string): number => (/\/(USD|USDT)$/.test(m) ? 0 : 1);
  const candidates = v.markets.filter((m) => markets[m]?.active !== false && markets[m] !== undefined).sort((a, b) => usd(a) - usd(b));
  if (candidates.length === 0) throw new Error(`${v.venue}: no emulator market is listed by ccxt (${v.markets.join(', ')})`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const symbol of candidates) {
      const book = await ex.fetchOrderBook(symbol, 20);
      const bid = book.bids[0]?.[0];
      const ask = book.asks[0]?.[0];
      if (typeof bid === 'number' && typeof ask === 'number' && book.bids.length >= 5 && book.asks.length >= 5) return { symbol, mid: new Dec(String((bid + ask) / 2)) };
    }
    if (Date.now() > deadline) throw new Error(`${v.venue}: no market with a two-sided book after stepping the replay`);
    await emu.advance(2000, v.venue);
  }
}

/** The smallest quantity the venue's rules take with room: 3× the minimum notional at the mid, at least the minimum quantity, on the lot step. */
function orderQty(venue: CcxtVenue, symbol: string, mid: Dec): Dec {
  const r = venue.marketRules(symbol);
  if (!r) throw new Error(`${venue.name}: no market rules for ${symbol}`);
  let qty = r.minNotional ? r.minNotional.mul(3).div(mid) : new Dec(0);
  const minQty = r.marketMinQty ?? r.minQty;
  if (minQty && qty.lt(minQty.mul(2))) qty = minQty.mul(2);
  if (qty.lte(0)) qty = new Dec(10).div(mid);
  if (r.qtyStep && r.qtyStep.gt(0)) qty = qty.div(r.qtyStep).ceil().mul(r.qtyStep);
  return qty;
}

async function benchVenue(emu: EmulatorProcess, v: EmulatorVenue, n: number, warmup: number, logger: Logger): Promise<VenueLatency> {
  const id = v.venue;
  const floor = await floorRoundTrips(v.port, TIME_PATH[id], n, warmup);

  // Every asset of the venue's markets (the emulator's names, as its accounts take them), plenty of each.
  const assets = [...new Set(v.markets.flatMap((m) => m.split('/')))];
  const account = await emu.createAccount(id, { balances: Object.fromEntries(assets.map((a) => [a, '1000000000'])) });
  const credentials = credentialsOf(account);
  const exchange = await createCcxtExchange({ id, symbols: [], baseUrl: `http://127.0.0.1:${v.port}`, credentials }, 10_000);
  let market: { symbol: string; mid: Dec };
  try {
    market = await pickMarket(emu, v, exchange);
  } catch (err) {
    await exchange.close();
    throw err;
  }
  const venue = new CcxtVenue({
    id,
    exchange,
    symbols: [market.symbol],
    secrets: [account.api_key, account.secret, ...(account.passphrase !== undefined ? [account.passphrase] : [])],
    // The service's defaults (config.ts).
    policy: { maxSends: 2, maxLookups: 5, settleMs: 5000, lookupBackoffMs: 500 },
    reconcileMs: 15_000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 30_000,
    logger,
    referencePrice: () => market.mid,
  });
  const waiter = new FillWaiter();
  venue.onFill(waiter.handler);
  let ccxtTimes: OrderTimes;
  let qty: Dec;
  try {
    await venue.start();
    qty = orderQty(venue, market.symbol, market.mid);
    const run = `${Date.now().toString(36)}${id.slice(0, 2)}`;
    const make = (i: number): VenueOrderRequest => ({
      orderId: `bench-${run}-${i}`,
      clientOrderId: `bench-${run}-${i}`,
      symbol: market.symbol,
      side: i % 2 === 0 ? 'buy' : 'sell',
      type: 'market',
      qty,
      limitPrice: null,
    });
    ccxtTimes = await timeOrders(venue, waiter, make, n, warmup, async () => void (await emu.advance(EVENTS_BETWEEN_ORDERS, id)));
  } finally {
    await venue.close();
  }

  // The paper venue: the same order at the same price, in this process.
  const paper = new MockVenue({
    venue: 'mock',
    precision: new PrecisionTable(),
    slippageBps: new Dec(5),
    impactBps: new Dec(10),
    liquidityNotional: new Dec(100_000),
    takerFeeBps: new Dec(10),
    makerFeeBps: new Dec(5),
    maxPriceAgeMs: 60_000,
    maxPriceSilenceMs: 300_000,
  });
  const paperWaiter = new FillWaiter();
  paper.onFill(paperWaiter.handler);
  const sym: Symbol = market.symbol;
  paper.onPrice(sym, market.mid, Date.now());
  const paperTimes = await timeOrders(
    paper,
    paperWaiter,
    (i) => ({ orderId: `paper-${i}`, clientOrderId: `paper-${i}`, symbol: sym, side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', qty, limitPrice: null }),
    n,
    warmup,
    async () => paper.onPrice(sym, market.mid, Date.now()),
  );
  await paper.close();
  if (paperTimes.rejected + paperTimes.unfilled > 0) throw new Error(`${id}: paper venue: ${paperTimes.rejected} rejected, ${paperTimes.unfilled} unfilled`);

  return {
    venue: id,
    symbol: market.symbol,
    qty: qty.toFixed(),
    floor: percentiles(floor),
    ccxt: {
      submitAck: percentiles(ccxtTimes.submitAck),
      ackFill: percentiles(ccxtTimes.ackFill),
      submitFill: percentiles(ccxtTimes.submitFill),
      rejected: ccxtTimes.rejected,
      unfilled: ccxtTimes.unfilled,
      fillsPerOrder: waiter.fills / (n + warmup),
    },
    paper: { submitAck: percentiles(paperTimes.submitAck), submitFill: percentiles(paperTimes.submitFill) },
  };
}

export async function benchLiveOrders(emu: EmulatorProcess, n: number, warmup: number): Promise<VenueLatency[]> {
  const logger = createLogger({ service: 'bench', level: 'error' });
  // A book on every venue before the first order.
  await emu.advance(5000);
  const out: VenueLatency[] = [];
  for (const v of emu.venues) out.push(await benchVenue(emu, v, n, warmup, logger));
  return out;
}

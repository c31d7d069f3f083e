/** The mock venue's matching engine with injected prices: slippage, impact, fees, liquidity, limits, stale prices. */
import { Dec } from '@cte/shared';
import { PaperExchange, type PaperExchangeOptions, type PaperOrder } from '../engine/paper-exchange';
import { PrecisionTable } from '../engine/precision';

const d = (s: string | number) => new Dec(s);
const T0 = Date.UTC(2019, 7, 20);
const BTC = 'BTC/USD';

function exchange(over: Partial<PaperExchangeOptions> = {}): PaperExchange {
  return new PaperExchange({
    venue: 'mock',
    slippageBps: d(5),
    impactBps: d(10),
    liquidityNotional: d(100_000),
    takerFeeBps: d(10),
    makerFeeBps: d(5),
    maxPriceAgeMs: 60_000,
    maxPriceSilenceMs: 0,
    precision: new PrecisionTable(),
    ...over,
  });
}

let n = 0;
function order(over: Partial<PaperOrder> = {}): PaperOrder {
  n++;
  return { orderId: `o${n}`, clientOrderId: `c${n}`, symbol: BTC, side: 'buy', type: 'market', qty: d('0.1'), limitPrice: null, ...over };
}

function accepted(r: ReturnType<PaperExchange['submit']>) {
  if (!r.accepted) throw new Error(`rejected: ${r.reason}`);
  return r;
}

describe('PaperExchange market orders', () => {
  it('fills at the latest price plus slippage (base + size impact) and charges the taker fee in quote', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const buy = accepted(x.submit(order({ qty: d('0.1') }), 0));
    expect(buy.fills).toHaveLength(1);
    const f = buy.fills[0]!;
    // notional 1,000 → 5 + 10 × 1,000/100,000 = 5.1 bps
    expect(f.price.toFixed()).toBe('10005.1');
    expect(f.qty.toFixed()).toBe('0.1');
    expect(f.fee.toFixed()).toBe('1.00051');
    expect(f).toMatchObject({ feeCurrency: 'USD', liquidity: 'taker', ts: T0, venue: 'mock', venueTradeId: `${buy.venueOrderId}-1`, side: 'buy' });

    const sell = accepted(x.submit(order({ side: 'sell', qty: d('0.1') }), 0));
    expect(sell.fills[0]!.price.toFixed()).toBe('9994.9');
    expect(sell.fills[0]!.fee.toFixed()).toBe('0.99949');
  });

  it('charges more slippage for larger orders (impact term)', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const f = accepted(x.submit(order({ qty: d('5') }), 0)).fills[0]!;
    // notional 50,000 → 5 + 5 = 10 bps
    expect(f.price.toFixed()).toBe('10010');
    expect(f.fee.toFixed()).toBe('50.05');
    const noSlip = exchange({ slippageBps: d(0), impactBps: d(0) });
    noSlip.onPrice(BTC, d('10000'), T0, 0);
    expect(accepted(noSlip.submit(order({ qty: d('5') }), 0)).fills[0]!.price.toFixed()).toBe('10000');
  });

  it('fills a large order partially, one liquidity cap per tick, until done', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const r = accepted(x.submit(order({ qty: d('25') }), 0));
    expect(r.fills.map((f) => [f.qty.toFixed(), f.price.toFixed()])).toEqual([['10', '10015']]);
    expect(x.openOrders()).toHaveLength(1);
    expect(x.openOrders()[0]!.filledQty.toFixed()).toBe('10');
    const second = x.onPrice(BTC, d('10000'), T0 + 1000, 1);
    expect(second.map((f) => f.qty.toFixed())).toEqual(['10']);
    const third = x.onPrice(BTC, d('10000'), T0 + 2000, 2);
    expect(third.map((f) => [f.qty.toFixed(), f.price.toFixed(), f.ts])).toEqual([['5', '10010', T0 + 2000]]);
    expect(third[0]!.venueTradeId).toBe(`${r.venueOrderId}-3`);
    expect(x.openOrders()).toHaveLength(0);
    expect(x.order(r.venueOrderId)).toMatchObject({ status: 'filled' });
    expect(x.order(r.venueOrderId)!.filledQty.toFixed()).toBe('25');
    expect(x.onPrice(BTC, d('10000'), T0 + 3000, 3)).toEqual([]);
  });

  it('shares one tick of liquidity between orders in arrival order', () => {
    const x = exchange({ slippageBps: d(0), impactBps: d(0) });
    x.onPrice(BTC, d('10000'), T0, 0);
    expect(accepted(x.submit(order({ qty: d('8') }), 0)).fills[0]!.qty.toFixed()).toBe('8');
    expect(accepted(x.submit(order({ qty: d('5') }), 0)).fills[0]!.qty.toFixed()).toBe('2');
    const third = accepted(x.submit(order({ qty: d('1') }), 0));
    expect(third.fills).toEqual([]); // nothing left at this tick
    const next = x.onPrice(BTC, d('10000'), T0 + 1, 1);
    expect(next.map((f) => f.qty.toFixed())).toEqual(['3', '1']);
  });

  it('rounds partial quantities down to the market step', () => {
    const x = exchange({ slippageBps: d(0), impactBps: d(0) });
    x.onPrice(BTC, d('30000'), T0, 0);
    expect(accepted(x.submit(order({ qty: d('5') }), 0)).fills[0]!.qty.toFixed()).toBe('3.33333333');
  });
});

describe('PaperExchange limit orders', () => {
  it('rests until the price crosses, then fills at the limit with the maker fee', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const r = accepted(x.submit(order({ type: 'limit', qty: d('0.5'), limitPrice: d('9990') }), 0));
    expect(r.fills).toEqual([]);
    expect(x.onPrice(BTC, d('9995'), T0 + 1, 1)).toEqual([]);
    const fills = x.onPrice(BTC, d('9980'), T0 + 2, 2);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.price.toFixed()).toBe('9990');
    expect(fills[0]!.liquidity).toBe('maker');
    expect(fills[0]!.fee.toFixed()).toBe('2.4975'); // 0.5 × 9990 × 5 bps
    expect(fills[0]!.ts).toBe(T0 + 2);

    const so = order({ side: 'sell', type: 'limit', qty: d('1'), limitPrice: d('10010') });
    expect(accepted(x.submit(so, 3)).fills).toEqual([]);
    expect(x.onPrice(BTC, d('10009.99'), T0 + 3, 3)).toEqual([]);
    const up = x.onPrice(BTC, d('10020'), T0 + 4, 4);
    expect(up.map((f) => [f.orderId, f.price.toFixed(), f.liquidity])).toEqual([[so.orderId, '10010', 'maker']]);
  });

  it('fills a marketable limit order at once, as taker, never beyond its limit', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const capped = accepted(x.submit(order({ type: 'limit', qty: d('0.1'), limitPrice: d('10003') }), 0)).fills[0]!;
    expect(capped.price.toFixed()).toBe('10003'); // slipped price 10005.1 is beyond the limit
    expect(capped.liquidity).toBe('taker');
    expect(capped.fee.toFixed()).toBe('1.0003');
    const wide = accepted(x.submit(order({ type: 'limit', qty: d('0.1'), limitPrice: d('10100') }), 0)).fills[0]!;
    expect(wide.price.toFixed()).toBe('10005.1');
    const sell = accepted(x.submit(order({ side: 'sell', type: 'limit', qty: d('0.1'), limitPrice: d('9999') }), 0)).fills[0]!;
    expect(sell.price.toFixed()).toBe('9999');
  });

  it('a resting order partially filled by liquidity keeps filling on later crossing ticks', () => {
    const x = exchange({ liquidityNotional: d(1000) });
    x.onPrice(BTC, d('100'), T0, 0);
    const r = accepted(x.submit(order({ type: 'limit', qty: d('15'), limitPrice: d('99') }), 0));
    expect(r.fills).toEqual([]);
    expect(x.onPrice(BTC, d('98'), T0 + 1, 1).map((f) => [f.qty.toFixed(), f.price.toFixed()])).toEqual([['10.1010101', '99']]);
    expect(x.onPrice(BTC, d('101'), T0 + 2, 2)).toEqual([]); // no longer crossing
    expect(x.onPrice(BTC, d('99'), T0 + 3, 3).map((f) => f.qty.toFixed())).toEqual(['4.8989899']);
    expect(x.openOrders()).toEqual([]);
  });

  it('cancel removes a resting order; a filled or unknown one cannot be canceled', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const r = accepted(x.submit(order({ type: 'limit', limitPrice: d('9000') }), 0));
    expect(x.cancel(r.venueOrderId)).toBe(true);
    expect(x.order(r.venueOrderId)!.status).toBe('canceled');
    expect(x.cancel(r.venueOrderId)).toBe(false);
    expect(x.onPrice(BTC, d('8000'), T0 + 1, 1)).toEqual([]);
    const m = accepted(x.submit(order(), 1));
    expect(x.cancel(m.venueOrderId)).toBe(false);
    expect(x.cancel('mock-nope')).toBe(false);
  });

  it('restores an open order after a restart and continues its trade ids', () => {
    const x = exchange();
    x.restore({ ...order({ type: 'limit', qty: d('1'), limitPrice: d('100') }), orderId: 'r1', venueOrderId: 'mock-r1', filledQty: d('0.4'), fillCount: 2 });
    expect(x.openOrders().map((o) => o.venueOrderId)).toEqual(['mock-r1']);
    const fills = x.onPrice(BTC, d('99'), T0, 0);
    expect(fills.map((f) => [f.venueTradeId, f.qty.toFixed()])).toEqual([['mock-r1-3', '0.6']]);
    // A second restore of a known order is a no-op.
    x.restore({ ...order(), orderId: 'r1', venueOrderId: 'mock-r1', filledQty: d('0'), fillCount: 0 });
    expect(x.openOrders()).toEqual([]);
  });
});

describe('PaperExchange fresh prices', () => {
  it('rejects orders on a symbol without a price', () => {
    expect(exchange().submit(order(), 0)).toEqual({ accepted: false, reason: 'no_price' });
  });

  it('judges freshness in data time: the symbol\'s tick ts against the newest data time seen', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    x.onPrice('ETH/USD', d('200'), T0 + 60_000, 0);
    expect(x.submit(order(), 0).accepted).toBe(true); // exactly the max age
    x.onPrice('ETH/USD', d('200'), T0 + 60_001, 0);
    expect(x.submit(order(), 0)).toEqual({ accepted: false, reason: 'stale_price' });
    expect(x.submit(order({ type: 'limit', limitPrice: d('1') }), 0)).toEqual({ accepted: false, reason: 'stale_price' });
    x.onPrice(BTC, d('10001'), T0 + 60_001, 0);
    expect(x.submit(order(), 0).accepted).toBe(true);
    // Wall time does not matter by default: a replay an hour later in wall time is still fresh.
    expect(x.submit(order(), 3_600_000).accepted).toBe(true);
  });

  it('optionally rejects when no price arrived for too long in wall time (a stopped feed)', () => {
    const x = exchange({ maxPriceSilenceMs: 1000 });
    x.onPrice(BTC, d('10000'), T0, 5000);
    expect(x.submit(order(), 6000).accepted).toBe(true);
    expect(x.submit(order(), 6001)).toEqual({ accepted: false, reason: 'stale_price' });
  });

  it('ignores a price older than the one it has, and non-positive prices', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0 + 10, 0);
    x.onPrice(BTC, d('5000'), T0 + 5, 0);
    x.onPrice(BTC, d('0'), T0 + 20, 0);
    expect(x.latest(BTC)).toEqual({ price: d('10000'), ts: T0 + 10 });
  });

  it('refuses the same order id twice', () => {
    const x = exchange();
    x.onPrice(BTC, d('10000'), T0, 0);
    const o = order({ type: 'limit', limitPrice: d('1') });
    expect(x.submit(o, 0).accepted).toBe(true);
    expect(x.submit(o, 0)).toEqual({ accepted: false, reason: 'duplicate_order' });
  });
});

describe('PaperExchange data-time fills (issue 13)', () => {
  const H = 3_600_000;
  /** The demo's ticks of two hourly bars: open, low, high, close of each. */
  const ticks: Array<[string, number]> = [
    ['10000', T0],
    ['9950', T0 + 15 * 60_000],
    ['10100', T0 + 30 * 60_000],
    ['10050', T0 + H - 1],
    ['10060', T0 + H],
    ['10010', T0 + H + 15 * 60_000],
    ['10200', T0 + H + 30 * 60_000],
  ];
  const fingerprint = (fills: ReadonlyArray<{ price: Dec; qty: Dec; fee: Dec; ts: number }>) => fills.map((f) => `${f.qty.toFixed()}@${f.price.toFixed()}+${f.fee.toFixed()}#${f.ts}`);

  /** Feeds the first `arrivedTicks` ticks, submits the order with data time T0 + 1 h, then the rest. */
  function fillsWhenOrderArrivesAfter(arrivedTicks: number, o: PaperOrder) {
    const x = exchange();
    const fills = [];
    for (const [p, ts] of ticks.slice(0, arrivedTicks)) fills.push(...x.onPrice(BTC, d(p), ts, 0));
    fills.push(...accepted(x.submit(o, 0, T0 + H)).fills);
    for (const [p, ts] of ticks.slice(arrivedTicks)) fills.push(...x.onPrice(BTC, d(p), ts, 0));
    return fills;
  }

  it('fills at the first price at or after the order data time, wherever the order arrives among the ticks', () => {
    const results = [];
    for (let arrived = 0; arrived <= ticks.length; arrived++) {
      n = 100; // the same order id each time
      results.push(fingerprint(fillsWhenOrderArrivesAfter(arrived, order({ qty: d('0.1') }))));
    }
    // 10060 (the tick at T0 + 1 h) + 5.1006 bps slippage (5 + 10 × 1,006/100,000).
    expect(results[0]).toEqual(['0.1@10065.1312036+1.00651312036#' + (T0 + H)]);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('a large order takes the liquidity of successive prices from its data time on, the same whenever it arrives', () => {
    const results = [];
    for (let arrived = 0; arrived <= ticks.length; arrived++) {
      n = 200;
      results.push(fingerprint(fillsWhenOrderArrivesAfter(arrived, order({ qty: d('25') }))));
    }
    expect(results[0]!.length).toBeGreaterThan(1);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('without a data time, an order still fills at the latest price (the timing-dependent behaviour)', () => {
    const x = exchange();
    for (const [p, ts] of ticks.slice(0, 6)) x.onPrice(BTC, d(p), ts, 0);
    const f = accepted(x.submit(order(), 0)).fills[0]!;
    expect(f.ts).toBe(T0 + H + 15 * 60_000);
  });

  it('an open order restored with its data time (after a restart) still waits for the first price at or after it', () => {
    const x = exchange();
    x.restore({ ...order(), venueOrderId: 'mock-restored', filledQty: d('0'), fillCount: 0, dataTime: T0 + H });
    expect(x.onPrice(BTC, d('10000'), T0 + H - 1, 0)).toEqual([]);
    const fills = x.onPrice(BTC, d('10060'), T0 + H, 0);
    expect(fills.map((f) => f.ts)).toEqual([T0 + H]);
    expect(x.openOrders(BTC)).toHaveLength(0);
  });

  it('an order with a data time and no price yet waits for it instead of being refused', () => {
    const x = exchange();
    const r = accepted(x.submit(order(), 0, T0));
    expect(r.fills).toEqual([]);
    expect(x.openOrders(BTC)).toHaveLength(1);
    expect(x.onPrice(BTC, d('10000'), T0 - 1, 0)).toEqual([]);
    const fills = x.onPrice(BTC, d('10000'), T0, 0);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.ts).toBe(T0);
    expect(x.openOrders(BTC)).toHaveLength(0);
  });
});

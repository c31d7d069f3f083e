import { candlesFromTrades, selectCandles } from '../engine/candles';
import { decAdd, decCmp, decDiv, decFixed, decMul, decSub } from '../engine/decimal';
import { FaultBook, malformedFrame, restFaultReply } from '../engine/faults';
import { OrderBook } from '../engine/order-book';
import { rebaseAndMerge, ReplayClock, Replayer } from '../engine/replay';
import type { FeedEvent, TradeEvent } from '../engine/types';

const trade = (ts: number, id: number, price: string, size: string, side: 'buy' | 'sell' = 'buy'): TradeEvent => ({ kind: 'trade', symbol: 'A/B', ts, id, price, size, side });

describe('decimal strings', () => {
  it('add, subtract, multiply and divide without float drift', () => {
    expect(decAdd('0.1', '0.2')).toBe('0.3');
    expect(decSub('1', '1.00000001')).toBe('-0.00000001');
    expect(decMul('13.8048', '2.1')).toBe('28.99008');
    expect(decDiv('1', '3', 8)).toBe('0.33333333');
    expect(decFixed('13.8', 8)).toBe('13.80000000');
    expect(decCmp('2.10', '2.1')).toBe(0);
    expect(() => decAdd('1e5', '1')).toThrow(/not a decimal/);
  });
});

describe('OrderBook', () => {
  it('gives every changed level one sequence number, removes zero-size levels, sorts best first', () => {
    const b = new OrderBook(100);
    const u1 = b.apply([['10', '1'], ['11', '2']], [['12', '3']]);
    expect([u1.firstSeq, u1.lastSeq]).toEqual([101, 103]);
    const u2 = b.apply([['11', '0']], []);
    expect([u2.firstSeq, u2.lastSeq]).toEqual([104, 104]);
    expect(b.snapshot()).toEqual({ sequence: 104, bids: [['10', '1']], asks: [['12', '3']] });
  });

  it('publishes a snapshot as the difference, so a delta client ends at the snapshot', () => {
    const b = new OrderBook(0);
    b.apply([['10', '1'], ['9', '1']], [['12', '1']]);
    const u = b.reset([['9', '2']], [['13', '1']]);
    const client = new OrderBook(0);
    client.apply([['10', '1'], ['9', '1']], [['12', '1']]);
    client.apply(u.bids, u.asks);
    expect(client.snapshot().bids).toEqual([['9', '2']]);
    expect(client.snapshot().asks).toEqual([['13', '1']]);
    expect(u.firstSeq).toBe(4);
  });

  it('skip burns sequence numbers: the next update shows the gap', () => {
    const b = new OrderBook(0);
    b.apply([['1', '1']], []);
    b.skip(5);
    expect(b.apply([['2', '1']], []).firstSeq).toBe(7);
  });
});

describe('candles', () => {
  it('bars from trades equal an independent computation', () => {
    const ts = [0, 10_000, 59_999, 60_000, 61_000, 180_500];
    const prices = ['5', '7', '6', '4', '4.5', '9'];
    const trades = ts.map((t, i) => trade(t, i, prices[i] as string, '0.5', i % 2 ? 'sell' : 'buy'));
    const bars = candlesFromTrades(trades, 60_000);
    // Independent: group by minute with plain numbers.
    const byMinute = new Map<number, number[]>();
    ts.forEach((t, i) => byMinute.set(Math.floor(t / 60_000), [...(byMinute.get(Math.floor(t / 60_000)) ?? []), Number(prices[i])]));
    expect(bars.map((b) => b.start / 60_000)).toEqual([...byMinute.keys()]);
    bars.forEach((b) => {
      const ps = byMinute.get(b.start / 60_000) as number[];
      expect([b.open, b.high, b.low, b.close].map(Number)).toEqual([ps[0], Math.max(...ps), Math.min(...ps), ps[ps.length - 1]]);
      expect(Number(b.volume)).toBe(ps.length * 0.5);
      expect(b.count).toBe(ps.length);
    });
    expect(bars[0]?.takerBuyVolume).toBe('1');
    expect(selectCandles(bars, { since: 60_000, limit: 1 }).map((b) => b.start)).toEqual([180_000]);
  });
});

describe('replay', () => {
  const events: FeedEvent[] = [trade(1000, 5, '1', '1'), { kind: 'book', symbol: 'A/B', ts: 1500, bids: [], asks: [], snapshot: false }, trade(3000, 6, '2', '1')];

  it('advances by time and steps by count', () => {
    const r = new Replayer(events, 0, false);
    expect(r.advanceTo(1500).map((e) => e.ts)).toEqual([1000, 1500]);
    expect(r.advanceTo(2999)).toEqual([]);
    expect(r.step(5).map((e) => e.ts)).toEqual([3000]);
    expect(r.exhausted).toBe(true);
    expect(r.nextTs()).toBeUndefined();
  });

  it('loops forward in time with fresh trade ids', () => {
    const r = new Replayer(events, 0, true);
    const two = r.step(6).filter((e): e is TradeEvent => e.kind === 'trade');
    expect(two.map((t) => t.id)).toEqual([5, 6, 7, 8]);
    const ts = two.map((t) => t.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(new Set(ts).size).toBe(4);
  });

  it('rejects unsorted input', () => {
    expect(() => new Replayer([events[2] as FeedEvent, events[0] as FeedEvent], 0, false)).toThrow(/sorted/);
  });

  it('rebases each source to the start and merges them', () => {
    const a = [trade(100, 1, '1', '1'), trade(300, 2, '1', '1')];
    const b = [trade(5_000_000, 9, '1', '1'), trade(5_000_100, 10, '1', '1')];
    expect(rebaseAndMerge([a, b], 1000).map((e) => [e.ts, (e as TradeEvent).id])).toEqual([[1000, 1], [1000, 9], [1100, 10], [1200, 2]]);
  });

  it('ReplayClock maps wall time to capture time at its speed', () => {
    const c = new ReplayClock(10_000, 500, 4);
    expect(c.captureTimeAt(10_250)).toBe(1500);
    expect(c.wallTimeOf(1500)).toBe(10_250);
    expect(() => new ReplayClock(0, 0, 0)).toThrow();
  });
});

describe('FaultBook', () => {
  it('consumes armed REST faults per venue and path prefix', () => {
    const f = new FaultBook();
    f.armRest('kucoin', { kind: 'rest_5xx', status: 502 }, 2, '/api/v1/timestamp');
    expect(f.takeRest('kucoin', '/api/v2/symbols')).toBeUndefined();
    expect(f.takeRest('binanceus', '/api/v1/timestamp')).toBeUndefined();
    expect(f.takeRest('kucoin', '/api/v1/timestamp')).toEqual({ kind: 'rest_5xx', status: 502 });
    expect(f.pendingRest('kucoin')).toBe(1);
    f.takeRest('kucoin', '/api/v1/timestamp');
    expect(f.takeRest('kucoin', '/api/v1/timestamp')).toBeUndefined();
    expect(() => f.armRest('kucoin', { kind: 'rest_delay', delayMs: 1 }, 0)).toThrow();
  });

  it('stalls until a time and clears', () => {
    const f = new FaultBook();
    f.stall('coinbase', 1000);
    expect(f.isStalled('coinbase', 999)).toBe(true);
    expect(f.isStalled('coinbase', 1000)).toBe(false);
    f.stall('coinbase', 5000);
    f.clear('coinbase');
    expect(f.isStalled('coinbase', 10)).toBe(false);
  });

  it('answers in each venue’s error format, with Retry-After on rate limits', () => {
    expect(restFaultReply('binanceus', { kind: 'rest_418', retryAfterS: 60 })).toMatchObject({ status: 418, headers: { 'Retry-After': '60' }, body: { code: -1003 } });
    expect(restFaultReply('kucoin', { kind: 'rest_429', retryAfterS: 2 })).toMatchObject({ status: 429, body: { code: '429000' } });
    expect(restFaultReply('coinbase', { kind: 'rest_5xx', status: 504 })).toMatchObject({ status: 504 });
    expect(restFaultReply('coinbase', { kind: 'rest_delay', delayMs: 5 })).toBeUndefined();
  });

  it('makes frames a parser must reject', () => {
    const good = '{"e":"depthUpdate","U":12,"b":[["1.5","2"]]}';
    expect(() => JSON.parse(malformedFrame('truncated', good)) as unknown).toThrow();
    expect(() => JSON.parse(malformedFrame('not_json', good)) as unknown).toThrow();
    expect(JSON.parse(malformedFrame('wrong_types', good))).toEqual({ e: 'depthUpdate', U: 'x12', b: [['NaN', 'NaN']] });
  });
});

/** The in-memory parts around the engine: price book, counters, pending book, index, cache, writer. */
import { createLogger, Dec, UnavailableError, type Symbol } from '@cte/shared';
import { BloomFilter, LruMap } from '../adapters/decision-index';
import { EventWriter } from '../adapters/event-writer';
import { ExposureCache, parseExposure, type ExposureSource } from '../adapters/portfolio.gateway';
import type { EventRow } from '../adapters/repository';
import { PendingBook } from '../engine/pending-book';
import { PriceBook } from '../engine/price-book';
import { dayLabel, TradeCounter, utcDay } from '../engine/trade-counter';
import { exposure } from './helpers/engine';

const logger = createLogger({ service: 'test', level: 'silent' });
const BTC = 'BTC/USDT' as Symbol;
const ETH = 'ETH/USDT' as Symbol;

describe('PriceBook', () => {
  it('ages a symbol against the newest tick of any symbol (data time)', () => {
    const b = new PriceBook();
    b.update(BTC, new Dec(100), 1_000);
    b.update(ETH, new Dec(10), 61_000);
    expect(b.view(BTC)).toEqual({ price: new Dec(100), ageMs: 60_000, feedSilenceMs: 0 });
    expect(b.view(ETH)?.ageMs).toBe(0);
    expect(b.dataNow).toBe(61_000);
  });

  it('ignores older ticks and measures feed silence in wall time', () => {
    const b = new PriceBook();
    b.update(BTC, new Dec(100), 2_000, 5_000);
    expect(b.update(BTC, new Dec(99), 1_000, 6_000)).toBe(false);
    expect(b.view(BTC, 9_000)).toMatchObject({ price: new Dec(100), feedSilenceMs: 4_000 });
  });
});

describe('TradeCounter', () => {
  it('counts per UTC day, overall and per symbol, keeping two days', () => {
    const c = new TradeCounter();
    const day = utcDay(Date.UTC(2019, 7, 20, 23, 59));
    expect(dayLabel(day)).toBe('2019-08-20');
    c.record(day, BTC);
    c.record(day, BTC);
    c.record(day, ETH);
    expect(c.total(day)).toBe(3);
    expect(c.forSymbol(day, BTC)).toBe(2);
    c.record(day + 1, ETH);
    expect(c.total(day + 1)).toBe(1);
    expect(c.total(day)).toBe(3);
    c.record(day + 2, ETH);
    expect(c.total(day)).toBe(0);
  });
});

describe('PendingBook', () => {
  it('sums pending approvals per direction and expires or releases them exactly', () => {
    const p = new PendingBook();
    p.add('a', BTC, 'buy', new Dec('0.1'), new Dec('10'), 1000);
    p.add('b', BTC, 'buy', new Dec('0.2'), new Dec('20'), 2000);
    p.add('c', ETH, 'sell', new Dec('1'), new Dec('5'), 3000);
    expect(p.view(BTC)).toEqual({ buyQty: new Dec('0.3'), sellQty: new Dec(0), grossNotional: new Dec(35) });
    p.expire(1000);
    expect(p.view(BTC)?.buyQty.toFixed()).toBe('0.2');
    expect(p.release('c')).toBe(true);
    expect(p.release('c')).toBe(false);
    expect(p.view(ETH)).toEqual({ buyQty: new Dec(0), sellQty: new Dec(0), grossNotional: new Dec(20) });
    p.expire(5000);
    expect(p.view(BTC)).toBeUndefined();
    expect(p.size).toBe(0);
  });
});

describe('decision index', () => {
  it('the Bloom filter never forgets an id', () => {
    const f = new BloomFilter(10_000);
    const ids = Array.from({ length: 10_000 }, (_, i) => `rec-${i}`);
    for (const id of ids) f.add(id);
    expect(ids.every((id) => f.mightContain(id))).toBe(true);
    const fp = Array.from({ length: 10_000 }, (_, i) => `other-${i}`).filter((id) => f.mightContain(id)).length;
    expect(fp).toBeLessThan(300); // ~1% by design
  });

  it('the LRU keeps the most recently used', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    m.set('c', 3);
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([1, undefined, 3]);
  });
});

describe('exposure', () => {
  it('parses and validates GetExposure', () => {
    const e = parseExposure({
      equity: '1000.5',
      gross_exposure: '300',
      symbols: [{ symbol: 'BTC/USDT', qty: '-0.5', notional: '300' }],
      start_of_day_equity: '',
      peak_equity: '1200',
    });
    expect(e.symbols.get(BTC)).toEqual({ qty: new Dec('-0.5'), notional: new Dec(300) });
    expect(e.startOfDayEquity.isZero()).toBe(true);
    expect(() => parseExposure({ equity: '', gross_exposure: '0', symbols: [], start_of_day_equity: '', peak_equity: '' })).toThrow(/exposure.equity/);
    expect(() => parseExposure({ equity: '1', gross_exposure: '-1', symbols: [], start_of_day_equity: '', peak_equity: '' })).toThrow(/gross_exposure/);
    expect(() => parseExposure({ equity: '1', gross_exposure: '0', symbols: [{ symbol: 'nope', qty: '1', notional: '1' }], start_of_day_equity: '', peak_equity: '' })).toThrow();
  });

  it('is cached for the TTL, shared by concurrent callers, and dropped on invalidate', async () => {
    let t = 0;
    let calls = 0;
    const waiting: Array<() => void> = [];
    const release = (): void => waiting.shift()!();
    const source: ExposureSource = {
      getExposure: async () => {
        calls++;
        const n = calls;
        await new Promise<void>((r) => waiting.push(r));
        return exposure({ equity: String(n * 1000) });
      },
    };
    const cache = new ExposureCache(source, 250, () => t);
    const a = cache.getExposure();
    const b = cache.getExposure();
    release();
    expect((await a).equity.toFixed()).toBe('1000');
    expect(await b).toBe(await a);
    expect(calls).toBe(1);
    t = 249;
    expect((await cache.getExposure()).equity.toFixed()).toBe('1000');
    t = 250;
    const c = cache.getExposure();
    release();
    expect((await c).equity.toFixed()).toBe('2000');
    // A fill while a fetch is in flight: later callers wait for a fetch started after it.
    t = 1000;
    const d = cache.getExposure();
    cache.invalidate();
    const e = cache.getExposure();
    release();
    expect((await d).equity.toFixed()).toBe('3000');
    release();
    expect((await e).equity.toFixed()).toBe('4000');
    expect(calls).toBe(4);
    // The value fetched before the fill was not cached; the one after it is.
    expect((await cache.getExposure()).equity.toFixed()).toBe('4000');
  });

  it('propagates failures and does not cache them', async () => {
    let fail = true;
    const source: ExposureSource = { getExposure: async () => (fail ? Promise.reject(new UnavailableError('down')) : exposure()) };
    const cache = new ExposureCache(source, 10_000);
    await expect(cache.getExposure()).rejects.toThrow('down');
    fail = false;
    await expect(cache.getExposure()).resolves.toBeDefined();
  });
});

function row(i: number, rec: string | null = `rec-${i}`): EventRow {
  return {
    id: `id-${i}`, kind: 'check', recommendation_id: rec, final: true, symbol: 'BTC/USDT', side: 'buy', decision: 'APPROVED', reasons: [],
    requested_qty: '1', approved_qty: '1', price: '1', equity: '1', reduces_position: false, trading_state: 'ACTIVE', previous_state: null,
    updated_by: null, message: null, trace_id: null, ts: i, day: 0, created_at: i,
  };
}

describe('EventWriter', () => {
  it('writes behind in batches and settles each row when committed', async () => {
    const batches: number[] = [];
    const w = new EventWriter({ store: { insertEvents: async (rows) => (batches.push(rows.length), []) }, logger, flushMs: 5, batchSize: 3, maxQueue: 100 });
    const done = [0, 1, 2, 3, 4].map((i) => w.enqueue(row(i)));
    expect(w.pendingCheck('rec-4')).toBeDefined();
    await Promise.all(done);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(5);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    expect(w.pending()).toBe(0);
    expect(w.pendingCheck('rec-4')).toBeUndefined();
  });

  it('keeps rows and retries while the store fails, and refuses rows when full', async () => {
    let failures = 2;
    const written: string[] = [];
    const w = new EventWriter({
      store: {
        insertEvents: async (rows) => {
          if (failures-- > 0) throw new Error('db down');
          written.push(...rows.map((r) => r.id));
          return [];
        },
      },
      logger,
      flushMs: 1,
      batchSize: 10,
      maxQueue: 2,
    });
    const a = w.enqueue(row(1));
    const b = w.enqueue(row(2));
    expect(() => w.enqueue(row(3))).toThrow(UnavailableError);
    await Promise.all([a, b]);
    expect(written).toEqual(['id-1', 'id-2']);
  });

  it('drains on shutdown and then refuses rows', async () => {
    const written: string[] = [];
    const w = new EventWriter({ store: { insertEvents: async (rows) => (written.push(...rows.map((r) => r.id)), []) }, logger, flushMs: 60_000, batchSize: 100, maxQueue: 100 });
    void w.enqueue(row(1));
    await w.drain(1000);
    expect(written).toEqual(['id-1']);
    expect(() => w.enqueue(row(2))).toThrow(UnavailableError);
  });
});


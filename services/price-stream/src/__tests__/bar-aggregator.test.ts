import type { Bar, Tick, Timeframe } from '@cte/shared';
import { InvalidArgumentError } from '@cte/shared';
import { BarAggregator, aggregateBars } from '../engine/bar-aggregator';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0); // 2024-01-01T10:00:00Z
const MIN = 60_000;

function tick(ts: number, price: number, qty = 1, symbol = 'BTC/USDT', exchange = 'binance'): Tick {
  return { exchange, symbol, ts, price, qty };
}

function feed(aggregator: BarAggregator, ticks: Tick[]): Bar[] {
  const out: Bar[] = [];
  for (const t of ticks) out.push(...aggregator.onTick(t));
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('BarAggregator', () => {
  it('aligns every timeframe to UTC period starts', () => {
    const aggregator = new BarAggregator(['1d', '4h', '1h', '15m', '5m', '1m']);
    const ts = Date.parse('2024-01-01T10:07:33.123Z');
    expect(aggregator.onTick(tick(ts, 100))).toEqual([]);
    const open = new Map(aggregator.openBars().map((b) => [b.timeframe, [new Date(b.openTime).toISOString(), new Date(b.closeTime).toISOString()]]));
    expect(Object.fromEntries(open)).toEqual({
      '1m': ['2024-01-01T10:07:00.000Z', '2024-01-01T10:08:00.000Z'],
      '5m': ['2024-01-01T10:05:00.000Z', '2024-01-01T10:10:00.000Z'],
      '15m': ['2024-01-01T10:00:00.000Z', '2024-01-01T10:15:00.000Z'],
      '1h': ['2024-01-01T10:00:00.000Z', '2024-01-01T11:00:00.000Z'],
      '4h': ['2024-01-01T08:00:00.000Z', '2024-01-01T12:00:00.000Z'],
      '1d': ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'],
    });
    expect(aggregator.timeframes).toEqual(['1m', '5m', '15m', '1h', '4h', '1d']);
  });

  it('closes a bar when the first tick of a later period arrives', () => {
    const aggregator = new BarAggregator(['1m']);
    const early = feed(aggregator, [tick(T0 + 1_000, 1, 1), tick(T0 + 30_000, 3, 2), tick(T0 + 59_999, 2, 1.5)]);
    expect(early).toEqual([]);
    const closed = aggregator.onTick(tick(T0 + MIN, 5, 1));
    expect(closed).toEqual([
      { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m', openTime: T0, closeTime: T0 + MIN, open: 1, high: 3, low: 1, close: 2, volume: 4.5, trades: 3 },
    ]);
    expect(aggregator.openBars()).toEqual([expect.objectContaining({ openTime: T0 + MIN, open: 5, close: 5, trades: 1 })]);
  });

  it('closes bars by the clock with closeDue, finest first, and only once', () => {
    const aggregator = new BarAggregator(['5m', '1m']);
    aggregator.onTick(tick(T0 + 10_000, 10));
    expect(aggregator.closeDue(T0 + MIN - 1)).toEqual([]);
    expect(aggregator.closeDue(T0 + MIN).map((b) => [b.timeframe, b.openTime])).toEqual([['1m', T0]]);
    expect(aggregator.closeDue(T0 + MIN)).toEqual([]);
    expect(aggregator.openBars().map((b) => b.timeframe)).toEqual(['5m']);
    // A tick for the closed minute is late now, even though the 5m bar is still open.
    expect(aggregator.onTick(tick(T0 + 50_000, 11))).toEqual([]);
    expect(aggregator.stats().lateTicksDropped).toBe(1);
    expect(aggregator.openBars()[0]).toMatchObject({ timeframe: '5m', high: 10, trades: 1 });
    // The next minute opens a fresh 1m bar; 5m keeps accumulating.
    aggregator.onTick(tick(T0 + 2 * MIN + 5, 12));
    expect(aggregator.closeDue(T0 + 5 * MIN).map((b) => [b.timeframe, b.openTime, b.open, b.close, b.trades])).toEqual([
      ['1m', T0 + 2 * MIN, 12, 12, 1],
      ['5m', T0, 10, 12, 2],
    ]);
    expect(aggregator.openBars()).toEqual([]);
    expect(aggregator.stats().barsClosed).toBe(3);
  });

  it('fabricates no bars for gaps', () => {
    const aggregator = new BarAggregator(['1m']);
    aggregator.onTick(tick(T0 + 5, 1));
    const closed = aggregator.onTick(tick(T0 + 7 * MIN + 5, 2));
    expect(closed.map((b) => b.openTime)).toEqual([T0]);
    expect(aggregator.flush().map((b) => b.openTime)).toEqual([T0 + 7 * MIN]);
    expect(aggregator.closeDue(T0 + 60 * MIN)).toEqual([]);
  });

  it('drops ticks older than the open bar and never changes a closed bar', () => {
    const aggregator = new BarAggregator(['1m', '5m']);
    aggregator.onTick(tick(T0 + 1_000, 100));
    const [closed] = aggregator.onTick(tick(T0 + MIN + 1_000, 101));
    const snapshot = { ...closed! };
    expect(aggregator.onTick(tick(T0 + 59_000, 50, 9))).toEqual([]);
    expect(closed).toEqual(snapshot);
    expect(aggregator.stats()).toMatchObject({ ticksAccepted: 2, lateTicksDropped: 1 });
    // The late tick reached no timeframe: the 5m bar does not see it either.
    expect(aggregator.flush().map((b) => [b.timeframe, b.low, b.volume])).toEqual([
      ['1m', 101, 1],
      ['5m', 100, 2],
    ]);
  });

  it('places a tick reordered inside the open bar by its time', () => {
    const aggregator = new BarAggregator(['1m']);
    feed(aggregator, [tick(T0 + 30_000, 2), tick(T0 + 10_000, 1), tick(T0 + 50_000, 4), tick(T0 + 50_000, 3), tick(T0 + 40_000, 9)]);
    expect(aggregator.flush()[0]).toMatchObject({ open: 1, high: 9, low: 1, close: 3, trades: 5 });
  });

  it('counts and ignores invalid ticks', () => {
    const aggregator = new BarAggregator(['1m']);
    feed(aggregator, [tick(T0, Number.NaN), tick(T0, 0), tick(T0, -1), tick(T0, 1, -1), tick(Number.NaN, 1), tick(T0, Infinity)]);
    expect(aggregator.stats()).toMatchObject({ invalidTicksDropped: 6, ticksAccepted: 0 });
    expect(aggregator.openBars()).toEqual([]);
  });

  it('keeps (exchange, symbol) series independent', () => {
    const aggregator = new BarAggregator(['1m']);
    const closed = feed(aggregator, [
      tick(T0 + 1, 100, 1, 'BTC/USDT', 'binance'),
      tick(T0 + 2, 10, 1, 'ETH/USDT', 'binance'),
      tick(T0 + 3, 200, 1, 'BTC/USDT', 'coinbase'),
      tick(T0 + MIN + 1, 110, 1, 'BTC/USDT', 'binance'),
      tick(T0 + 40_000, 12, 2, 'ETH/USDT', 'binance'), // ETH's minute is still open
      tick(T0 + 30_000, 90, 1, 'BTC/USDT', 'binance'), // late only for binance BTC
      tick(T0 + 30_000, 190, 1, 'BTC/USDT', 'coinbase'),
    ]);
    expect(closed.map((b) => [b.exchange, b.symbol, b.close])).toEqual([['binance', 'BTC/USDT', 100]]);
    expect(aggregator.stats().lateTicksDropped).toBe(1);
    const open = aggregator.openBars().map((b) => [b.exchange, b.symbol, b.openTime - T0, b.low, b.close, b.volume]);
    expect(open).toEqual([
      ['binance', 'BTC/USDT', MIN, 110, 110, 1],
      ['binance', 'ETH/USDT', 0, 10, 12, 3],
      ['coinbase', 'BTC/USDT', 0, 190, 190, 2],
    ]);
  });

  it('closes day and 4h bars at UTC midnight', () => {
    const aggregator = new BarAggregator(['4h', '1d']);
    aggregator.onTick(tick(Date.parse('2024-02-29T23:59:59.999Z'), 1));
    const closed = aggregator.onTick(tick(Date.parse('2024-03-01T00:00:00.000Z'), 2));
    expect(closed.map((b) => [b.timeframe, new Date(b.openTime).toISOString()])).toEqual([
      ['4h', '2024-02-29T20:00:00.000Z'],
      ['1d', '2024-02-29T00:00:00.000Z'],
    ]);
  });

  it('builds the same bars incrementally as by resampling finer bars (batch)', () => {
    const next = random(42);
    const ticks: Tick[] = [];
    let ts = T0 - 3 * 3_600_000 + 17;
    let price = 100;
    for (let i = 0; i < 20_000; i++) {
      ts += Math.floor(next() * 4_000) + (next() < 0.002 ? 20 * MIN : 0); // occasional gaps
      price = Math.max(1, price * (1 + (next() - 0.5) * 0.002));
      ticks.push(tick(ts, Math.round(price * 100) / 100, Math.round(next() * 1e6) / 1e6, next() < 0.5 ? 'BTC/USDT' : 'ETH/USDT'));
    }
    const timeframes: Timeframe[] = ['1m', '5m', '15m', '1h', '4h', '1d'];
    const incremental = new BarAggregator(timeframes);
    const bars = [...feed(incremental, ticks), ...incremental.flush()];
    const byTf = (tf: Timeframe, list: Bar[]): Bar[] =>
      list.filter((b) => b.timeframe === tf).sort((a, b) => a.symbol.localeCompare(b.symbol) || a.openTime - b.openTime);
    const oneMinute = byTf('1m', bars);
    for (const tf of timeframes.slice(1)) {
      const batch = byTf(tf, aggregateBars(byTf('1m', bars), tf));
      const direct = byTf(tf, bars);
      expect(batch.map(({ volume, ...rest }) => rest)).toEqual(direct.map(({ volume, ...rest }) => rest));
      batch.forEach((b, i) => expect(b.volume).toBeCloseTo(direct[i]!.volume, 6));
    }
    expect(oneMinute.reduce((n, b) => n + b.trades, 0)).toBe(ticks.length);
  });

  it('returns a shared empty result when nothing closed', () => {
    const aggregator = new BarAggregator(['1m']);
    const a = aggregator.onTick(tick(T0, 1));
    const b = aggregator.onTick(tick(T0 + 1, 1));
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('rejects no or unknown timeframes', () => {
    expect(() => new BarAggregator([])).toThrow(InvalidArgumentError);
    expect(() => new BarAggregator(['2m' as Timeframe])).toThrow(/invalid timeframe/);
  });
});

describe('aggregateBars', () => {
  const bar = (minute: number, o: number, h: number, l: number, c: number, v: number, symbol = 'BTC/USDT'): Bar => ({
    exchange: 'x', symbol, timeframe: '1m', openTime: T0 + minute * MIN, closeTime: T0 + (minute + 1) * MIN,
    open: o, high: h, low: l, close: c, volume: v, trades: 2,
  });

  it('resamples into a coarser timeframe, skipping empty periods', () => {
    const out = aggregateBars([bar(0, 10, 12, 9, 11, 1), bar(3, 11, 15, 11, 14, 2), bar(11, 14, 14, 13, 13, 4)], '5m');
    expect(out).toEqual([
      { exchange: 'x', symbol: 'BTC/USDT', timeframe: '5m', openTime: T0, closeTime: T0 + 5 * MIN, open: 10, high: 15, low: 9, close: 14, volume: 3, trades: 4 },
      { exchange: 'x', symbol: 'BTC/USDT', timeframe: '5m', openTime: T0 + 10 * MIN, closeTime: T0 + 15 * MIN, open: 14, high: 14, low: 13, close: 13, volume: 4, trades: 2 },
    ]);
  });

  it('keeps interleaved series apart', () => {
    const out = aggregateBars([bar(0, 1, 1, 1, 1, 1, 'A/B'), bar(0, 5, 5, 5, 5, 1, 'C/D'), bar(1, 2, 2, 2, 2, 1, 'A/B')], '5m');
    expect(out.map((b) => [b.symbol, b.open, b.close, b.volume])).toEqual([['A/B', 1, 2, 2], ['C/D', 5, 5, 1]]);
  });

  it('copies bars at the same timeframe and does not mutate the input', () => {
    const input = [bar(0, 1, 2, 1, 2, 1)];
    const out = aggregateBars(input, '1m');
    expect(out).toEqual(input);
    expect(out[0]).not.toBe(input[0]);
  });

  it('refuses finer targets and unordered input', () => {
    expect(() => aggregateBars([{ ...bar(0, 1, 1, 1, 1, 1), timeframe: '1h', closeTime: T0 + 60 * MIN }], '5m')).toThrow(/cannot aggregate 1h/);
    expect(() => aggregateBars([bar(1, 1, 1, 1, 1, 1), bar(0, 1, 1, 1, 1, 1)], '5m')).toThrow(/increasing time order/);
    expect(() => aggregateBars([bar(1, 1, 1, 1, 1, 1), bar(1, 1, 1, 1, 1, 1)], '5m')).toThrow(InvalidArgumentError);
  });
});

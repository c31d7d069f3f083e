import fc from 'fast-check';
import type { Bar, Tick, Timeframe } from '@cte/shared';
import { Registry } from 'prom-client';
import { BarAggregator } from '../engine/bar-aggregator';
import {
  candleTicks,
  MINUTE_MS,
  minuteOf,
  minutesBetween,
  MinuteTally,
  pageConnects,
  parseMinuteCandle,
  planGap,
  withDedupId,
  type MinuteCandle,
} from '../engine/backfill';
import { FeedHealth } from '../engine/live-feed';
import { createLiveFeedMetrics } from '../adapters/live-metrics';

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const FEED = { exchange: 'kucoin', symbol: 'BTC/USD' };
const TFS: Timeframe[] = ['1m', '5m', '15m'];

interface Trade {
  ts: number;
  price: number;
  qty: number;
}

const tickOf = (t: Trade): Tick => ({ ...FEED, ts: t.ts, price: t.price, qty: t.qty, tradeId: `${t.ts}:${t.price}` });

function bars(ticks: readonly Tick[]): Bar[] {
  const agg = new BarAggregator(TFS);
  const out: Bar[] = [];
  for (const t of ticks) out.push(...agg.onTick(t));
  out.push(...agg.flush());
  return out.sort((a, b) => a.timeframe.localeCompare(b.timeframe) || a.openTime - b.openTime);
}

/** The venue's candle of one minute, folded from its trades (time order). */
function candleOf(trades: readonly Trade[], minute: number): MinuteCandle | undefined {
  const inMinute = trades.filter((t) => minuteOf(t.ts) === minute).sort((a, b) => a.ts - b.ts);
  if (inMinute.length === 0) return undefined;
  return {
    openTime: minute,
    open: inMinute[0]!.price,
    high: Math.max(...inMinute.map((t) => t.price)),
    low: Math.min(...inMinute.map((t) => t.price)),
    close: inMinute.at(-1)!.price,
    volume: inMinute.reduce((s, t) => s + t.qty, 0),
  };
}

/**
 * What the live source does around an outage: trades up to `lastIdx` are accepted, the minutes
 * minute(last) .. `toMinute` come from candles (merged with the tally), then trades after `toMinute`.
 */
function repaired(trades: readonly Trade[], lastIdx: number, toMinute: number, withCount = false): Tick[] {
  const tally = new MinuteTally();
  const out: Tick[] = [];
  for (const t of trades.slice(0, lastIdx + 1)) {
    tally.add(t.ts, t.price, t.qty);
    out.push(tickOf(t));
  }
  for (const m of minutesBetween(trades[lastIdx]!.ts, toMinute)) {
    const c = candleOf(trades, m);
    if (c === undefined) continue;
    if (withCount) c.trades = trades.filter((t) => minuteOf(t.ts) === m).length;
    const have = tally.of(m);
    const ticks = candleTicks(c, have, FEED);
    tally.setFromCandle(c, ticks.length, have);
    out.push(...ticks);
  }
  out.push(...trades.filter((t) => t.ts >= toMinute + MINUTE_MS).map(tickOf));
  return out;
}

const ohlcv = (b: Bar): unknown => ({ tf: b.timeframe, t: b.openTime, o: b.open, h: b.high, l: b.low, c: b.close, v: Number(b.volume.toFixed(6)) });

/** Trades in time order over about 20 minutes, several per ms at times. */
const tradesArb = fc
  .array(fc.record({ dt: fc.integer({ min: 0, max: 40_000 }), price: fc.integer({ min: 1, max: 50 }), qty: fc.integer({ min: 1, max: 9 }) }), { minLength: 2, maxLength: 60 })
  .map((xs) => {
    let ts = T0 + 7_000;
    return xs.map((x) => ({ ts: (ts += x.dt), price: x.price, qty: x.qty / 4 }));
  });

describe('candle backfill: bars after the repair equal the bars of an uninterrupted run', () => {
  it('for any outage (property): OHLCV of every timeframe; trade counts outside the filled minutes', () => {
    fc.assert(
      fc.property(tradesArb, fc.nat(), fc.nat(), (trades, a, b) => {
        const lastIdx = a % trades.length;
        const resumeIdx = lastIdx + (b % (trades.length - lastIdx));
        const toMinute = minuteOf(trades[resumeIdx]!.ts);
        const want = bars(trades.map(tickOf));
        const got = bars(repaired(trades, lastIdx, toMinute));
        expect(got.map(ohlcv)).toEqual(want.map(ohlcv));
        const filled = (bar: Bar): boolean => bar.closeTime > minuteOf(trades[lastIdx]!.ts) && bar.openTime <= toMinute;
        expect(got.filter((x) => !filled(x)).map((x) => x.trades)).toEqual(want.filter((x) => !filled(x)).map((x) => x.trades));
      }),
      { numRuns: 300 },
    );
  });

  it('with the venue trade count, trade counts match too', () => {
    fc.assert(
      fc.property(tradesArb, fc.nat(), fc.nat(), (trades, a, b) => {
        const lastIdx = a % trades.length;
        const toMinute = minuteOf(trades[lastIdx + (b % (trades.length - lastIdx))]!.ts);
        const want = bars(trades.map(tickOf));
        const got = bars(repaired(trades, lastIdx, toMinute, true));
        expect(got.map((x) => [ohlcv(x), x.trades])).toEqual(want.map((x) => [ohlcv(x), x.trades]));
      }),
      { numRuns: 200 },
    );
  });

  it('a full candle is up to four points: open first, close last, whole volume on the last', () => {
    const c: MinuteCandle = { openTime: T0, open: 10, high: 12, low: 9, close: 11, volume: 3.5 };
    expect(candleTicks(c, undefined, FEED).map((t) => [t.ts - T0, t.price, t.qty])).toEqual([
      [0, 10, 0],
      [1, 12, 0],
      [2, 9, 0],
      [59_999, 11, 3.5],
    ]);
    expect(candleTicks({ ...c, high: 11, low: 10 }, undefined, FEED)).toHaveLength(2);
    expect(candleTicks({ openTime: T0, open: 5, high: 5, low: 5, close: 5, volume: 2 }, undefined, FEED).map((t) => [t.ts, t.qty])).toEqual([[T0, 2]]);
    expect(candleTicks({ ...c, trades: 7 }, undefined, FEED)).toHaveLength(7);
  });

  it('merging into a held minute adds only the remainder, and nothing when the candle holds nothing new', () => {
    const tally = new MinuteTally();
    tally.add(T0 + 1000, 10, 1);
    tally.add(T0 + 2000, 11, 2);
    const have = tally.of(T0)!;
    expect(have).toMatchObject({ open: 10, high: 11, low: 10, close: 11, volume: 3, trades: 2, lastTs: T0 + 2000 });
    expect(candleTicks({ openTime: T0, open: 10, high: 11, low: 10, close: 11, volume: 3 }, have, FEED)).toEqual([]);
    expect(candleTicks({ openTime: T0, open: 10, high: 13, low: 8, close: 12, volume: 5 }, have, FEED).map((t) => [t.ts - T0, t.price, t.qty])).toEqual([
      [2000, 13, 0],
      [2000, 8, 0],
      [59_999, 12, 2],
    ]);
    // A new high that is also the close is the close tick alone.
    expect(candleTicks({ openTime: T0, open: 10, high: 13, low: 10, close: 13, volume: 4 }, have, FEED).map((t) => [t.ts - T0, t.price, t.qty])).toEqual([[59_999, 13, 1]]);
    // A candle that says less than what is held never takes volume away.
    expect(candleTicks({ openTime: T0, open: 10, high: 11, low: 10, close: 10.5, volume: 1 }, have, FEED).map((t) => t.qty)).toEqual([0]);
  });
});

describe('MinuteTally', () => {
  it('follows the newest minute, ignoring older trades, with open/close by trade time', () => {
    const t = new MinuteTally();
    t.add(T0 + 5000, 10, 1);
    t.add(T0 + 1000, 9, 1);
    t.add(T0 + 3000, 12, 1);
    expect(t.of(T0)).toMatchObject({ open: 9, high: 12, low: 9, close: 10, trades: 3, lastTs: T0 + 5000 });
    t.add(T0 + MINUTE_MS, 7, 1);
    expect(t.of(T0)).toBeUndefined();
    t.add(T0 + 59_000, 1, 1);
    expect(t.of(T0 + MINUTE_MS)).toMatchObject({ open: 7, low: 7, trades: 1 });
  });
});

describe('parseMinuteCandle', () => {
  it('takes a ccxt OHLCV row, with a trade count as a 7th element', () => {
    expect(parseMinuteCandle([T0, 1, 2, 0.5, 1.5, 10])).toEqual({ openTime: T0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 });
    expect(parseMinuteCandle([T0, 1, 2, 0.5, 1.5, 0, 4])).toEqual({ openTime: T0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 0, trades: 4 });
  });

  it.each([
    ['not an array', { t: T0 }],
    ['too short', [T0, 1, 2, 0.5, 1.5]],
    ['not minute-aligned', [T0 + 1, 1, 2, 0.5, 1.5, 1]],
    ['NaN price', [T0, Number.NaN, 2, 0.5, 1.5, 1]],
    ['zero price', [T0, 0, 2, 0, 1.5, 1]],
    ['string price', [T0, '1', 2, 0.5, 1.5, 1]],
    ['high below close', [T0, 1, 1.2, 0.5, 1.5, 1]],
    ['low above open', [T0, 1, 2, 1.1, 1.5, 1]],
    ['negative volume', [T0, 1, 2, 0.5, 1.5, -1]],
  ])('rejects %s', (_why, row) => {
    expect(parseMinuteCandle(row)).toBeUndefined();
  });
});

describe('coverage decisions', () => {
  const known = (keys: string[]) => (k: string) => keys.includes(k);

  it('a short page is its whole window; a full one connects only through a known or older trade', () => {
    const page = [
      { key: 'b', ts: 200 },
      { key: 'c', ts: 300 },
    ];
    expect(pageConnects(page, 200, false, known([]))).toBe(true);
    expect(pageConnects(page, 200, true, known([]))).toBe(false);
    expect(pageConnects(page, 200, true, known(['b']))).toBe(true);
    expect(pageConnects(page, 250, true, known([]))).toBe(true);
  });

  it('plans no candles when REST reaches past the stream, and the minutes between otherwise', () => {
    expect(planGap({ knownBefore: T0 + 30_001, streamFrom: T0 + 30_000, tail: undefined, newestTs: T0 + 30_000 })).toBeUndefined();
    // No tail: from the minute of G through the minute of the stream's first trade; that minute is still open.
    expect(planGap({ knownBefore: T0 + 5000, streamFrom: T0 + 3 * MINUTE_MS + 10, tail: undefined, newestTs: T0 + 3 * MINUTE_MS + 500 })).toEqual({
      fromMinute: T0,
      toMinute: T0 + 3 * MINUTE_MS,
      claimedUntil: T0 + 4 * MINUTE_MS,
      lastMinuteClosed: false,
    });
    // A newest-trades page reaching the stream moves the end back to its oldest trade; a later trade closes that minute.
    expect(planGap({ knownBefore: T0 + 5000, streamFrom: T0 + 3 * MINUTE_MS, tail: { minTs: T0 + MINUTE_MS + 1, maxTs: T0 + 3 * MINUTE_MS }, newestTs: T0 + 3 * MINUTE_MS })).toEqual({
      fromMinute: T0,
      toMinute: T0 + MINUTE_MS,
      claimedUntil: T0 + 2 * MINUTE_MS,
      lastMinuteClosed: true,
    });
    // A tail that ends before the stream says nothing about what lies between.
    expect(planGap({ knownBefore: T0, streamFrom: T0 + 3 * MINUTE_MS, tail: { minTs: T0 + MINUTE_MS, maxTs: T0 + 2 * MINUTE_MS }, newestTs: T0 + 3 * MINUTE_MS })?.toMinute).toBe(T0 + 3 * MINUTE_MS);
    // G == E: one instant known only in part on both sides is still a gap.
    expect(planGap({ knownBefore: T0 + 10, streamFrom: T0 + 10, tail: undefined, newestTs: T0 + 10 })?.fromMinute).toBe(T0);
  });
});

describe('withDedupId', () => {
  // The shapes ccxt 4.5 parses from KuCoin: a `/market/match` message (ws/KUCOIN.ws.1.0) and a
  // `market/histories` row (ccxt's fetchTrades fixture). Both carry the trade's `sequence`.
  const streamed = { id: '6085c09769bc506996295e36', timestamp: 1, info: { symbol: 'DAPPT-BTC', sequence: '1612701563869', tradeId: '6085c09769bc506996295e36' } };
  const rest = { id: undefined, timestamp: 1, info: { sequence: '1612701563869', price: '0.0000001117', size: '81.8814', side: 'buy', time: 1619378327739050725 } };

  it('keys KuCoin trades by sequence on both paths, and leaves other venues alone', () => {
    expect((withDedupId('kucoin', streamed) as { id: string }).id).toBe('1612701563869');
    expect((withDedupId('kucoin', rest) as { id: string }).id).toBe('1612701563869');
    expect(withDedupId('coinbase', streamed)).toBe(streamed);
  });

  it('leaves KuCoin trades without a usable sequence without an id, for the boundary check to reject', () => {
    expect((withDedupId('kucoin', { ...rest, info: { sequence: 12 } }) as { id?: string }).id).toBeUndefined();
    expect((withDedupId('kucoin', { ...rest, info: { sequence: 'x1' } }) as { id?: string }).id).toBeUndefined();
    expect(withDedupId('kucoin', null)).toBeNull();
  });
});

describe('cte_feed_backfilled_bars_total', () => {
  it('exists at 0 for every feed and counts filled minutes per (exchange, symbol)', async () => {
    const registry = new Registry();
    const feeds = [new FeedHealth('kucoin', 'BTC/USD', 'BTC/USDT', 0), new FeedHealth('coinbase', 'BTC/USD', 'BTC/USD', 0)];
    const events = createLiveFeedMetrics(registry, { health: () => feeds, staleMs: 1000, now: () => 0 });
    events.backfilledBars?.('kucoin', 'BTC/USD', 3);
    const values = (await registry.getSingleMetric('cte_feed_backfilled_bars_total')!.get()).values.map((v) => [v.labels['exchange'], v.labels['symbol'], v.value]);
    expect(values).toEqual(expect.arrayContaining([['kucoin', 'BTC/USD', 3], ['coinbase', 'BTC/USD', 0]]));
    expect(values).toHaveLength(2);
  });
});

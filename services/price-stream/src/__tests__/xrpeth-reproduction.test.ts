/**
 * The correctness test of the bar engine: aggregating the 12,477 real Binance
 * XRP/ETH trades must reproduce freqtrade's own 1m and 5m candles built from
 * the same trades (freqtrade @ c9ae5e1e, tests/testdata/XRP_ETH-{1m,5m}.feather).
 *
 * freqtrade's trades_to_ohlcv resamples with pandas and then drops the empty
 * periods (`dropna()`), so its candles have no filler bars: 2,469 1m bars for
 * the 2,469 distinct trade minutes. The test still separates zero-volume
 * filler bars generically (they would have to be gap minutes with
 * O=H=L=C=previous close) and asserts there are none, because our aggregator
 * never fabricates bars.
 */
import type { Bar, Timeframe } from '@cte/shared';
import { timeframeMs } from '@cte/shared';
import { readTradesJson } from '../adapters/readers/trades-json';
import { BarAggregator, aggregateBars } from '../engine/bar-aggregator';
import { readFeatherCandles, type FeatherCandle } from './helpers/feather';
import { XRPETH_1M_FEATHER, XRPETH_5M_FEATHER, XRPETH_TRADES } from './helpers/shared-data';

const ticks = readTradesJson(XRPETH_TRADES);

function aggregate(timeframes: Timeframe[]): Bar[] {
  const aggregator = new BarAggregator(timeframes);
  const bars: Bar[] = [];
  for (const tick of ticks) bars.push(...aggregator.onTick(tick));
  bars.push(...aggregator.flush());
  expect(aggregator.stats()).toMatchObject({ ticksAccepted: ticks.length, lateTicksDropped: 0, invalidTicksDropped: 0 });
  return bars;
}

/** Splits freqtrade candles into real ones and zero-volume fillers, checking each filler is a forward-filled gap. */
function splitFillers(candles: FeatherCandle[]): { real: FeatherCandle[]; fillers: FeatherCandle[] } {
  const real: FeatherCandle[] = [];
  const fillers: FeatherCandle[] = [];
  candles.forEach((c, i) => {
    if (c.volume !== 0) {
      real.push(c);
      return;
    }
    const previous = candles[i - 1];
    expect(previous).toBeDefined();
    expect([c.open, c.high, c.low, c.close]).toEqual([previous!.close, previous!.close, previous!.close, previous!.close]);
    fillers.push(c);
  });
  return { real, fillers };
}

function expectSameCandles(ours: Bar[], theirs: FeatherCandle[]): void {
  expect(ours.map((b) => b.openTime)).toEqual(theirs.map((c) => c.openTime));
  const mismatches: string[] = [];
  ours.forEach((bar, i) => {
    const c = theirs[i]!;
    for (const field of ['open', 'high', 'low', 'close'] as const) {
      if (!Object.is(bar[field], c[field])) mismatches.push(`${new Date(c.openTime).toISOString()} ${field}: ours ${bar[field]} freqtrade ${c[field]}`);
    }
    if (Math.abs(bar.volume - c.volume) > 1e-9 * Math.abs(c.volume)) {
      mismatches.push(`${new Date(c.openTime).toISOString()} volume: ours ${bar.volume} freqtrade ${c.volume}`);
    }
  });
  expect(mismatches).toEqual([]);
}

describe('aggregating real Binance XRP/ETH trades reproduces freqtrade candles', () => {
  it('reads all 12,477 trades, in time order', () => {
    expect(ticks).toHaveLength(12_477);
    expect(ticks[0]).toMatchObject({ exchange: 'binance', symbol: 'XRP/ETH', ts: 1570752011620, price: 0.00141342, qty: 23, side: 'sell' });
    expect(ticks.every((t, i) => i === 0 || t.ts >= ticks[i - 1]!.ts)).toBe(true);
  });

  const cases: Array<[Timeframe, string, number]> = [
    ['1m', XRPETH_1M_FEATHER, 2_469],
    ['5m', XRPETH_5M_FEATHER, 706],
  ];

  it.each(cases)('%s: same bars, OHLC exact, volume to 1e-9', (timeframe, featherPath, rows) => {
    const candles = readFeatherCandles(featherPath);
    expect(candles).toHaveLength(rows);
    const { real, fillers } = splitFillers(candles);
    // freqtrade drops empty periods: no filler bars in its files.
    expect(fillers).toEqual([]);

    const bars = aggregate([timeframe]);
    expect(bars).toHaveLength(real.length);
    expectSameCandles(bars, real);

    // Gaps are gaps: bars only for periods with trades, and every bar UTC-aligned.
    const periods = new Set(ticks.map((t) => t.ts - (t.ts % timeframeMs(timeframe))));
    expect(bars).toHaveLength(periods.size);
    expect(bars.every((b) => b.openTime % timeframeMs(timeframe) === 0 && b.closeTime === b.openTime + timeframeMs(timeframe))).toBe(true);
    expect(bars.reduce((n, b) => n + b.trades, 0)).toBe(ticks.length);
  });

  it('has real gaps in the data, which produce no bars', () => {
    const bars = aggregate(['1m']);
    const gaps = bars.filter((b, i) => i > 0 && b.openTime - bars[i - 1]!.openTime > 60_000);
    expect(gaps.length).toBeGreaterThan(0);
    const span = (bars[bars.length - 1]!.openTime - bars[0]!.openTime) / 60_000 + 1;
    expect(bars.length).toBeLessThan(span);
  });

  it('1m and 5m built together equal each built alone (timeframes are independent)', () => {
    const together = aggregate(['5m', '1m']);
    const alone = [...aggregate(['1m']), ...aggregate(['5m'])];
    const key = (b: Bar): string => `${b.timeframe}@${b.openTime}`;
    expect(new Map(together.map((b) => [key(b), b]))).toEqual(new Map(alone.map((b) => [key(b), b])));
  });

  it('resampling our 1m bars gives freqtrade 5m candles (incremental == batch)', () => {
    const fiveMinute = aggregateBars(aggregate(['1m']), '5m');
    expectSameCandles(fiveMinute, splitFillers(readFeatherCandles(XRPETH_5M_FEATHER)).real);
  });
});

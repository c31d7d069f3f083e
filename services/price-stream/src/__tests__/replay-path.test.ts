import type { Bar } from '@cte/shared';
import { readCoinbaseCddCsv } from '../adapters/readers/coinbase-cdd-csv';
import { BarAggregator, aggregateBars } from '../engine/bar-aggregator';
import { barToTicks, barsToTicks } from '../engine/replay-path';
import { COINBASE_BTCUSD_1H_CSV } from './helpers/shared-data';

const realBars = readCoinbaseCddCsv(COINBASE_BTCUSD_1H_CSV);

function reaggregate(bars: readonly Bar[], exchange = 'replay'): Bar[] {
  const aggregator = new BarAggregator([bars[0]!.timeframe]);
  const out: Bar[] = [];
  for (const t of barsToTicks(bars, exchange)) out.push(...aggregator.onTick(t));
  out.push(...aggregator.flush());
  return out;
}

describe('barToTicks', () => {
  const rising: Bar = {
    exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h', openTime: Date.UTC(2019, 9, 17, 9), closeTime: Date.UTC(2019, 9, 17, 10),
    open: 8051, high: 8056.83, low: 8021.23, close: 8055, volume: 61.25, trades: 0,
  };

  it('walks open → low → high → close for a rising bar, at 0, ¼, ½, ¾ of the bar', () => {
    const ticks = barToTicks(rising, 'replay');
    expect(ticks.map((t) => t.price)).toEqual([8051, 8021.23, 8056.83, 8055]);
    expect(ticks.map((t) => t.ts - rising.openTime)).toEqual([0, 900_000, 1_800_000, 2_700_000]);
    expect(ticks.every((t) => t.ts < rising.closeTime && t.exchange === 'replay' && t.symbol === 'BTC/USD')).toBe(true);
  });

  it('walks open → high → low → close for a falling bar', () => {
    const falling = { ...rising, close: 8030 };
    expect(barToTicks(falling).map((t) => t.price)).toEqual([8051, 8056.83, 8021.23, 8030]);
    expect(barToTicks(falling)[0]!.exchange).toBe('coinbase');
  });

  it('splits the volume so the running sum is exactly the bar volume', () => {
    for (const volume of [61.25, 0.1, 1e-8, 370.45, 123456.789, 0, 3]) {
      const qty = barToTicks({ ...rising, volume }).map((t) => t.qty);
      expect(qty.every((q) => q >= 0)).toBe(true);
      expect(((0 + qty[0]!) + qty[1]!) + qty[2]! + qty[3]!).toBe(volume);
    }
  });

  it('re-aggregates 20,111 real Coinbase hourly bars back to themselves', () => {
    expect(realBars).toHaveLength(20_111);
    const rebuilt = reaggregate(realBars);
    expect(rebuilt).toHaveLength(realBars.length);
    const differences = rebuilt.filter((b, i) => {
      const r = realBars[i]!;
      return b.openTime !== r.openTime || b.open !== r.open || b.high !== r.high || b.low !== r.low || b.close !== r.close || b.volume !== r.volume;
    });
    expect(differences).toEqual([]);
    expect(rebuilt.every((b) => b.trades === 4)).toBe(true);
  });

  it('re-aggregated into a coarser timeframe equals resampling the bars', () => {
    const sample = realBars.slice(0, 24 * 30);
    const aggregator = new BarAggregator(['4h', '1d']);
    const out: Bar[] = [];
    for (const t of barsToTicks(sample)) out.push(...aggregator.onTick(t));
    out.push(...aggregator.flush());
    for (const tf of ['4h', '1d'] as const) {
      const fromTicks = out.filter((b) => b.timeframe === tf);
      const resampled = aggregateBars(sample, tf);
      expect(fromTicks.map((b) => [b.openTime, b.open, b.high, b.low, b.close])).toEqual(resampled.map((b) => [b.openTime, b.open, b.high, b.low, b.close]));
      fromTicks.forEach((b, i) => expect(b.volume).toBeCloseTo(resampled[i]!.volume, 8));
    }
  });
});

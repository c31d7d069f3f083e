/**
 * FeaturePipeline's contract: the names, the warm-up, time order, bar checks,
 * the returned vectors; and the benchmark entry point (not timed here).
 */
import { InvalidArgumentError } from '@cte/shared';
import type { Bar } from '@cte/shared';
import {
  FEATURE_NAMES,
  FEATURE_SPECS,
  FeaturePipeline,
  WARMUP_BARS,
  benchmarkFeatures,
  computeFeaturesBatch,
  featureIndex,
} from '../engine/features';
import { readQuantedgeBars, readReplayBars } from './helpers/feature-data';

/** The names strategy agents and models code against. */
const REQUIRED = [
  'close', 'ret_1', 'ret_5', 'ret_20', 'ema_12', 'ema_26', 'sma_20', 'adx_14', 'pdi_14', 'mdi_14', 'rsi_14',
  'macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9', 'bb_upper_20_2', 'bb_lower_20_2', 'bb_pctb_20_2',
  'bb_width_20_2', 'atr_14', 'natr_14', 'donchian_high_20_prev', 'donchian_low_20_prev', 'stoch_k_14_3',
  'stoch_d_14_3', 'stochrsi_k_14_14_3_3', 'stochrsi_d_14_14_3_3', 'cci_20', 'willr_14', 'obv', 'vol_z_20',
  'realized_vol_20', 'hour_sin', 'hour_cos', 'dow_sin', 'dow_cos',
];

const qBars = readQuantedgeBars();

describe('feature names', () => {
  it('has at least 80 features, uniquely named, in the same order everywhere', () => {
    expect(FEATURE_NAMES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    expect(FEATURE_SPECS.map((s) => s.name)).toEqual([...FEATURE_NAMES]);
    const p = new FeaturePipeline();
    expect(p.names).toBe(FEATURE_NAMES);
    expect(p.update(qBars[0]!)).toHaveLength(FEATURE_NAMES.length);
    expect(computeFeaturesBatch(qBars.slice(0, 3))[0]).toHaveLength(FEATURE_NAMES.length);
    for (const name of FEATURE_NAMES) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('contains every name the strategies use', () => {
    expect(REQUIRED.filter((n) => !FEATURE_NAMES.includes(n))).toEqual([]);
  });

  it('featureIndex finds each name at its slot and throws InvalidArgumentError for an unknown one', () => {
    FEATURE_NAMES.forEach((n, i) => expect(featureIndex(n)).toBe(i));
    expect(() => featureIndex('rsi_15')).toThrow(InvalidArgumentError);
    expect(() => featureIndex('')).toThrow(InvalidArgumentError);
  });

  it('the names are frozen', () => {
    expect(Object.isFrozen(FEATURE_NAMES)).toBe(true);
    expect(() => (FEATURE_NAMES as string[]).push('x')).toThrow(TypeError);
  });
});

describe('warm-up', () => {
  it('warmupBars is the longest feature warm-up (200 bars: SMA/EMA 200)', () => {
    expect(WARMUP_BARS).toBe(Math.max(...FEATURE_SPECS.map((s) => s.warmup)));
    expect(WARMUP_BARS).toBe(200);
    expect(new FeaturePipeline().warmupBars).toBe(WARMUP_BARS);
  });

  it('isWarm() turns true exactly at warmupBars, when the last NaN disappears', () => {
    const p = new FeaturePipeline();
    for (let i = 0; i < WARMUP_BARS - 1; i++) {
      p.update(qBars[i]!);
      expect(p.isWarm()).toBe(false);
    }
    expect(p.barsSeen).toBe(WARMUP_BARS - 1);
    const before = p.latest()!;
    expect(FEATURE_NAMES.filter((_, f) => Number.isNaN(before[f]!)).length).toBeGreaterThan(0);
    const at = p.update(qBars[WARMUP_BARS - 1]!);
    expect(p.isWarm()).toBe(true);
    expect(FEATURE_NAMES.filter((_, f) => !Number.isFinite(at[f]!))).toEqual([]);
  });

  it.each([
    ['quantedge BTCUSDT 1h', qBars],
    ['replay Coinbase BTC/USD 1h', readReplayBars()],
  ])('each feature becomes defined exactly at its declared warm-up and stays finite (%s)', (_label, bars) => {
    const p = new FeaturePipeline();
    const firstDefined = new Array<number>(FEATURE_NAMES.length).fill(-1);
    const nonFiniteAfter: string[] = [];
    bars.forEach((bar, i) => {
      const row = p.update(bar);
      for (let f = 0; f < row.length; f++) {
        const x = row[f]!;
        if (firstDefined[f] === -1) {
          if (Number.isFinite(x)) firstDefined[f] = i;
          else if (!Number.isNaN(x)) nonFiniteAfter.push(`${FEATURE_NAMES[f]} at bar ${i}: ${x}`);
        } else if (!Number.isFinite(x)) {
          nonFiniteAfter.push(`${FEATURE_NAMES[f]} at bar ${i}: ${x}`);
        }
      }
    });
    expect(nonFiniteAfter.slice(0, 5)).toEqual([]);
    const declared = FEATURE_SPECS.map((s) => s.warmup - 1);
    expect(Object.fromEntries(FEATURE_NAMES.map((n, f) => [n, firstDefined[f]]))).toEqual(Object.fromEntries(FEATURE_NAMES.map((n, f) => [n, declared[f]])));
  });
});

describe('update()', () => {
  it('rejects a bar that is not later than the previous one, and stays unchanged', () => {
    const p = new FeaturePipeline();
    const ref = new FeaturePipeline();
    for (let i = 0; i < 50; i++) {
      p.update(qBars[i]!);
      ref.update(qBars[i]!);
    }
    expect(() => p.update(qBars[49]!)).toThrow(InvalidArgumentError); // same time
    expect(() => p.update(qBars[10]!)).toThrow(/not later than the previous bar/); // earlier
    expect(() => p.update({ ...qBars[50]!, openTime: Number.NaN })).toThrow(InvalidArgumentError);
    expect(p.barsSeen).toBe(50);
    expect(p.lastBarTime()).toBe(qBars[49]!.openTime);
    // The rejected bars left no trace: the next bar gives what an untouched pipeline gives.
    expect(Array.from(p.update(qBars[50]!))).toEqual(Array.from(ref.update(qBars[50]!)));
  });

  it('rejects impossible bars and bars of another series, before changing state', () => {
    const p = new FeaturePipeline();
    p.update(qBars[0]!);
    const b = qBars[1]!;
    const bad: Array<Partial<Bar>> = [
      { close: Number.NaN },
      { high: Number.POSITIVE_INFINITY },
      { low: 0, open: 0 },
      { volume: -1 },
      { high: b.low - 1 },
      { close: b.high + 1 },
      { symbol: 'ETH/USDT' },
      { timeframe: '4h' },
      { exchange: 'kraken' },
    ];
    for (const patch of bad) expect(() => p.update({ ...b, ...patch })).toThrow(InvalidArgumentError);
    expect(p.barsSeen).toBe(1);
    p.update(b);
    expect(p.barsSeen).toBe(2);
    // validate: false skips the value checks, not the time order.
    const loose = new FeaturePipeline({ validate: false });
    loose.update(qBars[0]!);
    expect(() => loose.update({ ...qBars[1]!, symbol: 'ETH/USDT' })).not.toThrow();
    expect(() => loose.update(qBars[0]!)).toThrow(InvalidArgumentError);
  });

  it('computeFeaturesBatch rejects out-of-order bars too', () => {
    expect(() => computeFeaturesBatch([qBars[1]!, qBars[0]!])).toThrow(InvalidArgumentError);
    expect(() => computeFeaturesBatch([qBars[0]!, qBars[0]!])).toThrow(InvalidArgumentError);
  });

  it('returns a fresh vector per bar, NaN where not warm; get() reads the latest one', () => {
    const p = new FeaturePipeline();
    expect(p.get('close')).toBeNaN();
    expect(p.lastBarTime()).toBeUndefined();
    expect(p.barsSeen).toBe(0);
    const a = p.update(qBars[0]!);
    const b = p.update(qBars[1]!);
    expect(a).not.toBe(b);
    expect(a[featureIndex('close')]).toBe(qBars[0]!.close); // not overwritten by the second bar
    expect(a[featureIndex('ret_1')]).toBeNaN();
    expect(b[featureIndex('ret_1')]).toBeCloseTo(qBars[1]!.close / qBars[0]!.close - 1, 15);
    expect(p.get('close')).toBe(qBars[1]!.close);
    expect(p.get('rsi_14')).toBeNaN(); // not warm
    expect(p.get('no_such_feature')).toBeNaN(); // unknown
    expect(p.lastBarTime()).toBe(qBars[1]!.openTime);
    expect(p.barsSeen).toBe(2);
  });

  it('vectors from a shared block are independent of each other and of later updates (vectorBlock)', () => {
    const shared = new FeaturePipeline();
    const own = new FeaturePipeline({ vectorBlock: 1 });
    const a = qBars.map((b) => shared.update(b));
    const b = qBars.map((bar) => own.update(bar));
    expect(a[0]!.buffer).toBe(a[1]!.buffer); // carved from one block
    expect(b[0]!.buffer).not.toBe(b[1]!.buffer);
    expect(a.map((v) => Array.from(v))).toEqual(b.map((v) => Array.from(v)));
    a[5]!.fill(0); // a caller scribbling on one vector touches no other
    expect(Array.from(a[4]!)).toEqual(Array.from(b[4]!));
    expect(Array.from(a[6]!)).toEqual(Array.from(b[6]!));
    expect(() => new FeaturePipeline({ vectorBlock: 0 })).toThrow(InvalidArgumentError);
  });

  it('calendar features follow the bar open time in UTC (Monday 00:00 → angle 0)', () => {
    const p = new FeaturePipeline({ validate: false });
    const at = (iso: string): Float64Array => p.update({ ...qBars[0]!, openTime: Date.parse(iso) });
    const mon = at('2025-01-06T00:00:00Z'); // a Monday
    expect(mon[featureIndex('hour_sin')]).toBeCloseTo(0, 12);
    expect(mon[featureIndex('hour_cos')]).toBeCloseTo(1, 12);
    expect(mon[featureIndex('dow_sin')]).toBeCloseTo(0, 12);
    expect(mon[featureIndex('dow_cos')]).toBeCloseTo(1, 12);
    const six = at('2025-01-07T06:00:00Z'); // Tuesday 06:00: a quarter day, 1.25 days into the week
    expect(six[featureIndex('hour_sin')]).toBeCloseTo(1, 12);
    expect(six[featureIndex('hour_cos')]).toBeCloseTo(0, 12);
    expect(six[featureIndex('dow_sin')]).toBeCloseTo(Math.sin((2 * Math.PI * 1.25) / 7), 12);
    const sunEve = at('2025-01-12T18:00:00Z'); // Sunday 18:00
    expect(sunEve[featureIndex('hour_sin')]).toBeCloseTo(-1, 12);
    expect(sunEve[featureIndex('dow_cos')]).toBeCloseTo(Math.cos((2 * Math.PI * 6.75) / 7), 12);
  });

  it('candle-shape features of a known bar', () => {
    const p = new FeaturePipeline();
    const row = p.update({ ...qBars[0]!, open: 100, high: 110, low: 90, close: 105, volume: 7 });
    expect(row[featureIndex('body_ratio')]).toBeCloseTo(0.25, 15);
    expect(row[featureIndex('upper_wick_ratio')]).toBeCloseTo(0.25, 15);
    expect(row[featureIndex('lower_wick_ratio')]).toBeCloseTo(0.5, 15);
    expect(row[featureIndex('close_pos')]).toBeCloseTo(0.75, 15);
    expect(row[featureIndex('range_pct')]).toBeCloseTo(20 / 105, 15);
    expect(row[featureIndex('obv')]).toBe(7);
    expect(row[featureIndex('log_volume')]).toBeCloseTo(Math.log(8), 15);
  });
});

describe('benchmarkFeatures', () => {
  it('reports a positive rate for the bars it was given (timing itself is for make bench)', () => {
    const r = benchmarkFeatures(qBars, 1);
    expect(r.bars).toBe(qBars.length);
    expect(r.passes).toBe(1);
    expect(r.barsPerSec).toBeGreaterThan(0);
    expect(r.barsPerSec * r.nsPerBar).toBeCloseTo(1e9, 3);
    expect(() => benchmarkFeatures([], 1)).toThrow(RangeError);
  });
});

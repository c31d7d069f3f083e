/**
 * Incremental == batch: the streaming pipeline against computeFeaturesBatch,
 * an independent from-scratch implementation (fresh window sums, no library,
 * no running state), on every feature of every bar of real data.
 */
import type { Bar } from '@cte/shared';
import { FEATURE_NAMES, FeaturePipeline, computeFeaturesBatch } from '../engine/features';
import { readQuantedgeBars, readReplayBars } from './helpers/feature-data';

/**
 * Two implementations agree when, for every feature f and bar i, both are NaN
 * or |a − b| ≤ TOL · (|b| + scale_f), where scale_f is the feature's mean |value|
 * over the series: relative to the feature's own magnitude, so a value
 * crossing 0 (MACD histogram, returns) is not held to a relative bound it
 * cannot meet, yet a real difference (an off-by-one window, a wrong seed)
 * is many orders of magnitude above it.
 */
const TOL = 1e-9;

interface Mismatch {
  feature: string;
  bar: number;
  incremental: number;
  batch: number;
}

function incremental(bars: readonly Bar[]): Float64Array[] {
  const p = new FeaturePipeline();
  return bars.map((b) => p.update(b));
}

function compare(a: readonly Float64Array[], b: readonly Float64Array[]): { mismatches: Mismatch[]; worst: Map<string, number>; compared: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  const mismatches: Mismatch[] = [];
  const worst = new Map<string, number>();
  let compared = 0;
  for (let f = 0; f < FEATURE_NAMES.length; f++) {
    let scale = 0;
    let finite = 0;
    for (const row of b) {
      if (Number.isFinite(row[f]!)) {
        scale += Math.abs(row[f]!);
        finite++;
      }
    }
    scale = finite > 0 ? scale / finite : 0;
    let w = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]![f]!;
      const y = b[i]![f]!;
      const bothNaN = Number.isNaN(x) && Number.isNaN(y);
      const err = Math.abs(x - y) / (Math.abs(y) + scale || 1);
      if (!bothNaN) {
        compared++;
        if (!(err <= TOL)) mismatches.push({ feature: FEATURE_NAMES[f]!, bar: i, incremental: x, batch: y });
        else if (err > w) w = err;
      }
    }
    worst.set(FEATURE_NAMES[f]!, w);
  }
  return { mismatches, worst, compared };
}

function report(label: string, worst: Map<string, number>): void {
  const top = [...worst.entries()].sort((x, y) => y[1] - x[1]).slice(0, 5);
  process.stdout.write(`${label}: largest scaled differences ${top.map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ')}\n`);
}

describe('incremental features equal the batch pass', () => {
  it('on the 744 real BTCUSDT 1h bars (quantedge-ta), every feature, every bar', () => {
    const bars = readQuantedgeBars();
    const inc = incremental(bars);
    const bat = computeFeaturesBatch(bars);
    const { mismatches, worst, compared } = compare(inc, bat);
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Everything defined after warm-up was compared: 744 bars × every feature, minus the NaN warm-up cells.
    expect(compared).toBeGreaterThan(744 * FEATURE_NAMES.length * 0.9);
    report('quantedge 744 bars', worst);
  });

  it('on the bundled replay data (20k Coinbase BTC/USD 1h bars, 2017-2019), every feature, every bar', () => {
    const bars = readReplayBars();
    expect(bars.length).toBeGreaterThan(20_000);
    const inc = incremental(bars);
    const bat = computeFeaturesBatch(bars);
    const { mismatches, worst, compared } = compare(inc, bat);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(bars.length * FEATURE_NAMES.length * 0.98);
    report('replay 20k bars', worst);
  });

  it('on a synthetic series with flat stretches, zero volume and spikes (the degenerate branches)', () => {
    const bars = syntheticBars(1500);
    const inc = incremental(bars);
    const bat = computeFeaturesBatch(bars);
    const { mismatches } = compare(inc, bat);
    expect(mismatches.slice(0, 10)).toEqual([]);
    // After warm-up nothing is NaN or infinite, even across the flat stretches.
    const p = new FeaturePipeline();
    for (let i = 0; i < bars.length; i++) {
      const row = p.update(bars[i]!);
      if (i + 1 >= p.warmupBars) {
        const bad = FEATURE_NAMES.filter((_, f) => !Number.isFinite(row[f]!));
        expect({ bar: i, bad }).toEqual({ bar: i, bad: [] });
      }
    }
  });

  it('the comparison catches a real difference (one bar changed by 0.01%, or a one-bar shift)', () => {
    const bars = readQuantedgeBars();
    const inc = incremental(bars);
    const changed = bars.map((b, i) => (i === 400 ? { ...b, close: Math.min(b.high, b.close * 1.0001) } : b));
    const perturbed = compare(inc, computeFeaturesBatch(changed));
    expect(perturbed.mismatches.length).toBeGreaterThan(0);
    expect(perturbed.mismatches.every((m) => m.bar >= 400)).toBe(true);
    const shifted = computeFeaturesBatch(bars);
    shifted.unshift(shifted[0]!);
    shifted.pop();
    expect(compare(inc, shifted).mismatches.length).toBeGreaterThan(1000);
  });
});

/**
 * Deterministic bars that walk the edge cases: a long completely flat stretch
 * (high = low = open = close, constant volume), a stretch of zero volume, a
 * volume spike followed by silence, and bars with high = low.
 */
function syntheticBars(n: number): Bar[] {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const bars: Bar[] = [];
  let price = 100;
  for (let i = 0; i < n; i++) {
    let open = price;
    let close = price * (1 + (rnd() - 0.5) * 0.02);
    let high = Math.max(open, close) * (1 + rnd() * 0.005);
    let low = Math.min(open, close) * (1 - rnd() * 0.005);
    let volume = 10 + rnd() * 5;
    if (i >= 300 && i < 560) {
      // Flat market: one price, constant volume (bars 300..559), then 60 bars of no volume at all.
      open = close = high = low = 101.25;
      volume = i < 500 ? 3 : 0;
    } else if (i === 700) {
      volume = 1e7; // a spike, then silence
    } else if (i > 700 && i < 760) {
      volume = 0;
    } else if (i % 97 === 0) {
      high = low = open = close; // a single-price bar
    }
    bars.push({
      exchange: 'test',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      openTime: Date.UTC(2024, 0, 1) + i * 60_000,
      closeTime: Date.UTC(2024, 0, 1) + (i + 1) * 60_000,
      open,
      high,
      low,
      close,
      volume,
      trades: 0,
    });
    price = close;
  }
  return bars;
}

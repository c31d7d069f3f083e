import type { Bar } from '@cte/shared/core';
import { FeaturePipeline } from './pipeline';

export interface FeatureBenchResult {
  /** Bars through one pipeline per second (median of the timed passes). */
  barsPerSec: number;
  /** Nanoseconds per bar (median pass). */
  nsPerBar: number;
  /** Bars fed per pass and number of timed passes. */
  bars: number;
  passes: number;
}

/**
 * Micro-benchmark: feeds `bars` (time-ordered, one series) through a fresh
 * FeaturePipeline `repeat` times, after one untimed warm-up pass for the JIT,
 * and reports the median pass. One core, one pipeline; the vectors are
 * allocated as in production. For the bench runner (`make bench`), not for tests.
 */
export function benchmarkFeatures(bars: readonly Bar[], repeat = 5): FeatureBenchResult {
  if (bars.length === 0) throw new RangeError('benchmarkFeatures needs at least one bar');
  const passes = Math.max(1, Math.floor(repeat));
  let sink = 0;
  const run = (): number => {
    const p = new FeaturePipeline({ validate: true });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < bars.length; i++) sink += p.update(bars[i]!)[0]!;
    return Number(process.hrtime.bigint() - t0);
  };
  run();
  const times: number[] = [];
  for (let k = 0; k < passes; k++) times.push(run());
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  if (sink !== sink) throw new Error('benchmark produced NaN closes'); // keeps the work observable
  const nsPerBar = median / bars.length;
  return { barsPerSec: 1e9 / nsPerBar, nsPerBar, bars: bars.length, passes };
}

/** Training rows (labels, drops, no look-ahead) and the cte-dump-features CLI on the bundled hourly data. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bar } from '@cte/shared';
import { parseDumpArgs, runDump, UsageError } from '../cli/dump-features';
import { FEATURE_NAMES, WARMUP_BARS, computeFeaturesBatch } from '../engine/features';
import { buildTrainingRows, splitAtGaps, trainingCsvHeader, trainingCsvLine } from '../engine/training/dataset';

const HOUR = 3_600_000;
const T0 = Date.UTC(2020, 0, 1);

function bar(i: number, close: number, openTime = T0 + i * HOUR): Bar {
  return { exchange: 'x', symbol: 'BTC/USD', timeframe: '1h', openTime, closeTime: openTime + HOUR, open: close, high: close * 1.001, low: close * 0.999, close, volume: 1 + (i % 7), trades: 1 };
}

describe('buildTrainingRows', () => {
  const closes = [100, 101, 102, 100, 103, 103.5, 104, 90];
  const bars = closes.map((c, i) => bar(i, c));
  const features = bars.map((_, i) => Float64Array.of(i, i * 2));

  it('labels 1 when close[t+H]/close[t] - 1 > threshold, drops warm-up and the last H rows', () => {
    const set = buildTrainingRows(bars, features, { horizonBars: 2, threshold: 0.005 }, { warmupBars: 2, periodMs: HOUR });
    expect(set.rows.map((r) => r.openTime)).toEqual([1, 2, 3, 4, 5].map((i) => T0 + i * HOUR));
    // 100/101 − 1 < 0, 103/102 − 1 ≈ 0.0098, 103.5/100 − 1 = 0.035, 104/103 − 1 ≈ 0.0097, 90/103.5 − 1 < 0
    expect(set.rows.map((r) => r.label)).toEqual([0, 1, 1, 1, 0]);
    expect(set.rows[0]!.fwdReturn).toBeCloseTo(100 / 101 - 1, 15);
    expect(set.rows[1]!.fwdReturn).toBeCloseTo(103 / 102 - 1, 15);
    expect(set.dropped).toEqual({ warmup: 1, notFinite: 0, noFuture: 2, gap: 0 });
    expect(Array.from(set.rows[2]!.features)).toEqual([3, 6]);
  });

  it('a return equal to the threshold is labelled 0', () => {
    const b = [bar(0, 100), bar(1, 125)]; // a forward return of exactly 0.25
    const set = buildTrainingRows(b, [Float64Array.of(0), Float64Array.of(1)], { horizonBars: 1, threshold: 0.25 }, { warmupBars: 1, periodMs: HOUR });
    expect(set.rows.map((r) => [r.fwdReturn, r.label])).toEqual([[0.25, 0]]);
    const below = buildTrainingRows(b, [Float64Array.of(0), Float64Array.of(1)], { horizonBars: 1, threshold: 0.2499 }, { warmupBars: 1, periodMs: HOUR });
    expect(below.rows[0]!.label).toBe(1);
  });

  it('drops rows whose horizon spans a gap, and rows with non-finite features', () => {
    const gapped = [bar(0, 100), bar(1, 101), bar(3, 102), bar(4, 103)]; // no bar at hour 2
    const f = [Float64Array.of(1), Float64Array.of(1), Float64Array.of(NaN), Float64Array.of(1)];
    const set = buildTrainingRows(gapped, f, { horizonBars: 1, threshold: 0 }, { warmupBars: 1, periodMs: HOUR });
    // hour 0 → 1 is one period; hour 1 → 3 spans the gap; hour 3 has a NaN feature; hour 4 has no future.
    expect(set.rows.map((r) => r.openTime)).toEqual([T0]);
    expect(set.dropped).toEqual({ warmup: 0, notFinite: 1, noFuture: 1, gap: 1 });
  });

  it('splitAtGaps starts a new run after a gap longer than maxGapBars periods', () => {
    const t = [0, 1, 2, 5, 6, 10, 20].map((h) => ({ openTime: T0 + h * HOUR }));
    const runs = splitAtGaps(t, HOUR, 3);
    expect(runs.map((r) => r.map((b) => (b.openTime - T0) / HOUR))).toEqual([[0, 1, 2, 5, 6], [10], [20]]);
    expect(splitAtGaps(t, HOUR, 10).length).toBe(1);
    expect(splitAtGaps([], HOUR, 3)).toEqual([]);
  });

  it('CSV header and lines: open_time, features, fwd_return, label, exact numbers', () => {
    expect(trainingCsvHeader(['a', 'b_1'])).toBe('open_time,a,b_1,fwd_return,label');
    expect(() => trainingCsvHeader(['a,b'])).toThrow('cannot be a CSV column');
    const line = trainingCsvLine({ openTime: 5, features: Float64Array.of(0.1, 1 / 3), fwdReturn: -0.25, label: 0 });
    expect(line).toBe(`5,0.1,${1 / 3},-0.25,0`);
    expect(Number(line.split(',')[2])).toBe(1 / 3);
  });

  it('features of bar t do not depend on later bars (no look-ahead)', () => {
    const n = WARMUP_BARS + 50;
    const base = Array.from({ length: n }, (_, i) => bar(i, 100 + 10 * Math.sin(i / 7) + i * 0.05));
    const changed = base.map((b, i) => (i > WARMUP_BARS + 10 ? bar(i, b.close * 1.5) : b));
    const a = computeFeaturesBatch(base);
    const b = computeFeaturesBatch(changed);
    const t = WARMUP_BARS + 10;
    expect(Array.from(b[t]!)).toEqual(Array.from(a[t]!));
    expect(Array.from(b[t + 1]!)).not.toEqual(Array.from(a[t + 1]!));
  });
});

describe('cte-dump-features', () => {
  it('parses its arguments and rejects bad ones', () => {
    const r = parseDumpArgs(['-i', 'a.csv,b.zip', '--input=c.csv', '-t', '1h', '-o', 'out.csv', '--horizon', '6', '--threshold=0.001', '-s', 'btc-usd']);
    expect(r).toEqual({
      kind: 'run',
      args: { inputs: ['a.csv', 'b.zip', 'c.csv'], timeframe: '1h', horizon: 6, threshold: 0.001, maxGapBars: 3, out: 'out.csv', symbol: 'BTC/USD' },
    });
    expect(() => parseDumpArgs(['-i', 'a', '-t', '1h', '-o', 'x', '--max-gap-bars', '0'])).toThrow('--max-gap-bars');
    expect(parseDumpArgs(['--help'])).toEqual({ kind: 'help' });
    expect(() => parseDumpArgs(['-t', '1h', '-o', 'x'])).toThrow(UsageError);
    expect(() => parseDumpArgs(['-i', 'a', '-t', '2h', '-o', 'x'])).toThrow('--timeframe must be one of');
    expect(() => parseDumpArgs(['-i', 'a', '-t', '1h', '-o', 'x', '-H', '0'])).toThrow('--horizon');
    expect(() => parseDumpArgs(['-i', 'a', '-t', '1h', '-o', 'x', '--bogus', '1'])).toThrow('unknown argument "--bogus"');
  });

  it('dumps the bundled hourly BTC/USD data with labels that match the closes', () => {
    const csvIn = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cte-dump-'));
    try {
      const out = path.join(dir, 'BTC-USD_1h.csv');
      const summary = runDump({ inputs: [csvIn], timeframe: '1h', horizon: 4, threshold: 0.002, maxGapBars: 3, out });
      expect(summary.segments).toBe(1);
      expect(summary.symbol).toBe('BTC/USD');
      expect(summary.bars).toBe(20111);
      expect(summary.rows).toBe(summary.bars - (WARMUP_BARS - 1) - 4 - summary.dropped.gap - summary.dropped.notFinite);
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      expect(lines[0]).toBe(['open_time', ...FEATURE_NAMES, 'fwd_return', 'label'].join(','));
      expect(lines).toHaveLength(summary.rows + 1);
      const closeCol = 1 + FEATURE_NAMES.indexOf('close');
      const byTime = new Map(lines.slice(1).map((l) => [Number(l.split(',')[0]), l.split(',').map(Number)]));
      let checked = 0;
      for (const [t, row] of byTime) {
        const later = byTime.get(t + 4 * HOUR);
        if (later === undefined) continue;
        const fwd = later[closeCol]! / row[closeCol]! - 1;
        expect(row[row.length - 2]).toBeCloseTo(fwd, 12);
        expect(row[row.length - 1]).toBe(fwd > 0.002 ? 1 : 0);
        if (++checked >= 500) break;
      }
      expect(checked).toBe(500);
      const sidecar = JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8')) as { label: { horizon_bars: number }; feature_names: string[]; rows: number };
      expect(sidecar.label.horizon_bars).toBe(4);
      expect(sidecar.feature_names).toEqual(FEATURE_NAMES);
      expect(sidecar.rows).toBe(summary.rows);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

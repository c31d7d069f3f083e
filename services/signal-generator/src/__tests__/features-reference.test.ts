/**
 * Each indicator the talipp reference files of quantedge-ta cover, through
 * the incremental pipeline over the same 744 real BTCUSDT 1h bars, to 1e-6
 * relative from the first reference row on. The files are read in place
 * from ../shared/data, never copied.
 */
import path from 'node:path';
import { FeaturePipeline, featureIndex } from '../engine/features';
import { Ema } from '../engine/features/rolling';
import { QUANTEDGE_DIR, readNumericCsv, readQuantedgeBars } from './helpers/feature-data';

const REL_TOL = 1e-6;
/** The reference prints 10 decimals: allow half a unit of the last one on top of the relative tolerance. */
const ABS_FLOOR = 1e-9;

const bars = readQuantedgeBars();
const vectors = (() => {
  const p = new FeaturePipeline();
  return bars.map((b) => p.update(b));
})();
/** open_time (µs, as in the files) → bar index */
const indexByTime = new Map(bars.map((b, i) => [b.openTime * 1000, i]));

interface Check {
  /** a series of ours, one value per bar */
  ours: (i: number) => number;
  file: string;
  column: string;
  /** Our first defined bar must be the reference's first row ('same'), or may be earlier ('earlier': the file drops rows where another column is not defined yet). */
  start: 'same' | 'earlier';
  /** Compare our value at bar i + shift with the reference at bar i (rows whose i + shift is past the data are skipped). */
  shift?: number;
}

const summary: string[] = [];

function feature(name: string): (i: number) => number {
  const f = featureIndex(name);
  return (i) => vectors[i]![f]!;
}

function verify(label: string, c: Check): void {
  const ref = readNumericCsv(path.join(QUANTEDGE_DIR, c.file));
  expect(ref.length).toBeGreaterThan(600);
  const refFirst = indexByTime.get(ref[0]!['open_time']!);
  expect(refFirst).toBeDefined();
  // The reference rows run without a gap to the last bar, so every later bar is compared.
  expect(ref.length).toBe(bars.length - refFirst!);
  let maxRel = 0;
  let maxAbs = 0;
  const bad: string[] = [];
  const shift = c.shift ?? 0;
  let compared = 0;
  for (const row of ref) {
    const i = indexByTime.get(row['open_time']!);
    if (i === undefined) throw new Error(`${c.file}: open_time ${row['open_time']} is not a bar of btcusdt-1h.csv`);
    const want = row[c.column];
    if (want === undefined) throw new Error(`${c.file} has no column ${c.column}`);
    if (i + shift >= bars.length) continue;
    compared++;
    const got = c.ours(i + shift);
    const abs = Math.abs(got - want);
    if (!(abs <= REL_TOL * Math.abs(want) + ABS_FLOOR)) bad.push(`bar ${i}: ours ${got}, reference ${want}`);
    if (abs > maxAbs) maxAbs = abs;
    if (Math.abs(want) >= 1e-3 && abs / Math.abs(want) > maxRel) maxRel = abs / Math.abs(want);
  }
  expect(bad.slice(0, 5)).toEqual([]);
  expect(compared).toBe(ref.length - shift);
  let ourFirst = 0;
  while (ourFirst + shift < bars.length && !Number.isFinite(c.ours(ourFirst + shift))) ourFirst++;
  if (c.start === 'same') expect(ourFirst).toBe(refFirst);
  else expect(ourFirst).toBeLessThanOrEqual(refFirst!);
  summary.push(`${label.padEnd(34)} ${c.file}:${c.column}  from bar ${refFirst! + shift}  max rel ${maxRel.toExponential(2)}  max abs ${maxAbs.toExponential(2)}`);
}

afterAll(() => {
  // One line per indicator: the figures the README quotes.
  process.stdout.write(`reference match (talipp via quantedge-ta):\n  ${summary.join('\n  ')}\n`);
});

describe('features match the talipp reference (quantedge-ta, BTCUSDT 1h, January 2025)', () => {
  it('has the 744 bars, hourly and in order', () => {
    expect(bars).toHaveLength(744);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.openTime - bars[i - 1]!.openTime).toBe(3_600_000);
  });

  it('SMA(20): sma_20 and the Bollinger middle', () => {
    verify('sma_20', { ours: feature('sma_20'), file: 'sma-20-close.csv', column: 'expected', start: 'same' });
    verify('sma_20 (bb middle)', { ours: feature('sma_20'), file: 'bb-20-2-close.csv', column: 'middle', start: 'same' });
  });

  it('EMA(20): the SMA-seeded Ema behind ema_12/26/50/200 and MACD', () => {
    const ema = new Ema(20);
    const series = bars.map((b) => ema.push(b.close));
    verify('Ema(20)', { ours: (i) => series[i]!, file: 'ema-20-close.csv', column: 'expected', start: 'same' });
  });

  it('RSI(14): rsi_14', () => {
    verify('rsi_14', { ours: feature('rsi_14'), file: 'rsi-14-close.csv', column: 'expected', start: 'same' });
  });

  it('MACD(12, 26, 9): macd, signal, histogram', () => {
    verify('macd_12_26_9', { ours: feature('macd_12_26_9'), file: 'macd-12-26-9-close.csv', column: 'macd', start: 'earlier' });
    verify('macd_signal_12_26_9', { ours: feature('macd_signal_12_26_9'), file: 'macd-12-26-9-close.csv', column: 'signal', start: 'same' });
    verify('macd_hist_12_26_9', { ours: feature('macd_hist_12_26_9'), file: 'macd-12-26-9-close.csv', column: 'histogram', start: 'same' });
  });

  it('Bollinger(20, 2): upper and lower bands', () => {
    verify('bb_upper_20_2', { ours: feature('bb_upper_20_2'), file: 'bb-20-2-close.csv', column: 'upper', start: 'same' });
    verify('bb_lower_20_2', { ours: feature('bb_lower_20_2'), file: 'bb-20-2-close.csv', column: 'lower', start: 'same' });
  });

  it('ATR(14): atr_14', () => {
    verify('atr_14', { ours: feature('atr_14'), file: 'atr-14.csv', column: 'expected', start: 'same' });
  });

  it('ADX(14): adx_14, pdi_14, mdi_14', () => {
    verify('adx_14', { ours: feature('adx_14'), file: 'adx-14.csv', column: 'adx', start: 'same' });
    verify('pdi_14', { ours: feature('pdi_14'), file: 'adx-14.csv', column: 'plus_di', start: 'earlier' });
    verify('mdi_14', { ours: feature('mdi_14'), file: 'adx-14.csv', column: 'minus_di', start: 'earlier' });
  });

  it('Stochastic(14, 1, 3): stoch_k_14_3, stoch_d_14_3', () => {
    verify('stoch_k_14_3', { ours: feature('stoch_k_14_3'), file: 'stoch-14-1-3.csv', column: 'k', start: 'earlier' });
    verify('stoch_d_14_3', { ours: feature('stoch_d_14_3'), file: 'stoch-14-1-3.csv', column: 'd', start: 'same' });
  });

  it('StochRSI(14, 14, 3, 3): stochrsi_k, stochrsi_d', () => {
    verify('stochrsi_k_14_14_3_3', { ours: feature('stochrsi_k_14_14_3_3'), file: 'stoch-rsi-14-14-3-3-close.csv', column: 'k', start: 'earlier' });
    verify('stochrsi_d_14_14_3_3', { ours: feature('stochrsi_d_14_14_3_3'), file: 'stoch-rsi-14-14-3-3-close.csv', column: 'd', start: 'same' });
  });

  it('CCI(20): cci_20', () => {
    verify('cci_20', { ours: feature('cci_20'), file: 'cci-20.csv', column: 'expected', start: 'same' });
  });

  it('Williams %R(14): willr_14', () => {
    verify('willr_14', { ours: feature('willr_14'), file: 'willr-14.csv', column: 'expected', start: 'same' });
  });

  it('OBV: obv', () => {
    verify('obv', { ours: feature('obv'), file: 'obv-close.csv', column: 'expected', start: 'same' });
  });

  it('Donchian(20): dc_upper_20, dc_lower_20, and the _prev channel one bar later', () => {
    verify('dc_upper_20', { ours: feature('dc_upper_20'), file: 'dc-20.csv', column: 'upper', start: 'same' });
    verify('dc_lower_20', { ours: feature('dc_lower_20'), file: 'dc-20.csv', column: 'lower', start: 'same' });
    // donchian_*_prev at bar i is the channel of the 20 bars before i: the reference's channel at bar i − 1.
    const high = feature('donchian_high_20_prev');
    const low = feature('donchian_low_20_prev');
    verify('donchian_high_20_prev (shifted)', { ours: high, file: 'dc-20.csv', column: 'upper', start: 'same', shift: 1 });
    verify('donchian_low_20_prev (shifted)', { ours: low, file: 'dc-20.csv', column: 'lower', start: 'same', shift: 1 });
  });
});

/**
 * The batch pass: every feature recomputed from scratch over whole columns,
 * each windowed value summed afresh from its window (O(bars × window)). It
 * shares no indicator code with the incremental pipeline (no library, no
 * running sums, no deques), so the tests' "incremental == batch" comparison
 * checks one implementation against another. Used for training sets and by
 * the tests; the live path and backtests use FeaturePipeline.
 */
import type { Bar } from '@cte/shared/core';
import { checkBarOrder, checkBarValues } from './bar-checks';
import { FEATURE_COUNT, FI, type FeatureName } from './names';

type Col = Float64Array;

const FLAT_REL = 1e-10;
/** Same threshold as the pipeline (see StochOfSeries). */
const RSI_FLAT_RANGE = 1e-9;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

function nanCol(n: number): Col {
  return new Float64Array(n).fill(Number.NaN);
}

function firstFinite(x: Col): number {
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) return i;
  return x.length;
}

/** Simple average of x[i−p+1..i], defined once the window lies in the finite part of x. */
function sma(x: Col, p: number): Col {
  const out = nanCol(x.length);
  for (let i = firstFinite(x) + p - 1; i < x.length; i++) {
    let s = 0;
    for (let j = i - p + 1; j <= i; j++) s += x[j]!;
    out[i] = s / p;
  }
  return out;
}

function sumOver(x: Col, i: number, p: number): number {
  let s = 0;
  for (let j = i - p + 1; j <= i; j++) s += x[j]!;
  return s;
}

/** EMA seeded with the SMA of the first p finite values, alpha = 2/(p+1). */
function ema(x: Col, p: number): Col {
  const out = nanCol(x.length);
  const a = 2 / (p + 1);
  const s0 = firstFinite(x) + p - 1;
  if (s0 >= x.length) return out;
  out[s0] = sumOver(x, s0, p) / p;
  for (let i = s0 + 1; i < x.length; i++) out[i] = a * x[i]! + (1 - a) * out[i - 1]!;
  return out;
}

/** Wilder's average seeded with the SMA of the first p finite values. */
function wilder(x: Col, p: number): Col {
  const out = nanCol(x.length);
  const s0 = firstFinite(x) + p - 1;
  if (s0 >= x.length) return out;
  out[s0] = sumOver(x, s0, p) / p;
  for (let i = s0 + 1; i < x.length; i++) out[i] = (out[i - 1]! * (p - 1) + x[i]!) / p;
  return out;
}

function rollMax(x: Col, p: number): Col {
  const out = nanCol(x.length);
  for (let i = firstFinite(x) + p - 1; i < x.length; i++) {
    let m = -Infinity;
    for (let j = i - p + 1; j <= i; j++) if (x[j]! > m) m = x[j]!;
    out[i] = m;
  }
  return out;
}

function rollMin(x: Col, p: number): Col {
  const out = nanCol(x.length);
  for (let i = firstFinite(x) + p - 1; i < x.length; i++) {
    let m = Infinity;
    for (let j = i - p + 1; j <= i; j++) if (x[j]! < m) m = x[j]!;
    out[i] = m;
  }
  return out;
}

/** z-score of x[i] in its p-window (population σ, two passes); 0 for a flat window. */
function zScore(x: Col, p: number): Col {
  const out = nanCol(x.length);
  for (let i = p - 1; i < x.length; i++) {
    const mean = sumOver(x, i, p) / p;
    let ss = 0;
    for (let j = i - p + 1; j <= i; j++) ss += (x[j]! - mean) ** 2;
    const sd = Math.sqrt(ss / p);
    out[i] = sd > FLAT_REL * mean ? (x[i]! - mean) / sd : 0;
  }
  return out;
}

function map(n: number, f: (i: number) => number): Col {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** RSI (Wilder): 100 when the average loss is 0. */
function rsi(c: Col, p: number): Col {
  const n = c.length;
  const gain = nanCol(n);
  const loss = nanCol(n);
  for (let i = 1; i < n; i++) {
    const d = c[i]! - c[i - 1]!;
    gain[i] = d > 0 ? d : 0;
    loss[i] = d < 0 ? -d : 0;
  }
  const ag = wilder(gain, p);
  const al = wilder(loss, p);
  return map(n, (i) => (ag[i]! !== ag[i]! ? Number.NaN : al[i] === 0 ? 100 : 100 - 100 / (1 + ag[i] / al[i]!)));
}

/** Stochastic of x over p values (100 when the window's range is ≤ flatRange), smoothed by SMA(kS) then SMA(dS). */
function stochOf(x: Col, p: number, kS: number, dS: number, flatRange: number): { k: Col; d: Col } {
  const hh = rollMax(x, p);
  const ll = rollMin(x, p);
  const raw = map(x.length, (i) => (hh[i]! !== hh[i]! ? Number.NaN : hh[i] - ll[i]! <= flatRange ? 100 : (100 * (x[i]! - ll[i]!)) / (hh[i] - ll[i]!)));
  const k = kS === 1 ? raw : sma(raw, kS);
  return { k, d: sma(k, dS) };
}

/** Every feature of every bar, from scratch. Same validation as FeaturePipeline (time order, values). */
export function computeFeaturesBatch(bars: readonly Bar[]): Float64Array[] {
  const n = bars.length;
  for (let i = 0; i < n; i++) {
    checkBarOrder(bars[i]!.openTime, i === 0 ? Number.NaN : bars[i - 1]!.openTime);
    checkBarValues(bars[i]!);
  }
  const o = map(n, (i) => bars[i]!.open);
  const h = map(n, (i) => bars[i]!.high);
  const l = map(n, (i) => bars[i]!.low);
  const c = map(n, (i) => bars[i]!.close);
  const v = map(n, (i) => bars[i]!.volume);
  const cols = new Map<FeatureName, Col>();
  const set = (name: FeatureName, col: Col): void => {
    cols.set(name, col);
  };
  const lagged = (x: Col, k: number): Col => map(n, (i) => (i >= k ? x[i - k]! : Number.NaN));
  const relCol = (a: Col, b: Col): Col => map(n, (i) => a[i]! / b[i]! - 1);

  set('close', c);

  // Returns
  for (const k of [1, 2, 3, 5, 10, 20, 50, 100] as const) set(`ret_${k}`, relCol(c, lagged(c, k)));
  const pc = lagged(c, 1);
  const logRet = map(n, (i) => Math.log(c[i]! / pc[i]!));
  set('log_ret_1', logRet);

  // Moving averages
  const smaOf: Record<number, Col> = {};
  for (const p of [5, 10, 20, 50, 100, 200]) smaOf[p] = sma(c, p);
  const emaOf: Record<number, Col> = {};
  for (const p of [12, 26, 50, 200]) emaOf[p] = ema(c, p);
  set('ema_12', emaOf[12]!);
  set('ema_26', emaOf[26]!);
  set('ema_50', emaOf[50]!);
  set('ema_200', emaOf[200]!);
  set('sma_20', smaOf[20]!);
  set('sma_50', smaOf[50]!);
  set('sma_200', smaOf[200]!);
  for (const p of [5, 10, 20, 50, 100, 200] as const) set(`close_to_sma_${p}`, relCol(c, smaOf[p]!));
  for (const p of [12, 26, 50, 200] as const) set(`close_to_ema_${p}`, relCol(c, emaOf[p]!));
  set('sma_5_to_sma_20', relCol(smaOf[5]!, smaOf[20]!));
  set('sma_20_to_sma_50', relCol(smaOf[20]!, smaOf[50]!));
  set('sma_50_to_sma_200', relCol(smaOf[50]!, smaOf[200]!));
  set('ema_12_to_ema_26', relCol(emaOf[12]!, emaOf[26]!));
  set('ema_50_to_ema_200', relCol(emaOf[50]!, emaOf[200]!));
  set('sma_20_slope_5', relCol(smaOf[20]!, lagged(smaOf[20]!, 5)));
  set('ema_50_slope_5', relCol(emaOf[50]!, lagged(emaOf[50]!, 5)));

  // MACD
  const macd = map(n, (i) => emaOf[12]![i]! - emaOf[26]![i]!);
  const signal = ema(macd, 9);
  const hist = map(n, (i) => macd[i]! - signal[i]!);
  set('macd_12_26_9', macd);
  set('macd_signal_12_26_9', signal);
  set('macd_hist_12_26_9', hist);
  set('macd_norm_12_26_9', map(n, (i) => macd[i]! / c[i]!));
  set('macd_signal_norm_12_26_9', map(n, (i) => signal[i]! / c[i]!));
  set('macd_hist_norm_12_26_9', map(n, (i) => hist[i]! / c[i]!));

  // Oscillators
  set('rsi_7', rsi(c, 7));
  const rsi14 = rsi(c, 14);
  set('rsi_14', rsi14);
  set('rsi_21', rsi(c, 21));
  const hh14 = rollMax(h, 14);
  const ll14 = rollMin(l, 14);
  const k14 = map(n, (i) => (hh14[i]! !== hh14[i]! ? Number.NaN : hh14[i] === ll14[i] ? 100 : (100 * (c[i]! - ll14[i]!)) / (hh14[i] - ll14[i]!)));
  set('stoch_k_14_3', k14);
  set('stoch_d_14_3', sma(k14, 3));
  const srsi = stochOf(rsi14, 14, 3, 3, RSI_FLAT_RANGE);
  set('stochrsi_k_14_14_3_3', srsi.k);
  set('stochrsi_d_14_14_3_3', srsi.d);
  const willr = nanCol(n);
  for (let i = 13; i < n; i++) {
    if (hh14[i] === ll14[i]) willr[i] = i > 13 ? willr[i - 1]! : -50;
    else willr[i] = (-100 * (hh14[i]! - c[i]!)) / (hh14[i]! - ll14[i]!);
  }
  set('willr_14', willr);
  const dcU = rollMax(h, 20);
  const dcL = rollMin(l, 20);
  const tp = map(n, (i) => (h[i]! + l[i]! + c[i]!) / 3);
  const cci = nanCol(n);
  for (let i = 19; i < n; i++) {
    const mean = sumOver(tp, i, 20) / 20;
    let md = 0;
    for (let j = i - 19; j <= i; j++) md += Math.abs(tp[j]! - mean);
    md /= 20;
    cci[i] = dcU[i] === dcL[i] || md === 0 ? 0 : (tp[i]! - mean) / (0.015 * md);
  }
  set('cci_20', cci);
  const mfi = nanCol(n);
  for (let i = 14; i < n; i++) {
    let pos = 0;
    let neg = 0;
    for (let j = i - 13; j <= i; j++) {
      if (tp[j]! > tp[j - 1]!) pos += tp[j]! * v[j]!;
      else if (tp[j]! < tp[j - 1]!) neg += tp[j]! * v[j]!;
    }
    mfi[i] = pos + neg === 0 ? 50 : (100 * pos) / (pos + neg);
  }
  set('mfi_14', mfi);

  // ATR, ADX
  const tr = map(n, (i) => (i === 0 ? h[0]! - l[0]! : Math.max(h[i]! - l[i]!, Math.abs(h[i]! - c[i - 1]!), Math.abs(l[i]! - c[i - 1]!))));
  const atr = wilder(tr, 14);
  set('atr_14', atr);
  set('natr_14', map(n, (i) => (100 * atr[i]!) / c[i]!));
  set('range_to_atr_14', map(n, (i) => (atr[i] === 0 ? 0 : (h[i]! - l[i]!) / atr[i]!)));
  const pdm = nanCol(n);
  const mdm = nanCol(n);
  for (let i = 1; i < n; i++) {
    const up = h[i]! - h[i - 1]!;
    const down = l[i - 1]! - l[i]!;
    pdm[i] = up > down && up > 0 ? up : 0;
    mdm[i] = down > up && down > 0 ? down : 0;
  }
  const spdm = wilder(pdm, 14);
  const smdm = wilder(mdm, 14);
  const pdi = map(n, (i) => (spdm[i]! !== spdm[i]! ? Number.NaN : atr[i]! > 0 ? (100 * spdm[i]) / atr[i]! : 0));
  const mdi = map(n, (i) => (smdm[i]! !== smdm[i]! ? Number.NaN : atr[i]! > 0 ? (100 * smdm[i]) / atr[i]! : 0));
  const dx = map(n, (i) => (pdi[i]! !== pdi[i]! ? Number.NaN : pdi[i] + mdi[i]! > 0 ? (100 * Math.abs(pdi[i] - mdi[i]!)) / (pdi[i] + mdi[i]!) : 0));
  set('adx_14', wilder(dx, 14));
  set('pdi_14', pdi);
  set('mdi_14', mdi);
  set('di_spread_14', map(n, (i) => (pdi[i]! !== pdi[i]! ? Number.NaN : pdi[i] + mdi[i]! > 0 ? (pdi[i] - mdi[i]!) / (pdi[i] + mdi[i]!) : 0)));

  // Bollinger (20, 2)
  const bbU = nanCol(n);
  const bbL = nanCol(n);
  const bbP = nanCol(n);
  const bbW = nanCol(n);
  for (let i = 19; i < n; i++) {
    const mid = sumOver(c, i, 20) / 20;
    let ss = 0;
    for (let j = i - 19; j <= i; j++) ss += (c[j]! - mid) ** 2;
    const sd = Math.sqrt(ss / 20);
    bbU[i] = mid + 2 * sd;
    bbL[i] = mid - 2 * sd;
    const w = bbU[i]! - bbL[i]!;
    bbP[i] = w > FLAT_REL * mid ? (c[i]! - bbL[i]!) / w : 0.5;
    bbW[i] = w / mid;
  }
  set('bb_upper_20_2', bbU);
  set('bb_lower_20_2', bbL);
  set('bb_pctb_20_2', bbP);
  set('bb_width_20_2', bbW);

  // Realised and range volatility
  const r2 = map(n, (i) => logRet[i]! * logRet[i]!);
  const rv = (p: number): Col => map(n, (i) => (i >= p ? Math.sqrt(sumOver(r2, i, p) / p) : Number.NaN));
  const rv10 = rv(10);
  const rv50 = rv(50);
  set('realized_vol_10', rv10);
  set('realized_vol_20', rv(20));
  set('realized_vol_50', rv50);
  set('vol_ratio_10_50', map(n, (i) => (rv50[i]! !== rv50[i]! ? Number.NaN : rv50[i] > 0 ? rv10[i]! / rv50[i] : 1)));
  const lhl2 = map(n, (i) => Math.log(h[i]! / l[i]!) ** 2);
  set('parkinson_vol_20', map(n, (i) => (i >= 19 ? Math.sqrt(sumOver(lhl2, i, 20) / 20 / (4 * Math.LN2)) : Number.NaN)));
  set('range_pct', map(n, (i) => (h[i]! - l[i]!) / c[i]!));

  // Channels
  set('dc_upper_20', dcU);
  set('dc_lower_20', dcL);
  const dcUp = lagged(dcU, 1);
  const dcLp = lagged(dcL, 1);
  set('donchian_high_20_prev', dcUp);
  set('donchian_low_20_prev', dcLp);
  set('dc_pos_20', map(n, (i) => (dcU[i]! !== dcU[i]! ? Number.NaN : dcU[i] === dcL[i] ? 0.5 : (c[i]! - dcL[i]!) / (dcU[i] - dcL[i]!))));
  set('close_to_donchian_high_20_prev', relCol(c, dcUp));
  set('close_to_donchian_low_20_prev', relCol(c, dcLp));
  set('close_to_high_50', relCol(c, rollMax(h, 50)));
  set('close_to_low_50', relCol(c, rollMin(l, 50)));
  set('close_to_high_200', relCol(c, rollMax(h, 200)));
  set('close_to_low_200', relCol(c, rollMin(l, 200)));

  // Volume
  const obv = new Float64Array(n);
  const signedVol = nanCol(n);
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      obv[0] = v[0]!;
      continue;
    }
    const sgn = c[i]! > c[i - 1]! ? 1 : c[i]! < c[i - 1]! ? -1 : 0;
    obv[i] = obv[i - 1]! + sgn * v[i]!;
    signedVol[i] = sgn * v[i]!;
  }
  set('obv', obv);
  set(
    'obv_flow_20',
    map(n, (i) => {
      if (i < 20) return Number.NaN;
      const tot = sumOver(v, i, 20);
      return tot > 0 ? sumOver(signedVol, i, 20) / tot : 0;
    }),
  );
  const logVol = map(n, (i) => Math.log1p(v[i]!));
  set('log_volume', logVol);
  set('vol_z_20', zScore(v, 20));
  set('vol_z_50', zScore(v, 50));
  set('log_vol_z_20', zScore(logVol, 20));
  const tpv = map(n, (i) => tp[i]! * v[i]!);
  const volRel = nanCol(n);
  const volRatio = nanCol(n);
  const vwapDist = nanCol(n);
  for (let i = 19; i < n; i++) {
    const s20 = sumOver(v, i, 20);
    const s5 = sumOver(v, i, 5);
    volRel[i] = s20 > 0 ? v[i]! / (s20 / 20) : 1;
    volRatio[i] = s20 > 0 ? s5 / 5 / (s20 / 20) : 1;
    vwapDist[i] = s20 > 0 ? c[i]! / (sumOver(tpv, i, 20) / s20) - 1 : 0;
  }
  set('vol_rel_20', volRel);
  set('vol_ratio_5_20', volRatio);
  set('close_to_vwap_20', vwapDist);

  // Candle shape
  const range = map(n, (i) => h[i]! - l[i]!);
  set('body_ratio', map(n, (i) => (range[i]! > 0 ? (c[i]! - o[i]!) / range[i]! : 0)));
  set('upper_wick_ratio', map(n, (i) => (range[i]! > 0 ? (h[i]! - Math.max(o[i]!, c[i]!)) / range[i]! : 0)));
  set('lower_wick_ratio', map(n, (i) => (range[i]! > 0 ? (Math.min(o[i]!, c[i]!) - l[i]!) / range[i]! : 0)));
  set('close_pos', map(n, (i) => (range[i]! > 0 ? (c[i]! - l[i]!) / range[i]! : 0.5)));
  set('body_pct', relCol(c, o));
  set('gap_pct', relCol(o, pc));

  // Path shape
  const er = nanCol(n);
  const ups = nanCol(n);
  for (let i = 10; i < n; i++) {
    let path = 0;
    let up = 0;
    for (let j = i - 9; j <= i; j++) {
      path += Math.abs(c[j]! - c[j - 1]!);
      if (c[j]! > c[j - 1]!) up++;
    }
    er[i] = path > 0 ? Math.abs(c[i]! - c[i - 10]!) / path : 0;
    ups[i] = up / 10;
  }
  set('efficiency_ratio_10', er);
  set('up_ratio_10', ups);
  const streak = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    // Count back over the run of same-direction changes ending at i.
    const dir = Math.sign(c[i]! - c[i - 1]!);
    let len = 0;
    for (let j = i; j >= 1 && dir !== 0 && Math.sign(c[j]! - c[j - 1]!) === dir; j--) len++;
    streak[i] = dir * len;
  }
  set('streak', streak);

  // Calendar (UTC)
  const dayPhase = map(n, (i) => ((((bars[i]!.openTime % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) * 2 * Math.PI);
  const weekPhase = map(n, (i) => (((((bars[i]!.openTime + 3 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS) / WEEK_MS) * 2 * Math.PI);
  set('hour_sin', map(n, (i) => Math.sin(dayPhase[i]!)));
  set('hour_cos', map(n, (i) => Math.cos(dayPhase[i]!)));
  set('dow_sin', map(n, (i) => Math.sin(weekPhase[i]!)));
  set('dow_cos', map(n, (i) => Math.cos(weekPhase[i]!)));

  // Columns → rows
  const names = Object.keys(FI) as FeatureName[];
  const missing = names.filter((name) => !cols.has(name));
  if (missing.length > 0 || cols.size !== FEATURE_COUNT) throw new Error(`batch features missing: ${missing.join(', ')}`);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) rows.push(new Float64Array(FEATURE_COUNT));
  for (const [name, col] of cols) {
    const f = FI[name];
    for (let i = 0; i < n; i++) rows[i]![f] = col[i]!;
  }
  return rows;
}

/**
 * Training rows from bars and their feature vectors (pure). Row `i` carries the
 * features of bar `i` (computed from bars 0..i only) and a label from the
 * future: the forward return `close[i+H] / close[i] − 1` over the next H bars,
 * labelled 1 when it exceeds the threshold. Rows are dropped when the features
 * are still warming up (or not finite), when fewer than H bars follow, or when
 * the H bars ahead are not exactly H periods (a gap in the data would stretch
 * the horizon).
 */
import { describeValue, InvalidArgumentError, type Bar } from '@cte/shared/core';

export interface LabelSpec {
  /** H: bars ahead. */
  horizonBars: number;
  /** Label 1 when the forward return is greater than this (a fraction: 0.002 = 0.2 %). */
  threshold: number;
}

export interface TrainingRow {
  openTime: number;
  features: Float64Array;
  fwdReturn: number;
  label: 0 | 1;
}

export interface DroppedRows {
  /** Before the pipeline's warm-up is complete. */
  warmup: number;
  /** A feature is NaN or infinite after warm-up. */
  notFinite: number;
  /** Fewer than H bars follow (the end of the data). */
  noFuture: number;
  /** The H bars ahead span more than H periods. */
  gap: number;
}

export interface TrainingSet {
  rows: TrainingRow[];
  dropped: DroppedRows;
}

/**
 * Splits time-ordered bars into runs without long gaps: a jump of more than
 * `maxGapBars` periods between consecutive bars starts a new run. Features are
 * computed per run (each with its own warm-up), so that no indicator spans,
 * say, seven months of missing data as if they were one bar.
 */
export function splitAtGaps<B extends { openTime: number }>(bars: readonly B[], periodMs: number, maxGapBars: number): B[][] {
  const runs: B[][] = [];
  let run: B[] = [];
  for (const b of bars) {
    const last = run[run.length - 1];
    if (last !== undefined && b.openTime - last.openTime > maxGapBars * periodMs) {
      runs.push(run);
      run = [];
    }
    run.push(b);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export function labelDefinition(spec: LabelSpec): string {
  return `label = 1 if close[t+${spec.horizonBars}] / close[t] - 1 > ${spec.threshold} else 0 (t = the bar whose close the features end at)`;
}

export function buildTrainingRows(
  bars: readonly Bar[],
  features: readonly Float64Array[],
  spec: LabelSpec,
  options: { warmupBars: number; periodMs: number },
): TrainingSet {
  const h = spec.horizonBars;
  if (!Number.isInteger(h) || h < 1) throw new InvalidArgumentError(`horizon must be an integer >= 1, got ${h}`);
  if (!Number.isFinite(spec.threshold)) throw new InvalidArgumentError(`threshold must be a finite number, got ${spec.threshold}`);
  if (features.length !== bars.length) throw new InvalidArgumentError(`${features.length} feature rows for ${bars.length} bars`);
  const dropped: DroppedRows = { warmup: 0, notFinite: 0, noFuture: 0, gap: 0 };
  const rows: TrainingRow[] = [];
  const span = h * options.periodMs;
  for (let i = 0; i < bars.length; i++) {
    if (i < options.warmupBars - 1) {
      dropped.warmup++;
      continue;
    }
    const f = features[i]!;
    let finite = true;
    for (let k = 0; k < f.length; k++) {
      if (!Number.isFinite(f[k]!)) {
        finite = false;
        break;
      }
    }
    if (!finite) {
      dropped.notFinite++;
      continue;
    }
    if (i + h >= bars.length) {
      dropped.noFuture++;
      continue;
    }
    const now = bars[i]!;
    const ahead = bars[i + h]!;
    if (ahead.openTime - now.openTime !== span) {
      dropped.gap++;
      continue;
    }
    const fwdReturn = ahead.close / now.close - 1;
    rows.push({ openTime: now.openTime, features: f, fwdReturn, label: fwdReturn > spec.threshold ? 1 : 0 });
  }
  return { rows, dropped };
}

/** `open_time,<features...>,fwd_return,label`. */
export function trainingCsvHeader(featureNames: readonly string[]): string {
  for (const n of featureNames) {
    if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new InvalidArgumentError(`feature name ${describeValue(n)} cannot be a CSV column`);
  }
  return ['open_time', ...featureNames, 'fwd_return', 'label'].join(',');
}

/** One CSV line; numbers in shortest round-trip form, so Python reads the exact float64 values. */
export function trainingCsvLine(row: TrainingRow): string {
  let s = String(row.openTime);
  const f = row.features;
  for (let k = 0; k < f.length; k++) s += `,${f[k]!}`;
  return `${s},${row.fwdReturn},${row.label}`;
}

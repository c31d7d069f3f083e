#!/usr/bin/env node
/**
 * signal-generator benchmarks (part of `make bench`): the feature pipeline over real bars and
 * XGBoost inference on a 100-tree depth-6 model, each next to a floor measured in the same run.
 */
import path from 'node:path';
import { type Bar } from '@cte/shared';
import { benchRow, reportBench } from '@cte/bench';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { benchmarkFeatures } from '../engine/features/bench';
import { benchmarkXgb } from '../engine/xgboost';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const HOURLY = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');

/** Floor for the pipeline: touching every field of every bar once (the data must at least be read). */
function readBarsFloor(bars: readonly Bar[]): number {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (const b of bars) sink += b.open + b.high + b.low + b.close + b.volume + b.openTime;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink === 42) console.log('');
  return bars.length / s;
}

function main(): void {
  const contents = readAnyFile(HOURLY, { exchange: 'coinbase' });
  if (contents.kind !== 'bars') throw new Error('expected bars');
  const bars = contents.bars;

  const pipeline: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    pipeline.push(benchmarkFeatures(bars, 3).barsPerSec);
    floor.push(readBarsFloor(bars));
  }

  const xgb = benchmarkXgb({ runs: RUNS });
  const rows = [
    benchRow(`feature pipeline, 100 features, 1 symbol (${bars.length} real 1h bars)`, 'bars/s', pipeline, 'read every bar field once', floor, 'backtest >= 100k bars/s'),
    benchRow(
      `XGBoost inference, ${xgb.trees} trees depth ${xgb.depth}, ${xgb.features} features`,
      'rows/s',
      [xgb.predict.rowsPerSec],
      '1 random leaf lookup per tree (no tree walk)',
      [xgb.leafLookups.rowsPerSec],
      'backtest >= 100k bars/s',
    ),
  ];
  reportBench('signal-generator', rows, RUNS, { bars: bars.length, xgb_rows: xgb.rows, xgb_read_rows_per_sec: xgb.readRows.rowsPerSec });
}

main();

#!/usr/bin/env node
/** signals-aggregator benchmark (part of `make bench`): consensus throughput next to parsing alone. */
import { benchRow, reportBench } from '@cte/bench';
import { benchmarkConsensus } from '../engine/bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const r = benchmarkConsensus({ runs: RUNS });
reportBench(
  'signals-aggregator',
  [
    benchRow(
      `consensus: validate + track record + decay + vote (${r.symbols} symbols x ${r.agents} sources)`,
      'signals/s',
      [r.signalsPerSec],
      'JSON.parse + parseSignalMessage only',
      [r.baselinePerSec],
      'n/a',
    ),
  ],
  RUNS,
  { signals: r.signals },
);

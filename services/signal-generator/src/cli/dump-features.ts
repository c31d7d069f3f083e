#!/usr/bin/env node
/**
 * cte-dump-features: bars from market-data files → feature rows with forward
 * labels, as CSV for scripts/train.py (`make train`). Offline: reads the files
 * with price-stream's readers, resamples to the target timeframe, computes the
 * features with the same code the service runs (computeFeaturesBatch).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeValue, DomainError, TIMEFRAMES, isTimeframe, parseSymbol, timeframeMs, type Bar, type Timeframe } from '@cte/shared';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { aggregateBars } from '@cte/price-stream/dist/engine/bar-aggregator';
import { FEATURE_NAMES, WARMUP_BARS, computeFeaturesBatch } from '../engine/features';
import { buildTrainingRows, labelDefinition, splitAtGaps, trainingCsvHeader, trainingCsvLine, type TrainingRow } from '../engine/training/dataset';

export const DUMP_USAGE = `Usage: cte-dump-features --input <file> [--input <file> ...] --timeframe <tf> --out <file.csv>
                         [--symbol BASE/QUOTE] [--horizon N] [--threshold X] [--max-gap-bars G]

Writes one CSV row per bar after the feature warm-up:
  open_time,<${FEATURE_NAMES.length} features>,fwd_return,label
where fwd_return = close[t+N] / close[t] - 1 and label = 1 if fwd_return > X else 0, and a
sidecar <out>.meta.json (symbol, timeframe, label, source, row counts) for scripts/train.py.

  -i, --input       bar file: CryptoDataDownload CSV, Lean *_trade.zip, open_time,o,h,l,c,v CSV, ...
                    (repeat or comma-separate; a directory means every file in it)
  -t, --timeframe   target timeframe, one of ${TIMEFRAMES.join(', ')} (finer bars are resampled)
  -s, --symbol      keep only this symbol (required when the files hold several)
  -H, --horizon     label horizon in bars (default 4)
  -x, --threshold   label threshold as a fraction (default 0: label 1 = the close rose; 0.002 = 0.2 %)
      --max-gap-bars  a gap of more than G periods between bars restarts the features and their
                    warm-up (default 3); rows whose H bars ahead span any gap are dropped
  -o, --out         CSV to write ('-' for stdout; the sidecar then needs --meta-out)
      --meta-out    where to write the sidecar (default <out>.meta.json)
  -h, --help        show this help

Exit codes: 0 ok, 1 unreadable or invalid data, 2 bad arguments.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface DumpArgs {
  inputs: string[];
  timeframe: Timeframe;
  symbol?: string;
  horizon: number;
  threshold: number;
  maxGapBars: number;
  out: string;
  metaOut?: string;
}

const FLAGS: Record<string, keyof DumpArgs> = {
  '-i': 'inputs',
  '--input': 'inputs',
  '-t': 'timeframe',
  '--timeframe': 'timeframe',
  '-s': 'symbol',
  '--symbol': 'symbol',
  '-H': 'horizon',
  '--horizon': 'horizon',
  '-x': 'threshold',
  '--threshold': 'threshold',
  '-o': 'out',
  '--out': 'out',
  '--meta-out': 'metaOut',
  '--max-gap-bars': 'maxGapBars',
};

export function parseDumpArgs(argv: readonly string[]): { kind: 'help' } | { kind: 'run'; args: DumpArgs } {
  const inputs: string[] = [];
  const values: Partial<Record<keyof DumpArgs, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = FLAGS[flag];
    if (name === undefined) throw new UsageError(`unknown argument ${describeValue(arg)}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    if (name === 'inputs') inputs.push(...value.split(',').filter((s) => s !== ''));
    else values[name] = value;
  }
  if (inputs.length === 0) throw new UsageError('--input is required');
  if (values.out === undefined) throw new UsageError('--out is required');
  if (values.timeframe === undefined || !isTimeframe(values.timeframe)) {
    throw new UsageError(`--timeframe must be one of ${TIMEFRAMES.join(', ')}`);
  }
  const horizon = values.horizon === undefined ? 4 : Number(values.horizon);
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 10_000) throw new UsageError('--horizon must be an integer in 1..10000');
  const threshold = values.threshold === undefined ? 0 : Number(values.threshold);
  if (!Number.isFinite(threshold) || threshold <= -1) throw new UsageError('--threshold must be a number > -1');
  const maxGapBars = values.maxGapBars === undefined ? 3 : Number(values.maxGapBars);
  if (!Number.isInteger(maxGapBars) || maxGapBars < 1) throw new UsageError('--max-gap-bars must be an integer >= 1');
  if (values.out === '-' && values.metaOut === undefined) throw new UsageError('--out - needs --meta-out');
  const args: DumpArgs = { inputs, timeframe: values.timeframe, horizon, threshold, maxGapBars, out: values.out };
  if (values.symbol !== undefined) args.symbol = parseSymbol(values.symbol);
  if (values.metaOut !== undefined) args.metaOut = values.metaOut;
  return { kind: 'run', args };
}

function expandInputs(inputs: readonly string[]): string[] {
  return inputs.flatMap((p) =>
    fs.statSync(p).isDirectory()
      ? fs
          .readdirSync(p)
          .filter((n) => !n.startsWith('.'))
          .sort()
          .map((n) => path.join(p, n))
      : [p],
  );
}

/** Bars of one symbol from every input, in time order, resampled to `timeframe`. */
export function loadBars(files: readonly string[], timeframe: Timeframe, symbol: string | undefined): { bars: Bar[]; duplicates: number } {
  const all: Bar[] = [];
  for (const file of files) {
    const contents = readAnyFile(file);
    if (contents.kind !== 'bars') throw new UsageError(`${file}: holds trades, not bars; aggregate it first (cte-bars)`);
    for (const b of contents.bars) all.push(b); // no spread: files can hold millions of bars
  }
  const symbols = [...new Set(all.map((b) => b.symbol))];
  const chosen = symbol ?? (symbols.length === 1 ? symbols[0] : undefined);
  if (chosen === undefined) throw new UsageError(`the inputs hold ${symbols.length} symbols (${symbols.join(', ')}); pick one with --symbol`);
  const bars = all.filter((b) => b.symbol === chosen).sort((a, b) => a.openTime - b.openTime || timeframeMs(a.timeframe) - timeframeMs(b.timeframe));
  if (bars.length === 0) throw new UsageError(`no ${chosen} bars in the inputs (found ${symbols.join(', ') || 'none'})`);
  // Overlapping files: keep the first bar of each open time.
  const unique: Bar[] = [];
  let duplicates = 0;
  for (const b of bars) {
    if (unique.length > 0 && unique[unique.length - 1]!.openTime === b.openTime) duplicates++;
    else unique.push(b);
  }
  // One exchange label for the resampler's series key.
  const exchange = unique[0]!.exchange;
  const sameSeries = unique.map((b) => (b.exchange === exchange ? b : { ...b, exchange }));
  const finer = sameSeries.some((b) => b.timeframe !== timeframe);
  return { bars: finer ? aggregateBars(sameSeries, timeframe) : sameSeries, duplicates };
}

export interface DumpSummary {
  symbol: string;
  timeframe: Timeframe;
  bars: number;
  rows: number;
  positives: number;
  from: number | null;
  to: number | null;
  /** Runs of bars without a gap longer than --max-gap-bars. */
  segments: number;
  dropped: { warmup: number; notFinite: number; noFuture: number; gap: number; duplicateBars: number };
}

export function runDump(args: DumpArgs, writeOut: (chunk: string) => void = (s) => process.stdout.write(s)): DumpSummary {
  const files = expandInputs(args.inputs);
  const { bars, duplicates } = loadBars(files, args.timeframe, args.symbol);
  const spec = { horizonBars: args.horizon, threshold: args.threshold };
  const periodMs = timeframeMs(args.timeframe);
  const segments = splitAtGaps(bars, periodMs, args.maxGapBars);
  const rows: TrainingRow[] = [];
  const dropped = { warmup: 0, notFinite: 0, noFuture: 0, gap: 0 };
  for (const seg of segments) {
    const set = buildTrainingRows(seg, computeFeaturesBatch(seg), spec, { warmupBars: WARMUP_BARS, periodMs });
    for (const r of set.rows) rows.push(r);
    for (const k of Object.keys(dropped) as (keyof typeof dropped)[]) dropped[k] += set.dropped[k];
  }
  const set = { rows, dropped };

  const lines: string[] = [trainingCsvHeader(FEATURE_NAMES)];
  for (const r of set.rows) lines.push(trainingCsvLine(r));
  const csv = `${lines.join('\n')}\n`;
  if (args.out === '-') writeOut(csv);
  else {
    fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
    fs.writeFileSync(args.out, csv);
  }

  const summary: DumpSummary = {
    symbol: bars[0]!.symbol,
    timeframe: args.timeframe,
    bars: bars.length,
    rows: set.rows.length,
    positives: set.rows.reduce((s, r) => s + r.label, 0),
    from: set.rows[0]?.openTime ?? null,
    to: set.rows[set.rows.length - 1]?.openTime ?? null,
    segments: segments.length,
    dropped: { ...set.dropped, duplicateBars: duplicates },
  };
  const sidecar = {
    symbol: summary.symbol,
    timeframe: args.timeframe,
    exchange: bars[0]!.exchange,
    feature_names: FEATURE_NAMES,
    warmup_bars: WARMUP_BARS,
    label: { horizon_bars: args.horizon, threshold: args.threshold, definition: labelDefinition(spec) },
    source: {
      files: files.map((f) => path.basename(f)),
      bars: bars.length,
      first_bar: bars[0]!.openTime,
      last_bar: bars[bars.length - 1]!.openTime,
      segments: segments.length,
      max_gap_bars: args.maxGapBars,
    },
    rows: summary.rows,
    positives: summary.positives,
    dropped: summary.dropped,
  };
  fs.writeFileSync(args.metaOut ?? `${args.out}.meta.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  return summary;
}

export function main(argv: readonly string[] = process.argv.slice(2)): number {
  let parsed: ReturnType<typeof parseDumpArgs>;
  try {
    parsed = parseDumpArgs(argv);
  } catch (e) {
    process.stderr.write(`cte-dump-features: ${(e as Error).message}\n\n${DUMP_USAGE}`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(DUMP_USAGE);
    return 0;
  }
  try {
    const s = runDump(parsed.args);
    const pct = s.rows > 0 ? ((100 * s.positives) / s.rows).toFixed(1) : '0';
    process.stderr.write(
      `cte-dump-features: ${s.symbol} ${s.timeframe}: ${s.bars} bars in ${s.segments} run(s) → ${s.rows} rows (${pct}% label 1), ` +
        `${s.from === null ? '' : `${new Date(s.from).toISOString()} .. ${new Date(s.to!).toISOString()}, `}` +
        `dropped ${JSON.stringify(s.dropped)}\n`,
    );
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError;
    const message = e instanceof DomainError || usage || (e as NodeJS.ErrnoException).code !== undefined ? (e as Error).message : String(e);
    process.stderr.write(`cte-dump-features: ${message}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) process.exitCode = main();

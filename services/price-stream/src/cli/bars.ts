#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { describeValue, DomainError, TIMEFRAMES, isTimeframe, numberToDecimalString, parseSymbol, timeframeMs } from '@cte/shared';
import type { Bar, Timeframe } from '@cte/shared';
import { BarAggregator, aggregateBars } from '../engine/bar-aggregator';
import { readAnyFile, type FileContents } from '../adapters/readers/read-any-file';

export const BARS_USAGE = `Usage: cte-bars <file> --timeframe <tf> [--symbol BASE/QUOTE] [--exchange ID]

Aggregates a trade file or a bar file into OHLCV bars and prints CSV to stdout:
  open_time_ms,open_time_iso,open,high,low,close,volume,trades

  <file>             trades: JSON array (.json/.json.gz, freqtrade/ccxt dump) or CSV ts,price,qty[,side]
                     bars:   Lean *_trade.zip, CryptoDataDownload CSV, CSV open_time,open,high,low,close,volume
  -t, --timeframe    one of ${TIMEFRAMES.join(', ')} (bar files: a multiple of the file's own timeframe)
  -s, --symbol       symbol when the file does not name it (or to override), e.g. XRP/ETH
  -e, --exchange     exchange id to label the bars with, e.g. binance
  -h, --help         show this help

Periods without trades produce no bar. Exit codes: 0 ok, 1 unreadable or invalid data, 2 bad arguments.
`;

export interface BarsCliArgs {
  file: string;
  timeframe: Timeframe;
  symbol?: string;
  exchange?: string;
}

export type ParsedBarsArgs = { kind: 'help' } | { kind: 'run'; args: BarsCliArgs };

/** Bad command-line arguments: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTION_NAMES: Record<string, 'timeframe' | 'symbol' | 'exchange'> = {
  '--timeframe': 'timeframe',
  '-t': 'timeframe',
  '--symbol': 'symbol',
  '-s': 'symbol',
  '--exchange': 'exchange',
  '-e': 'exchange',
};

/** Parses `cte-bars` arguments (without node and script). Pure; throws UsageError. */
export function parseBarsArgs(argv: readonly string[]): ParsedBarsArgs {
  const values: Partial<Record<'timeframe' | 'symbol' | 'exchange', string>> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(0, eq) : arg;
      const name = OPTION_NAMES[flag];
      if (name === undefined) throw new UsageError(`unknown option ${flag}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) throw new UsageError(`${flag} needs a value`);
      if (values[name] !== undefined) throw new UsageError(`${flag} given more than once`);
      values[name] = value;
      continue;
    }
    positional.push(arg);
  }
  if (positional.length === 0) throw new UsageError('missing <file>');
  if (positional.length > 1) throw new UsageError(`expected one file, got ${positional.length}: ${positional.join(' ')}`);
  if (values.timeframe === undefined) throw new UsageError('missing --timeframe');
  if (!isTimeframe(values.timeframe)) {
    throw new UsageError(`invalid timeframe ${describeValue(values.timeframe)}: expected one of ${TIMEFRAMES.join(', ')}`);
  }
  const args: BarsCliArgs = { file: positional[0]!, timeframe: values.timeframe };
  if (values.symbol !== undefined) {
    try {
      args.symbol = parseSymbol(values.symbol);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : 'invalid symbol');
    }
  }
  if (values.exchange !== undefined) {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(values.exchange)) throw new UsageError(`invalid exchange id ${describeValue(values.exchange)}`);
    args.exchange = values.exchange.toLowerCase();
  }
  return { kind: 'run', args };
}

/** Bars of `timeframe` from a file's contents: ticks are aggregated, bars resampled. */
export function barsFromContents(contents: FileContents, timeframe: Timeframe): { bars: Bar[]; lateTicksDropped: number } {
  if (contents.kind === 'bars') {
    const source = contents.timeframe;
    if (source !== undefined && (timeframeMs(source) > timeframeMs(timeframe) || timeframeMs(timeframe) % timeframeMs(source) !== 0)) {
      throw new UsageError(`cannot make ${timeframe} bars from ${source} bars: --timeframe must be a multiple of ${source}`);
    }
    return { bars: aggregateBars(contents.bars, timeframe), lateTicksDropped: 0 };
  }
  const aggregator = new BarAggregator([timeframe]);
  const bars: Bar[] = [];
  for (const tick of contents.ticks) {
    const closed = aggregator.onTick(tick);
    for (let i = 0; i < closed.length; i++) bars.push(closed[i]!);
  }
  bars.push(...aggregator.flush());
  return { bars, lateTicksDropped: aggregator.stats().lateTicksDropped };
}

export const BARS_CSV_HEADER = 'open_time_ms,open_time_iso,open,high,low,close,volume,trades';

export function formatBarCsvLine(bar: Bar): string {
  return [
    bar.openTime,
    new Date(bar.openTime).toISOString(),
    numberToDecimalString(bar.open),
    numberToDecimalString(bar.high),
    numberToDecimalString(bar.low),
    numberToDecimalString(bar.close),
    numberToDecimalString(bar.volume),
    bar.trades,
  ].join(',');
}

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Runs `cte-bars`; returns the exit code. */
export function run(argv: readonly string[], io: CliIo): number {
  let parsed: ParsedBarsArgs;
  try {
    parsed = parseBarsArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`cte-bars: ${err.message}\nTry 'cte-bars --help'.\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    io.stdout.write(BARS_USAGE);
    return 0;
  }
  const { file, timeframe, symbol, exchange } = parsed.args;
  if (!existsSync(file)) {
    io.stderr.write(`cte-bars: no such file: ${file}\n`);
    return 2;
  }
  try {
    const options: { symbol?: string; exchange?: string } = {};
    if (symbol !== undefined) options.symbol = symbol;
    if (exchange !== undefined) options.exchange = exchange;
    const { bars, lateTicksDropped } = barsFromContents(readAnyFile(file, options), timeframe);
    const lines = [BARS_CSV_HEADER];
    for (const bar of bars) lines.push(formatBarCsvLine(bar));
    io.stdout.write(`${lines.join('\n')}\n`);
    if (lateTicksDropped > 0) io.stderr.write(`cte-bars: dropped ${lateTicksDropped} out-of-order ticks\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`cte-bars: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DomainError) {
      io.stderr.write(`cte-bars: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2), process);
}

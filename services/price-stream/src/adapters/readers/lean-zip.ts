import path from 'node:path';
import AdmZip from 'adm-zip';
import { describeValue, InvalidArgumentError, parseSymbol } from '@cte/shared';
import type { Bar, Symbol, Timeframe } from '@cte/shared';
import { requirePairSymbol } from './market-names';
import { checkOhlcv, makeBar, parseNumberField, rowError, sortByTimeUnique, splitLines } from './parse-helpers';

/**
 * QuantConnect Lean crypto bars in zips, trade files only:
 * - minute: `<market>/minute/<pair>/<YYYYMMDD>_trade.zip`, rows `ms_since_midnight,o,h,l,c,v`;
 * - hour/daily: `<market>/{hour,daily}/<pair>_trade.zip`, rows `YYYYMMDD HH:mm,o,h,l,c,v`.
 * All times are UTC. Trade counts are unknown (0).
 */
export interface LeanZipInfo {
  exchange: string;
  symbol: Symbol;
  timeframe: Timeframe;
  /** Epoch ms of the file's UTC day, for minute files. */
  dayStartMs?: number;
}

export interface LeanOptions {
  exchange?: string;
  symbol?: string;
}

const RESOLUTIONS: Record<string, Timeframe> = { minute: '1m', hour: '1h', daily: '1d' };
const DAY_FILE = /^(\d{4})(\d{2})(\d{2})_(trade|quote|openinterest)\.zip$/i;
const PAIR_FILE = /^([a-z0-9]+)_(trade|quote|openinterest)\.zip$/i;

function dayStart(y: string, m: string, d: string, where: string): number {
  const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const check = new Date(t);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(m) - 1 || check.getUTCDate() !== Number(d)) {
    throw new InvalidArgumentError(`${where}: invalid date ${y}${m}${d} in the file name`);
  }
  return t;
}

/** Reads market, resolution, pair and day from a Lean zip path; throws for quote/tick/second files. */
export function parseLeanZipPath(filePath: string, options: LeanOptions = {}): LeanZipInfo {
  const parts = path.resolve(filePath).split(path.sep);
  const name = parts[parts.length - 1]!;
  const day = DAY_FILE.exec(name);
  const pairFile = PAIR_FILE.exec(name);
  const tickType = (day?.[4] ?? pairFile?.[2] ?? '').toLowerCase();
  if (tickType === '') {
    throw new InvalidArgumentError(`${filePath}: not a Lean crypto zip name (YYYYMMDD_trade.zip or <pair>_trade.zip)`);
  }
  if (tickType !== 'trade') throw new InvalidArgumentError(`${filePath}: Lean ${tickType} files are not supported; use the _trade.zip files`);
  // minute: <market>/minute/<pair>/<day>_trade.zip ; hour/daily: <market>/<resolution>/<pair>_trade.zip
  const resolution = (day !== null ? parts[parts.length - 3] : parts[parts.length - 2])?.toLowerCase() ?? '';
  const timeframe = RESOLUTIONS[resolution];
  if (timeframe === undefined) {
    throw new InvalidArgumentError(`${filePath}: unsupported Lean resolution folder ${describeValue(resolution)} (minute, hour or daily)`);
  }
  if ((timeframe === '1m') !== (day !== null)) {
    throw new InvalidArgumentError(`${filePath}: ${resolution} files are named ${timeframe === '1m' ? 'YYYYMMDD_trade.zip' : '<pair>_trade.zip'}`);
  }
  const pair = day !== null ? parts[parts.length - 2]! : pairFile![1]!;
  const market = (day !== null ? parts[parts.length - 4] : parts[parts.length - 3]) ?? 'unknown';
  const info: LeanZipInfo = {
    exchange: options.exchange ?? market.toLowerCase(),
    symbol: options.symbol !== undefined ? parseSymbol(options.symbol) : requirePairSymbol(pair, filePath),
    timeframe,
  };
  if (day !== null) info.dayStartMs = dayStart(day[1]!, day[2]!, day[3]!, filePath);
  return info;
}

const HOUR_TIME = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2})$/;

/** Parses the CSV inside a Lean trade zip. `file` names the source in errors. */
export function parseLeanCsv(text: string, file: string, info: LeanZipInfo): Bar[] {
  const lines = splitLines(text);
  const bars: Bar[] = [];
  const lineNumbers: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.split(',');
    if (fields.length !== 6) {
      throw rowError(file, lineNo, `expected 6 fields (time,open,high,low,close,volume), got ${fields.length}`);
    }
    let openTime: number;
    if (info.dayStartMs !== undefined) {
      const offset = parseNumberField(fields[0], 'time', file, lineNo);
      if (!Number.isInteger(offset) || offset < 0 || offset >= 86_400_000) {
        throw rowError(file, lineNo, `time must be whole milliseconds since midnight, got ${fields[0]}`);
      }
      openTime = info.dayStartMs + offset;
    } else {
      const m = HOUR_TIME.exec(fields[0]!.trim());
      if (m === null) throw rowError(file, lineNo, `time must be "YYYYMMDD HH:mm", got ${describeValue(fields[0])}`);
      if (Number(m[4]) > 23 || Number(m[5]) > 59) throw rowError(file, lineNo, `invalid time ${fields[0]}`);
      openTime = dayStart(m[1]!, m[2]!, m[3]!, `${file}:${lineNo}`) + Number(m[4]) * 3_600_000 + Number(m[5]) * 60_000;
    }
    const values = {
      open: parseNumberField(fields[1], 'open', file, lineNo),
      high: parseNumberField(fields[2], 'high', file, lineNo),
      low: parseNumberField(fields[3], 'low', file, lineNo),
      close: parseNumberField(fields[4], 'close', file, lineNo),
      volume: parseNumberField(fields[5], 'volume', file, lineNo),
    };
    checkOhlcv(values, file, lineNo);
    const bar = makeBar(info.exchange, info.symbol, info.timeframe, openTime, values, 0);
    if (openTime % (bar.closeTime - bar.openTime) !== 0) {
      throw rowError(file, lineNo, `time ${new Date(openTime).toISOString()} is not aligned to ${info.timeframe}`);
    }
    bars.push(bar);
    lineNumbers.push(lineNo);
  }
  return sortByTimeUnique(bars, lineNumbers, file);
}

/** Reads a Lean trade zip (one CSV inside) into bars, oldest first. */
export function readLeanZip(filePath: string, options: LeanOptions = {}): Bar[] {
  const info = parseLeanZipPath(filePath, options);
  let zip: AdmZip;
  try {
    zip = new AdmZip(filePath);
  } catch (err) {
    throw new InvalidArgumentError(`${filePath}: cannot open zip (${err instanceof Error ? err.message : 'error'})`);
  }
  const entries = zip.getEntries().filter((e) => !e.isDirectory && e.entryName.toLowerCase().endsWith('.csv'));
  if (entries.length !== 1) throw new InvalidArgumentError(`${filePath}: expected exactly one CSV in the zip, found ${entries.length}`);
  const entry = entries[0]!;
  return parseLeanCsv(entry.getData().toString('utf8'), `${filePath}!${entry.entryName}`, info);
}

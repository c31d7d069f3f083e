import { describeValue, InvalidArgumentError, isSide, parseSymbol } from '@cte/shared';
import type { Bar, Symbol, Tick, Timeframe } from '@cte/shared';
import { readTextFile } from './file-text';
import { inferMarketFromFileName, inferTimeframe } from './market-names';
import {
  checkOhlcv,
  epochToMs,
  isNumeric,
  makeBar,
  parseNumberField,
  parseUtcDateTime,
  rowError,
  sortByTimeUnique,
  splitLines,
} from './parse-helpers';

/**
 * Generic CSVs:
 * - bars: `open_time,open,high,low,close,volume` (header optional; the time
 *   column may be named open_time, timestamp, time, date or datetime);
 * - trades: `ts,price,qty[,side]` (qty may be named amount, quantity, size or volume).
 * Times are epoch seconds, ms, µs or ns (told apart by magnitude) or UTC
 * date-times such as `2021-12-31 23:01:00.000000`. Rows come back oldest first.
 */
export interface CsvOptions {
  exchange?: string;
  symbol?: string;
  /** Bars only: the timeframe, when it cannot or should not be inferred from the spacing. */
  timeframe?: Timeframe;
}

const TIME_NAMES = ['open_time', 'timestamp', 'time', 'date', 'datetime', 'ts'];
const QTY_NAMES = ['qty', 'amount', 'quantity', 'size', 'volume'];

export type CsvShape = 'bars' | 'trades';

/** Column positions of a CSV, from its header or (without one) from the field count. */
interface Layout {
  shape: CsvShape;
  hasHeader: boolean;
  time: number;
  cols: number[];
  side?: number;
}

function layoutOf(firstLine: string, file: string): Layout {
  const fields = firstLine.split(',').map((f) => f.trim().toLowerCase());
  const hasHeader = fields.some((f) => f !== '' && !isNumeric(f) && !isSide(f) && parseUtcDateTime(f) === undefined);
  if (!hasHeader) {
    if (fields.length === 6) return { shape: 'bars', hasHeader, time: 0, cols: [1, 2, 3, 4, 5] };
    if (fields.length === 3 || fields.length === 4) {
      const layout: Layout = { shape: 'trades', hasHeader, time: 0, cols: [1, 2] };
      if (fields.length === 4) layout.side = 3;
      return layout;
    }
    throw new InvalidArgumentError(`${file}:1: cannot tell the CSV layout from ${fields.length} unnamed columns`, { file, line: 1 });
  }
  const time = fields.findIndex((f) => TIME_NAMES.includes(f));
  if (time < 0) throw new InvalidArgumentError(`${file}:1: no time column (one of ${TIME_NAMES.join(', ')})`, { file, line: 1 });
  const find = (name: string): number => fields.indexOf(name);
  if (find('open') >= 0) {
    const cols = ['open', 'high', 'low', 'close', 'volume'].map(find);
    const missing = ['open', 'high', 'low', 'close', 'volume'].filter((_, i) => cols[i]! < 0);
    if (missing.length > 0) throw new InvalidArgumentError(`${file}:1: missing column(s) ${missing.join(', ')}`, { file, line: 1 });
    return { shape: 'bars', hasHeader, time, cols };
  }
  const price = find('price');
  const qty = fields.findIndex((f) => QTY_NAMES.includes(f));
  if (price < 0 || qty < 0) {
    throw new InvalidArgumentError(`${file}:1: expected bar columns (open,high,low,close,volume) or trade columns (price,qty)`, { file, line: 1 });
  }
  const layout: Layout = { shape: 'trades', hasHeader, time, cols: [price, qty] };
  if (find('side') >= 0) layout.side = find('side');
  return layout;
}

/** Whether the CSV's first line describes bars or trades. */
export function detectCsvShape(firstLine: string, file: string): CsvShape {
  return layoutOf(firstLine, file).shape;
}

function parseTime(raw: string | undefined, file: string, line: number): number {
  const s = raw?.trim() ?? '';
  if (isNumeric(s)) {
    const n = Number(s);
    if (Number.isFinite(n) && n >= 0) return epochToMs(n);
  } else {
    const t = parseUtcDateTime(s);
    if (t !== undefined) return t;
  }
  throw rowError(file, line, `time must be epoch s/ms/µs/ns or a UTC date-time, got ${describeValue(raw ?? '')}`);
}

function symbolFor(file: string, options: CsvOptions): { exchange: string; symbol: Symbol } {
  const inferred = inferMarketFromFileName(file);
  const symbol = options.symbol !== undefined ? parseSymbol(options.symbol) : inferred.symbol;
  if (symbol === undefined) throw new InvalidArgumentError(`${file}: the file does not name its symbol; pass one (e.g. --symbol BTC/USDT)`);
  return { exchange: options.exchange ?? inferred.exchange ?? 'unknown', symbol };
}

function requireShape(layout: Layout, shape: CsvShape, file: string): void {
  if (layout.shape !== shape) throw new InvalidArgumentError(`${file}: this is a ${layout.shape} CSV, not a ${shape} CSV`, { file });
}

export function parseOhlcvCsv(text: string, file: string, options: CsvOptions = {}): Bar[] {
  const lines = splitLines(text);
  if (lines.length === 0) return [];
  const layout = layoutOf(lines[0]!, file);
  requireShape(layout, 'bars', file);
  const { exchange, symbol } = symbolFor(file, options);
  const [o, h, l, c, v] = layout.cols as [number, number, number, number, number];
  const rows: Array<{ openTime: number; open: number; high: number; low: number; close: number; volume: number }> = [];
  const lineNumbers: number[] = [];
  for (let i = layout.hasHeader ? 1 : 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.split(',');
    const row = {
      openTime: parseTime(fields[layout.time], file, lineNo),
      open: parseNumberField(fields[o], 'open', file, lineNo),
      high: parseNumberField(fields[h], 'high', file, lineNo),
      low: parseNumberField(fields[l], 'low', file, lineNo),
      close: parseNumberField(fields[c], 'close', file, lineNo),
      volume: parseNumberField(fields[v], 'volume', file, lineNo),
    };
    checkOhlcv(row, file, lineNo);
    rows.push(row);
    lineNumbers.push(lineNo);
  }
  const sorted = sortByTimeUnique(rows, lineNumbers, file);
  const timeframe = options.timeframe ?? inferTimeframe(sorted.map((r) => r.openTime), file);
  return sorted.map((r) => makeBar(exchange, symbol, timeframe, r.openTime, r, 0));
}

export function parseTradesCsv(text: string, file: string, options: CsvOptions = {}): Tick[] {
  const lines = splitLines(text);
  if (lines.length === 0) return [];
  const layout = layoutOf(lines[0]!, file);
  requireShape(layout, 'trades', file);
  const { exchange, symbol } = symbolFor(file, options);
  const [p, q] = layout.cols as [number, number];
  const ticks: Tick[] = [];
  let sorted = true;
  for (let i = layout.hasHeader ? 1 : 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.split(',');
    const ts = parseTime(fields[layout.time], file, lineNo);
    const price = parseNumberField(fields[p], 'price', file, lineNo);
    const qty = parseNumberField(fields[q], 'qty', file, lineNo);
    if (!(price > 0)) throw rowError(file, lineNo, `price must be > 0, got ${price}`);
    if (!(qty >= 0)) throw rowError(file, lineNo, `qty must be >= 0, got ${qty}`);
    const tick: Tick = { exchange, symbol, ts, price, qty };
    if (layout.side !== undefined) {
      const side = (fields[layout.side] ?? '').trim().toLowerCase();
      if (isSide(side)) tick.side = side;
      else if (side !== '') throw rowError(file, lineNo, `side must be buy or sell, got ${describeValue(side)}`);
    }
    if (ticks.length > 0 && ts < ticks[ticks.length - 1]!.ts) sorted = false;
    ticks.push(tick);
  }
  return sorted ? ticks : ticks.sort((a, b) => a.ts - b.ts);
}

export function readOhlcvCsv(filePath: string, options: CsvOptions = {}): Bar[] {
  return parseOhlcvCsv(readTextFile(filePath), filePath, options);
}

export function readTradesCsv(filePath: string, options: CsvOptions = {}): Tick[] {
  return parseTradesCsv(readTextFile(filePath), filePath, options);
}

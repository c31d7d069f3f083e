import { describeValue, InvalidArgumentError, parseSymbol } from '@cte/shared';
import type { Bar, Timeframe } from '@cte/shared';
import { readTextFile } from './file-text';
import { inferMarketFromFileName, inferTimeframe } from './market-names';
import { checkOhlcv, epochToMs, makeBar, sortByTimeUnique } from './parse-helpers';

/**
 * OHLCV bars written by pandas `DataFrame.to_json(orient='columns')`:
 * `{"date": {"0": ts, ...}, "open": {...}, "high": ..., "low": ..., "close": ..., "volume": ...}`.
 */
export interface PandasJsonOptions {
  exchange?: string;
  symbol?: string;
  timeframe?: Timeframe;
}

const COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function parsePandasColumnsJson(text: string, file: string, options: PandasJsonOptions = {}): Bar[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${file}: invalid JSON (${err instanceof Error ? err.message : 'parse error'})`, { file });
  }
  if (!isRecord(doc)) throw new InvalidArgumentError(`${file}: expected a JSON object of columns`, { file });
  const columns = COLUMNS.map((name) => {
    const col = doc[name];
    if (!isRecord(col)) throw new InvalidArgumentError(`${file}: missing column ${describeValue(name)}`, { file });
    return col;
  });
  const [dates, opens, highs, lows, closes, volumes] = columns as [
    Record<string, unknown>, Record<string, unknown>, Record<string, unknown>,
    Record<string, unknown>, Record<string, unknown>, Record<string, unknown>,
  ];
  const inferred = inferMarketFromFileName(file);
  const symbol = options.symbol !== undefined ? parseSymbol(options.symbol) : inferred.symbol;
  if (symbol === undefined) throw new InvalidArgumentError(`${file}: the file does not name its symbol; pass one (e.g. --symbol BTC/USDT)`);
  const exchange = options.exchange ?? inferred.exchange ?? 'unknown';
  const keys = Object.keys(dates);
  const rows: Array<{ openTime: number; open: number; high: number; low: number; close: number; volume: number }> = [];
  const rowIndexes: number[] = [];
  const num = (col: Record<string, unknown>, key: string, name: string): number => {
    const v = col[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidArgumentError(`${file}:[${key}]: ${name} must be a number, got ${describeValue(v)}`, { file, row: key });
    }
    return v;
  };
  for (const key of keys) {
    const row = {
      openTime: epochToMs(num(dates, key, 'date')),
      open: num(opens, key, 'open'),
      high: num(highs, key, 'high'),
      low: num(lows, key, 'low'),
      close: num(closes, key, 'close'),
      volume: num(volumes, key, 'volume'),
    };
    checkOhlcv(row, file, Number(key));
    rows.push(row);
    rowIndexes.push(Number(key));
  }
  const sorted = sortByTimeUnique(rows, rowIndexes, file);
  const timeframe = options.timeframe ?? inferTimeframe(sorted.map((r) => r.openTime), file);
  return sorted.map((r) => makeBar(exchange, symbol, timeframe, r.openTime, r, 0));
}

export function readPandasColumnsJson(filePath: string, options: PandasJsonOptions = {}): Bar[] {
  return parsePandasColumnsJson(readTextFile(filePath), filePath, options);
}

import { InvalidArgumentError } from '@cte/shared';
import type { Bar, Tick, Timeframe } from '@cte/shared';
import { looksLikeCddCsv, parseCoinbaseCddCsv } from './coinbase-cdd-csv';
import { readTextFile } from './file-text';
import { readLeanZip } from './lean-zip';
import { detectCsvShape, parseOhlcvCsv, parseTradesCsv } from './ohlcv-csv';
import { parsePandasColumnsJson } from './pandas-json';
import { splitLines } from './parse-helpers';
import { parseTradesJson } from './trades-json';

export type FileContents =
  | { kind: 'bars'; bars: Bar[]; timeframe?: Timeframe }
  | { kind: 'ticks'; ticks: Tick[] };

export interface ReadAnyFileOptions {
  /** Overrides (or supplies) the symbol; any accepted form, e.g. XRP/ETH or xrp-eth. */
  symbol?: string;
  /** Overrides (or supplies) the exchange id. */
  exchange?: string;
  /** Generic bar files: the bars' own timeframe, when their spacing cannot tell (e.g. a single bar). */
  barTimeframe?: Timeframe;
}

function bars(list: Bar[]): FileContents {
  const first = list[0];
  return first === undefined ? { kind: 'bars', bars: list } : { kind: 'bars', bars: list, timeframe: first.timeframe };
}

/**
 * Reads a market-data file, telling its format from the extension and content:
 * Lean `*_trade.zip`; JSON (optionally gzipped) trade arrays or pandas column
 * objects; CryptoDataDownload CSV; generic OHLCV or trades CSV.
 */
export function readAnyFile(filePath: string, options: ReadAnyFileOptions = {}): FileContents {
  const lower = filePath.toLowerCase();
  if (lower.endsWith('.zip')) return bars(readLeanZip(filePath, options));
  if (/\.(feather|arrow|parquet)$/.test(lower)) {
    throw new InvalidArgumentError(`${filePath}: Arrow/Parquet files are not supported; use CSV, JSON or Lean zips`);
  }
  const text = readTextFile(filePath);
  const barOptions = { ...options, ...(options.barTimeframe !== undefined ? { timeframe: options.barTimeframe } : {}) };
  const start = text.trimStart()[0];
  if (start === '[') return { kind: 'ticks', ticks: parseTradesJson(text, filePath, options) };
  if (start === '{') return bars(parsePandasColumnsJson(text, filePath, barOptions));
  const firstLines = splitLines(text.slice(0, 4096));
  if (firstLines.length === 0) throw new InvalidArgumentError(`${filePath}: empty file`);
  if (looksLikeCddCsv(firstLines)) return bars(parseCoinbaseCddCsv(text, filePath, options));
  if (detectCsvShape(firstLines[0]!, filePath) === 'trades') return { kind: 'ticks', ticks: parseTradesCsv(text, filePath, options) };
  return bars(parseOhlcvCsv(text, filePath, barOptions));
}

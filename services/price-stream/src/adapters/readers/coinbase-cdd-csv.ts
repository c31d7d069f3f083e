import { describeValue, InvalidArgumentError, parseSymbol } from '@cte/shared';
import type { Bar, Symbol } from '@cte/shared';
import { readTextFile } from './file-text';
import { inferTimeframe, requirePairSymbol } from './market-names';
import { checkOhlcv, makeBar, parseNumberField, parseUtcDateTime, rowError, sortByTimeUnique, splitLines, type OhlcvValues } from './parse-helpers';

/**
 * CryptoDataDownload CSV (e.g. Coinbase BTCUSD 1h): line 1 is a banner,
 * line 2 the header `date,symbol,open,high,low,close,volume_<base>,volume[_<quote>]`,
 * rows newest first. Bars come back oldest first; volume is the base-asset
 * volume (the first volume column). Trade counts are unknown (0).
 */
export const CDD_HEADER_PREFIX = 'date,symbol,open,high,low,close,volume';

export interface CddOptions {
  exchange?: string;
  /** Overrides the file's symbol column. */
  symbol?: string;
}

const HOUR_12 = /^(\d{4}-\d{2}-\d{2}) (\d{2})-(AM|PM)$/;

/** `2019-10-17 09-AM` (UTC, 12-hour clock) and the other CDD date forms → epoch ms; undefined if unrecognised. */
export function parseCddDate(raw: string): number | undefined {
  const m = HOUR_12.exec(raw.trim());
  if (m === null) return parseUtcDateTime(raw);
  const hour12 = Number(m[2]);
  if (hour12 < 1 || hour12 > 12) return undefined;
  const hour = (hour12 % 12) + (m[3] === 'PM' ? 12 : 0);
  return parseUtcDateTime(`${m[1]} ${String(hour).padStart(2, '0')}:00`);
}

export function looksLikeCddCsv(firstLines: readonly string[]): boolean {
  return (firstLines[1] ?? '').trim().toLowerCase().startsWith(CDD_HEADER_PREFIX);
}

export function parseCoinbaseCddCsv(text: string, file: string, options: CddOptions = {}): Bar[] {
  const lines = splitLines(text);
  if (!looksLikeCddCsv(lines)) {
    throw new InvalidArgumentError(`${file}:2: expected the CryptoDataDownload header "${CDD_HEADER_PREFIX}_…"`, { file, line: 2 });
  }
  const exchange = options.exchange ?? 'coinbase';
  const fixedSymbol = options.symbol === undefined ? undefined : parseSymbol(options.symbol);
  const symbols = new Map<string, Symbol>();
  const rows: Array<OhlcvValues & { symbol: Symbol; openTime: number }> = [];
  const lineNumbers: number[] = [];
  for (let i = 2; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.split(',');
    if (fields.length < 7) throw rowError(file, lineNo, `expected at least 7 fields, got ${fields.length}`);
    const openTime = parseCddDate(fields[0]!);
    if (openTime === undefined) throw rowError(file, lineNo, `unrecognised date ${describeValue(fields[0])}`);
    let symbol = fixedSymbol;
    if (symbol === undefined) {
      const pair = fields[1]!.trim();
      symbol = symbols.get(pair);
      if (symbol === undefined) {
        symbol = requirePairSymbol(pair, `${file}:${lineNo}`);
        symbols.set(pair, symbol);
      }
      if (symbols.size > 1) throw rowError(file, lineNo, `more than one symbol in one file (${[...symbols.keys()].join(', ')})`);
    }
    const values = {
      open: parseNumberField(fields[2], 'open', file, lineNo),
      high: parseNumberField(fields[3], 'high', file, lineNo),
      low: parseNumberField(fields[4], 'low', file, lineNo),
      close: parseNumberField(fields[5], 'close', file, lineNo),
      volume: parseNumberField(fields[6], 'volume', file, lineNo),
    };
    checkOhlcv(values, file, lineNo);
    rows.push({ symbol, openTime, ...values });
    lineNumbers.push(lineNo);
  }
  const sorted = sortByTimeUnique(rows, lineNumbers, file);
  const timeframe = inferTimeframe(sorted.map((r) => r.openTime), file, '1h');
  return sorted.map((r) => makeBar(exchange, r.symbol, timeframe, r.openTime, r, 0));
}

export function readCoinbaseCddCsv(filePath: string, options: CddOptions = {}): Bar[] {
  return parseCoinbaseCddCsv(readTextFile(filePath), filePath, options);
}

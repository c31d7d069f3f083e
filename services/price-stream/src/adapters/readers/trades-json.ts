import { describeValue, InvalidArgumentError, isSide, parseSymbol } from '@cte/shared';
import type { Symbol, Tick } from '@cte/shared';
import { readTextFile } from './file-text';
import { inferMarketFromFileName } from './market-names';

/**
 * freqtrade/ccxt trade dumps: a JSON array (optionally gzipped) of
 * `[ts_ms, id, order, side, price, amount, cost]`. Returns ticks sorted by time
 * (stable, so equal times keep file order); `qty` is the base amount.
 */
export interface TradesFileOptions {
  exchange?: string;
  symbol?: string;
}

function market(file: string, options: TradesFileOptions): { exchange: string; symbol: Symbol } {
  const inferred = inferMarketFromFileName(file);
  const symbol = options.symbol !== undefined ? parseSymbol(options.symbol) : inferred.symbol;
  if (symbol === undefined) throw new InvalidArgumentError(`${file}: the file does not name its symbol; pass one (e.g. --symbol XRP/ETH)`);
  return { exchange: options.exchange ?? inferred.exchange ?? 'unknown', symbol };
}

function rowFail(file: string, index: number, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${file}:[${index}]: ${message}`, { file, row: index });
}

export function parseTradesJson(text: string, file: string, options: TradesFileOptions = {}): Tick[] {
  const { exchange, symbol } = market(file, options);
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${file}: invalid JSON (${err instanceof Error ? err.message : 'parse error'})`, { file });
  }
  if (!Array.isArray(rows)) throw new InvalidArgumentError(`${file}: expected a JSON array of trades`, { file });
  const ticks: Tick[] = new Array<Tick>(rows.length);
  let sorted = true;
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (!Array.isArray(row) || row.length < 6) throw rowFail(file, i, 'expected [ts_ms, id, order, side, price, amount, cost]');
    const [ts, id, , side, price, amount] = row as unknown[];
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw rowFail(file, i, `ts must be epoch ms, got ${describeValue(ts)}`);
    if (typeof price !== 'number' || !(price > 0) || !Number.isFinite(price)) throw rowFail(file, i, `price must be > 0, got ${describeValue(price)}`);
    if (typeof amount !== 'number' || !(amount >= 0) || !Number.isFinite(amount)) {
      throw rowFail(file, i, `amount must be >= 0, got ${describeValue(amount)}`);
    }
    if (side !== null && side !== undefined && !isSide(side)) throw rowFail(file, i, `side must be buy, sell or null, got ${describeValue(side)}`);
    const tick: Tick = { exchange, symbol, ts, price, qty: amount };
    if (isSide(side)) tick.side = side;
    if (typeof id === 'string' || typeof id === 'number') tick.tradeId = String(id);
    if (i > 0 && ts < ticks[i - 1]!.ts) sorted = false;
    ticks[i] = tick;
  }
  return sorted ? ticks : ticks.sort((a, b) => a.ts - b.ts);
}

export function readTradesJson(filePath: string, options: TradesFileOptions = {}): Tick[] {
  return parseTradesJson(readTextFile(filePath), filePath, options);
}

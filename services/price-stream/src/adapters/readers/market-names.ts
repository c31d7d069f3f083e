import path from 'node:path';
import { describeValue, InvalidArgumentError, TIMEFRAMES, parseSymbol, timeframeMs } from '@cte/shared';
import type { Symbol, Timeframe } from '@cte/shared';

/** Quote currencies recognised when splitting a concatenated pair; longer ones are tried first. */
const QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USD', 'EUR', 'GBP', 'JPY', 'DAI', 'BTC', 'ETH', 'BNB'];

const EXCHANGES = new Set([
  'binance', 'binanceus', 'bitfinex', 'bitstamp', 'bybit', 'coinbase', 'gdax', 'gemini', 'kraken', 'kucoin', 'okx',
]);

/**
 * `BTCUSD` → `BTC/USD`, `xrpeth` → `XRP/ETH`; also accepts `BTC/USD`, `BTC-USD`, `BTC_USD`.
 * Returns undefined when no known quote currency ends the name.
 */
export function pairToSymbol(pair: string): Symbol | undefined {
  const upper = pair.trim().toUpperCase();
  if (/^[A-Z0-9]+[/_-][A-Z0-9]+$/.test(upper)) return parseSymbol(upper);
  if (!/^[A-Z0-9]+$/.test(upper)) return undefined;
  for (const quote of QUOTES) {
    if (upper.length > quote.length && upper.endsWith(quote)) {
      return parseSymbol(`${upper.slice(0, -quote.length)}/${quote}`);
    }
  }
  return undefined;
}

/** Like pairToSymbol, but throws InvalidArgumentError (naming `where`) when the pair cannot be split. */
export function requirePairSymbol(pair: string, where: string): Symbol {
  const symbol = pairToSymbol(pair);
  if (symbol === undefined) {
    throw new InvalidArgumentError(`${where}: cannot tell base from quote in ${describeValue(pair)}; pass the symbol explicitly`);
  }
  return symbol;
}

/**
 * Best-effort exchange and symbol from a file name such as
 * `binance_xrpeth_trades.json.gz` or `XRP_ETH-trades.json.gz`.
 */
export function inferMarketFromFileName(filePath: string): { exchange?: string; symbol?: Symbol } {
  const base = path.basename(filePath).replace(/\.(gz|zip)$/i, '').replace(/\.(json|csv|txt)$/i, '');
  const tokens = base.split(/[_\-.\s]+/).filter((t) => t.length > 0);
  const out: { exchange?: string; symbol?: Symbol } = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const lower = token.toLowerCase();
    if (out.exchange === undefined && EXCHANGES.has(lower)) {
      out.exchange = lower;
      continue;
    }
    if (out.symbol !== undefined) continue;
    const joined = pairToSymbol(token);
    if (joined !== undefined) {
      out.symbol = joined;
      continue;
    }
    const next = tokens[i + 1];
    if (next !== undefined && /^[A-Za-z0-9]{2,10}$/.test(token) && QUOTES.includes(next.toUpperCase())) {
      out.symbol = parseSymbol(`${token}/${next}`);
      i++;
    }
  }
  return out;
}

/**
 * The timeframe of a series of bar open times (sorted ascending): the smallest
 * gap between neighbours, which must be one of TIMEFRAMES, with every open time
 * aligned to it. A single bar cannot tell, so `fallback` is used.
 */
export function inferTimeframe(openTimes: readonly number[], where: string, fallback?: Timeframe): Timeframe {
  let smallest = Infinity;
  for (let i = 1; i < openTimes.length; i++) {
    const gap = openTimes[i]! - openTimes[i - 1]!;
    if (gap > 0 && gap < smallest) smallest = gap;
  }
  if (smallest === Infinity) {
    if (fallback !== undefined) return fallback;
    throw new InvalidArgumentError(`${where}: cannot infer the timeframe from fewer than two bars`);
  }
  const tf = TIMEFRAMES.find((t) => timeframeMs(t) === smallest);
  if (tf === undefined) {
    throw new InvalidArgumentError(`${where}: bars are ${smallest} ms apart, which is not one of ${TIMEFRAMES.join(', ')}`);
  }
  const ms = timeframeMs(tf);
  const misaligned = openTimes.find((t) => t % ms !== 0);
  if (misaligned !== undefined) {
    throw new InvalidArgumentError(`${where}: bar time ${new Date(misaligned).toISOString()} is not aligned to ${tf} (UTC)`);
  }
  return tf;
}

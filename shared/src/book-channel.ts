/**
 * `data.book.{BASE-QUOTE}`: the top of one venue's order book for one symbol, from price-stream
 * (MARKET_SOURCE=ccxt, LIVE_BOOK). Published only when the best bid or ask (price or size)
 * changed, conflated per (exchange, symbol) like ticks, and never while the book is being
 * resynchronised after a sequence gap, nor when it is empty or crossed. Pub/sub.
 */
import { describeValue } from './describe';
import { InvalidArgumentError } from './errors';
import { Dec } from './domain/decimal';
import { parseSymbol, symbolToChannelKey, type Symbol } from './domain/symbol';

/** The envelope `type` of a book top on the bus. */
export const BOOK_TOP_TYPE = 'book_top';

/** `data.book.BTC-USD`: the book top of one symbol; subscribe to `data.book.*` for all. */
export const bookChannel = (symbol: Symbol): string => `data.book.${symbolToChannelKey(symbol)}`;

/** `data.book.{BASE-QUOTE}`: best bid and ask of one venue's book. Prices and sizes are decimal strings > 0, bid < ask. */
export interface BookTopMessage {
  /** The venue (ccxt id, e.g. `coinbase`). */
  exchange: string;
  /** The fleet symbol the venue market is filed under. */
  symbol: Symbol;
  bid: string;
  bid_qty: string;
  ask: string;
  ask_qty: string;
  /** Epoch ms of the book at the venue where the venue stamps it (Binance, Coinbase), else when it was received. */
  ts: number;
  /** The venue's book sequence number (Binance update id, KuCoin sequence), where it has one. */
  seq?: number | undefined;
}

const EXCHANGE = /^[a-z0-9_]{1,32}$/;
/** A positive decimal without exponent or sign; leading zeros only before the point. */
const POSITIVE_DECIMAL = /^(?:0|[1-9]\d{0,29})(?:\.\d{1,30})?$/;

/** Validates a book top from the bus; throws InvalidArgumentError naming the field. */
export function parseBookTopMessage(raw: unknown): BookTopMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('book top must be an object');
  const r = raw as Record<string, unknown>;
  const positive = (k: string): string => {
    const v = r[k];
    if (typeof v !== 'string' || !POSITIVE_DECIMAL.test(v) || !/[1-9]/.test(v)) throw new InvalidArgumentError(`book_top.${k} must be a decimal string > 0, got ${describeValue(v)}`);
    return v;
  };
  const int = (k: string, min: number): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`book_top.${k} must be an integer >= ${min}, got ${describeValue(v)}`);
    return v;
  };
  if (typeof r.exchange !== 'string' || !EXCHANGE.test(r.exchange)) throw new InvalidArgumentError(`book_top.exchange is invalid: ${describeValue(r.exchange)}`);
  const msg: BookTopMessage = {
    exchange: r.exchange,
    symbol: parseSymbol(r.symbol),
    bid: positive('bid'),
    bid_qty: positive('bid_qty'),
    ask: positive('ask'),
    ask_qty: positive('ask_qty'),
    ts: int('ts', 1),
  };
  if (r.seq !== undefined && r.seq !== null) msg.seq = int('seq', 0);
  if (new Dec(msg.bid).gte(msg.ask)) throw new InvalidArgumentError(`book_top is crossed: bid ${msg.bid} >= ask ${msg.ask}`);
  return msg;
}

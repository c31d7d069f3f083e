import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';

/** A market symbol in ccxt unified form, e.g. `BTC/USDT`. */
export type Symbol = string & { readonly __brand?: 'Symbol' };

const UNIFIED = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/;

/**
 * Accepts `BTC/USDT`, `btc/usdt`, `BTC-USDT` (the channel/URL form) or `BTC_USDT`
 * and returns the unified `BTC/USDT`. Throws InvalidArgumentError otherwise.
 */
export function parseSymbol(input: unknown): Symbol {
  if (typeof input !== 'string' || input.length === 0 || input.length > 41) {
    throw new InvalidArgumentError(`invalid symbol ${describeValue(input)}: expected BASE/QUOTE such as BTC/USDT`);
  }
  const s = input.trim().toUpperCase().replace(/[-_]/, '/');
  if (!UNIFIED.test(s)) {
    throw new InvalidArgumentError(`invalid symbol ${describeValue(input)}: expected BASE/QUOTE such as BTC/USDT`);
  }
  return s;
}

/** `BTC/USDT` → `BTC-USDT`, the form used in channel names and URLs. */
export function symbolToChannelKey(symbol: Symbol): string {
  return symbol.replace('/', '-');
}

/**
 * Market precision: how many decimals a quantity and a price of a symbol may have.
 *
 * Scheme (documented in the README):
 * - default quantity: 8 decimals (satoshi-sized steps);
 * - default price: 2 decimals when the quote is a fiat currency or a dollar stablecoin
 *   (USD, EUR, GBP, USDT, USDC, ...), else 8 decimals (crypto-quoted pairs such as XRP/ETH);
 * - overrides per symbol with `MARKET_PRECISION="BTC/USD:qty=8,price=2;XRP/USD:qty=6,price=4"`
 *   (`;` between symbols, `,` between the two settings; either setting may be left out).
 */
import { describeValue, parseSymbol, type Symbol } from '@cte/shared/core';

export interface MarketPrecision {
  qtyDecimals: number;
  priceDecimals: number;
}

export const DEFAULT_QTY_DECIMALS = 8;
export const FIAT_PRICE_DECIMALS = 2;
export const CRYPTO_PRICE_DECIMALS = 8;
export const MAX_DECIMALS = 18;

/** Quotes priced in cents by default. */
export const FIAT_LIKE_QUOTES: ReadonlySet<string> = new Set(['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'USDT', 'USDC', 'BUSD', 'DAI', 'TUSD', 'USDP', 'FDUSD', 'PYUSD']);

export function quoteOf(symbol: Symbol): string {
  return symbol.slice(symbol.indexOf('/') + 1);
}

export function baseOf(symbol: Symbol): string {
  return symbol.slice(0, symbol.indexOf('/'));
}

export function defaultPrecision(symbol: Symbol): MarketPrecision {
  return { qtyDecimals: DEFAULT_QTY_DECIMALS, priceDecimals: FIAT_LIKE_QUOTES.has(quoteOf(symbol)) ? FIAT_PRICE_DECIMALS : CRYPTO_PRICE_DECIMALS };
}

/** Parses MARKET_PRECISION; throws an Error whose message names the bad part. */
export function parseMarketPrecision(spec: string): Map<Symbol, MarketPrecision> {
  const out = new Map<Symbol, MarketPrecision>();
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const colon = part.lastIndexOf(':');
    if (colon < 0) throw new Error(`${describeValue(part)}: expected SYMBOL:qty=N,price=N`);
    let symbol: Symbol;
    try {
      symbol = parseSymbol(part.slice(0, colon).trim());
    } catch (err) {
      throw new Error(`${describeValue(part)}: ${(err as Error).message}`);
    }
    if (out.has(symbol)) throw new Error(`${symbol} is given twice`);
    const p = defaultPrecision(symbol);
    const settings = part.slice(colon + 1).split(',').map((s) => s.trim()).filter(Boolean);
    if (settings.length === 0) throw new Error(`${describeValue(part)}: expected qty=N and/or price=N`);
    for (const setting of settings) {
      const m = /^(qty|price)=(\d{1,2})$/.exec(setting);
      const n = m ? Number(m[2]) : NaN;
      if (!m || n > MAX_DECIMALS) throw new Error(`${describeValue(setting)} in ${symbol}: expected qty=N or price=N with N in 0..${MAX_DECIMALS}`);
      if (m[1] === 'qty') p.qtyDecimals = n;
      else p.priceDecimals = n;
    }
    out.set(symbol, p);
  }
  return out;
}

export class PrecisionTable {
  constructor(private readonly overrides: ReadonlyMap<Symbol, MarketPrecision> = new Map()) {}

  of(symbol: Symbol): MarketPrecision {
    return this.overrides.get(symbol) ?? defaultPrecision(symbol);
  }
}

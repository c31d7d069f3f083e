import { InvalidArgumentError } from '../errors';
import { parseSymbol, type Symbol } from './symbol';

/** The environment variable that declares the fleet's tradable symbols (every service reads it). */
export const TRADABLE_SYMBOLS_ENV = 'TRADABLE_SYMBOLS';

/** What the bundled replay data trades (Coinbase minute bars, services/price-stream/data/replay). */
export const DEFAULT_TRADABLE_SYMBOLS: readonly Symbol[] = ['BTC/USD', 'ETH/USD'];

/** Symbols named in an "unknown symbol" message before it says "and N more". */
const LISTED_IN_ERRORS = 10;

/**
 * One market as a venue describes it: the subset of a ccxt `Market` (from `exchange.loadMarkets()`)
 * that decides whether the fleet may trade it.
 */
export interface VenueMarket {
  symbol: string;
  /** ccxt sets false for delisted or halted markets; undefined means unknown, taken as active. */
  active?: boolean | null;
}

/**
 * The one source of truth for which symbols the fleet trades. Today it is the configured set
 * (TRADABLE_SYMBOLS); once venues are live, their loaded markets narrow it through `fromMarkets`.
 * Every boundary that takes a symbol checks it with `require`, so an unknown but well-formed symbol
 * such as `FOO/BAR` is refused with INVALID_ARGUMENT, naming it, before anything is stored or sent.
 */
export class TradableSymbols {
  private readonly set: ReadonlySet<Symbol>;
  private readonly sorted: readonly Symbol[];

  constructor(symbols: Iterable<string>, readonly origin: string = TRADABLE_SYMBOLS_ENV) {
    const parsed = [...symbols].map((s) => parseSymbol(s));
    this.set = new Set(parsed);
    this.sorted = [...this.set].sort();
    if (this.sorted.length === 0) throw new InvalidArgumentError(`${origin}: no tradable symbols`);
  }

  static of(symbols: Iterable<string>, origin?: string): TradableSymbols {
    return new TradableSymbols(symbols, origin);
  }

  /**
   * The configured symbols a venue actually lists as active markets. Symbols the venue lacks are
   * returned in `missing`, so the caller decides whether that is fatal (a typo) or a warning.
   */
  static fromMarkets(configured: TradableSymbols, markets: Iterable<VenueMarket>, venue: string): { symbols: TradableSymbols; missing: Symbol[] } {
    const listed = new Set<string>();
    for (const m of markets) if (m.active !== false) listed.add(m.symbol);
    const kept = configured.list().filter((s) => listed.has(s));
    const missing = configured.list().filter((s) => !listed.has(s));
    if (kept.length === 0) throw new InvalidArgumentError(`${venue} lists none of ${configured.origin} (${configured.describe()})`);
    return { symbols: new TradableSymbols(kept, `${configured.origin} on ${venue}`), missing };
  }

  has(symbol: string): boolean {
    return this.set.has(symbol);
  }

  /** Sorted. */
  list(): readonly Symbol[] {
    return this.sorted;
  }

  get size(): number {
    return this.sorted.length;
  }

  /**
   * Parses `input` (any form parseSymbol accepts) and checks that it is tradable. Throws
   * InvalidArgumentError naming `field` (unless it is just `symbol`, which the message names
   * anyway) and the symbol when it is malformed or unknown.
   */
  require(input: unknown, field = 'symbol'): Symbol {
    let symbol: Symbol;
    try {
      symbol = parseSymbol(input);
    } catch (err) {
      throw new InvalidArgumentError(`${prefix(field)}${(err as Error).message}`, { field });
    }
    if (!this.set.has(symbol)) throw this.unknown(symbol, field);
    return symbol;
  }

  /** Like require, for a symbol already in unified form (e.g. a parsed list item). */
  check(symbol: Symbol, field = 'symbol'): Symbol {
    if (!this.set.has(symbol)) throw this.unknown(symbol, field);
    return symbol;
  }

  /** The error for an unknown symbol, for callers that test with `has` first. */
  unknown(symbol: Symbol, field = 'symbol'): InvalidArgumentError {
    return new InvalidArgumentError(`${prefix(field)}unknown symbol ${symbol}: tradable symbols are ${this.describe()}`, { field, symbol });
  }

  /** `BTC/USD, ETH/USD` — at most LISTED_IN_ERRORS symbols, then `and N more (TRADABLE_SYMBOLS)`. */
  describe(): string {
    const shown = this.sorted.slice(0, LISTED_IN_ERRORS).join(', ');
    const more = this.sorted.length - LISTED_IN_ERRORS;
    return more > 0 ? `${shown} and ${more} more (${this.origin})` : `${shown} (${this.origin})`;
  }
}

function prefix(field: string): string {
  return field === 'symbol' ? '' : `${field}: `;
}

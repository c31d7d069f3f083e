import { UnavailableError } from '@cte/shared';

/**
 * Which tradable symbols can take orders right now. A symbol this venue has traded before but has
 * no price for yet (just after a restart, before the first tick) is a temporary condition, so it
 * answers UNAVAILABLE (503, retried by callers). Whether a symbol is tradable at all is
 * TRADABLE_SYMBOLS' answer (400 unknown symbol), checked before this.
 */
export class SymbolDirectory {
  private readonly priced = new Set<string>();

  constructor(private readonly traded: ReadonlySet<string>) {}

  onPrice(symbol: string): void {
    this.priced.add(symbol);
  }

  checkAvailable(symbol: string): void {
    if (this.traded.has(symbol) && !this.priced.has(symbol)) throw new UnavailableError(`no price for ${symbol} since execution started; retry shortly`);
  }
}

import { UnavailableError } from '@cte/shared';

/**
 * Which symbols execution accepts orders for: configured ones (SYMBOLS) and any with a price seen
 * since start. A symbol this venue has traded before but has no price for yet (just after a
 * restart, before the first tick) is a temporary condition, so it answers UNAVAILABLE (503,
 * retried by callers) instead of "unknown symbol" (400, final).
 */
export class SymbolDirectory {
  private readonly priced = new Set<string>();

  constructor(
    private readonly configured: ReadonlySet<string>,
    private readonly traded: ReadonlySet<string>,
  ) {}

  onPrice(symbol: string): void {
    this.priced.add(symbol);
  }

  isKnown(symbol: string): boolean {
    if (this.priced.has(symbol) || this.configured.has(symbol)) return true;
    if (this.traded.has(symbol)) throw new UnavailableError(`no price for ${symbol} since execution started; retry shortly`);
    return false;
  }
}

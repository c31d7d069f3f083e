import { UnavailableError } from '@cte/shared';
import { SymbolDirectory } from '../adapters/symbol-directory';

describe('SymbolDirectory', () => {
  it('a symbol never traded here is available before its first price (the venue answers no_price)', () => {
    const d = new SymbolDirectory(new Set());
    expect(() => d.checkAvailable('BTC/USD')).not.toThrow();
  });

  it('a symbol traded before a restart but not yet priced is UNAVAILABLE (retry), not unknown', () => {
    const d = new SymbolDirectory(new Set(['BTC/USD']));
    expect(() => d.checkAvailable('BTC/USD')).toThrow(UnavailableError);
    d.onPrice('BTC/USD');
    expect(() => d.checkAvailable('BTC/USD')).not.toThrow();
  });
});

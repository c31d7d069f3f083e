import { UnavailableError } from '@cte/shared';
import { SymbolDirectory } from '../adapters/symbol-directory';

describe('SymbolDirectory', () => {
  it('knows configured and priced symbols, and never-seen ones are unknown', () => {
    const d = new SymbolDirectory(new Set(['ETH/USD']), new Set());
    expect(d.isKnown('ETH/USD')).toBe(true);
    expect(d.isKnown('BTC/USD')).toBe(false);
    d.onPrice('BTC/USD');
    expect(d.isKnown('BTC/USD')).toBe(true);
  });

  it('a symbol traded before a restart but not yet priced is UNAVAILABLE (retry), not unknown', () => {
    const d = new SymbolDirectory(new Set(), new Set(['BTC/USD']));
    expect(() => d.isKnown('BTC/USD')).toThrow(UnavailableError);
    d.onPrice('BTC/USD');
    expect(d.isKnown('BTC/USD')).toBe(true);
  });
});

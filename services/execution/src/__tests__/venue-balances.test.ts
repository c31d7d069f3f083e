import { parseVenueBalances } from '../engine/venue-balances';

describe('parseVenueBalances', () => {
  it('keeps the non-zero totals as exact decimal strings, sorted by asset', () => {
    const raw = { info: {}, free: { BTC: 0.5 }, used: {}, total: { USDT: '1000.10', BTC: 0.5, ETH: 0, DOGE: undefined, X: 1e-9 } };
    expect(parseVenueBalances(raw)).toEqual([
      { asset: 'BTC', total: '0.5' },
      { asset: 'USDT', total: '1000.1' },
      { asset: 'X', total: '0.000000001' },
    ]);
  });

  it('refuses a missing total map, negative or non-numeric totals and odd asset names', () => {
    expect(() => parseVenueBalances(null)).toThrow(/no object/);
    expect(() => parseVenueBalances({ free: {} })).toThrow(/no total map/);
    expect(() => parseVenueBalances({ total: { BTC: -1 } })).toThrow(/negative/);
    expect(() => parseVenueBalances({ total: { BTC: 'lots' } })).toThrow(/balance BTC must be a decimal string/);
    expect(() => parseVenueBalances({ total: { BTC: Number.NaN } })).toThrow(/balance BTC/);
    expect(() => parseVenueBalances({ total: { 'B TC': 1 } })).toThrow(/invalid asset name/);
  });
});

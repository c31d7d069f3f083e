import { alignToTimeframe, Dec, numberToDecimalString, parseDecimal, parseSymbol, parseTimeframe, symbolToChannelKey } from '../domain';

describe('domain', () => {
  it('normalises symbols to ccxt unified form', () => {
    expect(parseSymbol('btc-usdt')).toBe('BTC/USDT');
    expect(parseSymbol('ETH/USD')).toBe('ETH/USD');
    expect(symbolToChannelKey('BTC/USDT')).toBe('BTC-USDT');
    for (const bad of ['', 'BTC', 'BTC/USDT/X', 'B$C/USD', 42, null]) expect(() => parseSymbol(bad)).toThrow(/invalid symbol/);
  });

  it('validates timeframes and aligns to UTC', () => {
    expect(parseTimeframe('5m')).toBe('5m');
    expect(() => parseTimeframe('7m')).toThrow(/invalid timeframe/);
    const t = Date.UTC(2024, 0, 2, 13, 47, 12, 5);
    expect(alignToTimeframe(t, '1m')).toBe(Date.UTC(2024, 0, 2, 13, 47));
    expect(alignToTimeframe(t, '15m')).toBe(Date.UTC(2024, 0, 2, 13, 45));
    expect(alignToTimeframe(t, '4h')).toBe(Date.UTC(2024, 0, 2, 12));
    expect(alignToTimeframe(t, '1d')).toBe(Date.UTC(2024, 0, 2));
  });

  it('does exact decimal maths and never prints exponents', () => {
    expect(Dec.add('0.1', '0.2').toString()).toBe('0.3');
    expect(numberToDecimalString(1e-7)).toBe('0.0000001');
    expect(numberToDecimalString(0.1)).toBe('0.1');
    expect(parseDecimal('0.000000000000000001', 'qty').toFixed()).toBe('0.000000000000000001');
    expect(() => parseDecimal('1e5', 'qty')).toThrow(/qty must be a decimal string/);
  });
});

describe('floatSumToDecimalString', () => {
  it('removes float summation noise but keeps real digits', () => {
    const { floatSumToDecimalString } = jest.requireActual<typeof import('../domain')>('../domain');
    let sum = 0;
    for (const q of ['636.1', '0.08050559', '0.6']) sum += Number(q);
    expect(String(sum)).not.toBe('636.78050559');
    expect(floatSumToDecimalString(sum)).toBe('636.78050559');
    expect(floatSumToDecimalString(0.00000001)).toBe('0.00000001');
    expect(floatSumToDecimalString(123456789.1234)).toBe('123456789.1234');
  });
});

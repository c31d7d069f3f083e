/** The demo report's trades fingerprint (issue 13): a hash over the ordered fills. */
import { tradesFingerprint } from '../demo-report';

const fill = (over: Partial<{ symbol: string; side: 'buy' | 'sell'; qty: string; price: string; fee: string; ts: number | string }> = {}) => ({
  symbol: 'BTC/USD',
  side: 'buy' as const,
  qty: '0.214000000000000000',
  price: '10065.130600000000000000',
  fee: '1.006513060000000000',
  ts: 1566954000000,
  ...over,
});

describe('tradesFingerprint', () => {
  it('is 16 hex digits, stable for the same fills, and ignores trailing zeros of the decimals and the ts type', () => {
    const a = tradesFingerprint([fill(), fill({ side: 'sell', qty: '0.245' })]);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(tradesFingerprint([fill({ qty: '0.214', price: '10065.1306', fee: '1.00651306', ts: '1566954000000' }), fill({ side: 'sell', qty: '0.2450' })])).toBe(a);
  });

  it('changes with any field of any fill and with their order', () => {
    const base = [fill(), fill({ side: 'sell', qty: '0.245', ts: 1566957600000 })];
    const a = tradesFingerprint(base);
    const variants = [
      [fill({ symbol: 'ETH/USD' }), base[1]!],
      [fill({ side: 'sell' }), base[1]!],
      [fill({ qty: '0.2141' }), base[1]!],
      [fill({ price: '10065.1307' }), base[1]!],
      [fill({ fee: '1.0065' }), base[1]!],
      [fill({ ts: 1566954000001 }), base[1]!],
      [base[1]!, base[0]!],
      [base[0]!],
    ];
    const prints = variants.map((v) => tradesFingerprint(v));
    for (const p of prints) expect(p).not.toBe(a);
    expect(new Set(prints).size).toBe(prints.length);
    expect(tradesFingerprint([])).toBe('e3b0c44298fc1c14');
  });
});

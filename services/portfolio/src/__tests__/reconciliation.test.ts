import { Exact, reconcileBalances } from '../engine';

const d = (s: string): InstanceType<typeof Exact> => new Exact(s);
const tol = { absolute: d('0.0001'), relative: d('0.001') };

describe('reconcileBalances', () => {
  it('is zero drift when the books match the venue, every asset of either side listed', () => {
    const r = reconcileBalances([{ asset: 'USDT', total: d('1000') }, { asset: 'BTC', total: d('0.5') }, { asset: 'ETH', total: d('0') }], [[{ asset: 'BTC', total: '0.5' }, { asset: 'USDT', total: '1000.0' }]], tol);
    expect(r.map((x) => [x.asset, x.drift.toFixed(), x.relative.toFixed(), x.exceeds])).toEqual([
      ['BTC', '0', '0', false],
      ['ETH', '0', '0', false],
      ['USDT', '0', '0', false],
    ]);
  });

  it('reports venue − ledger, relative to the larger side, summing venues', () => {
    const r = reconcileBalances(
      [{ asset: 'USDT', total: d('1000') }, { asset: 'BTC', total: d('0.5') }],
      [[{ asset: 'USDT', total: '600' }, { asset: 'BNB', total: '0.01' }], [{ asset: 'USDT', total: '300' }]],
      tol,
    );
    expect(r.map((x) => [x.asset, x.ledger.toFixed(), x.venue.toFixed(), x.drift.toFixed(), x.relative.toFixed(), x.exceeds])).toEqual([
      // A fee currency the ledger never saw (BNB) and a base asset the venue no longer holds.
      ['BNB', '0', '0.01', '0.01', '1', true],
      ['BTC', '0.5', '0', '-0.5', '1', true],
      ['USDT', '1000', '900', '-100', '0.1', true],
    ]);
  });

  it('exceeds only over both tolerances: dust and tiny relative drift pass', () => {
    const r = reconcileBalances(
      [{ asset: 'DOGE', total: d('0.00001') }, { asset: 'USDT', total: d('100000') }],
      [[{ asset: 'DOGE', total: '0.00005' }, { asset: 'USDT', total: '100000.5' }]],
      tol,
    );
    expect(r.map((x) => [x.asset, x.drift.toFixed(), x.exceeds])).toEqual([
      ['DOGE', '0.00004', false], // relative 0.8 but under the absolute tolerance
      ['USDT', '0.5', false], // over the absolute tolerance but 5e-6 relative
    ]);
  });
});

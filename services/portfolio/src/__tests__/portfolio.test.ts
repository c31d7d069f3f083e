import type { FillMessage } from '@cte/shared';
import { Exact, Portfolio, toLedgerFill, utcDayStart, type LedgerFill } from '../engine';

const DAY = 86_400_000;
const D1 = Date.UTC(2019, 7, 20);
let n = 0;
function fill(symbol: string, side: 'buy' | 'sell', qty: string, price: string, over: Partial<FillMessage> = {}): LedgerFill {
  n++;
  return toLedgerFill({
    fill_id: `f${n}`, venue: 'paper', venue_trade_id: `t${n}`, order_id: `o${n}`, client_order_id: `c${n}`, symbol, side, qty, price,
    fee: '0', fee_currency: 'USD', liquidity: 'taker', ts: D1 + n, trace_id: `trace-${String(n).padStart(8, '0')}`, ...over,
  });
}
const d = (s: string) => new Exact(s);

function portfolio(): Portfolio {
  const p = new Portfolio({ quoteCurrency: 'USD', initialCapital: d('10000') });
  p.ledger.credit('USD', d('10000'));
  return p;
}

describe('Portfolio valuation', () => {
  it('values a position without a price at its average entry (unrealised 0), then at the mark', () => {
    const p = portfolio();
    p.applyFill(fill('BTC/USD', 'buy', '2', '1000', { fee: '5' }));
    let v = p.valuation();
    expect(v.cash.toFixed()).toBe('7995');
    expect(v.equity.toFixed()).toBe('9995');
    expect(v.unrealized.toFixed()).toBe('0');
    expect(v.positions[0]!.mark).toBeUndefined();
    expect(v.positions[0]!.valuationPrice.toFixed()).toBe('1000');

    p.onPrice('BTC/USD', d('1100.5'), D1 + 1000);
    v = p.valuation();
    expect(v.unrealized.toFixed()).toBe('201');
    expect(v.equity.toFixed()).toBe('10196');
    expect(v.fees.toFixed()).toBe('5');
    expect(v.grossExposure.toFixed()).toBe('2201');
    expect(v.positions[0]!.notional.toFixed()).toBe('2201');
  });

  it('equity = cash + Σ qty × mark, and equals initial + realised + unrealised − fees', () => {
    const p = portfolio();
    p.applyFill(fill('BTC/USD', 'buy', '1', '1000', { fee: '1' }));
    p.applyFill(fill('ETH/USD', 'sell', '10', '50', { fee: '0.5' }));
    p.applyFill(fill('BTC/USD', 'sell', '0.4', '1200', { fee: '0.2' }));
    p.onPrice('BTC/USD', d('900'), D1 + 10);
    p.onPrice('ETH/USD', d('40'), D1 + 11);
    const v = p.valuation();
    // cash: 10000 − 1000 − 1 + 500 − 0.5 + 480 − 0.2
    expect(v.cash.toFixed()).toBe('9978.3');
    expect(v.equity.toFixed()).toBe(d('9978.3').plus(d('0.6').times(900)).minus(d('10').times(40)).toFixed());
    expect(v.realized.toFixed()).toBe('80');
    expect(v.unrealized.toFixed()).toBe(d('0.6').times(-100).plus(d('-10').times(-10)).toFixed());
    expect(v.equity.toFixed()).toBe(d('10000').plus(v.realized).plus(v.unrealized).minus(v.fees).toFixed());
    expect(v.netExposure.toFixed()).toBe('140');
    expect(v.grossExposure.toFixed()).toBe('940');
    expect(v.openPositions).toBe(2);
  });

  it('keeps positions quoted in another currency out of equity and exposure', () => {
    const p = portfolio();
    p.applyFill(fill('ETH/BTC', 'buy', '1', '0.05', { fee_currency: 'BTC' }));
    const v = p.valuation();
    expect(v.equity.toFixed()).toBe('10000');
    expect(v.positions[0]!.inEquity).toBe(false);
    expect(p.exposure().symbols).toEqual([]);
    expect(v.balances.map((b) => [b.asset, b.total.toFixed()])).toEqual([['BTC', '-0.05'], ['ETH', '1'], ['USD', '10000']]);
  });
});

describe('Portfolio watermarks', () => {
  it('tracks peak equity and drawdown', () => {
    const p = portfolio();
    p.applyFill(fill('BTC/USD', 'buy', '10', '100'));
    p.onPrice('BTC/USD', d('150'), D1 + 1);
    expect(p.watermarks().peak.toFixed()).toBe('10500');
    expect(p.watermarks().peakAt).toBe(D1 + 1);
    p.onPrice('BTC/USD', d('90'), D1 + 2);
    const v = p.valuation();
    expect(v.equity.toFixed()).toBe('9900');
    expect(v.peak.toFixed()).toBe('10500');
    expect(v.drawdown.toFixed()).toBe(d('600').div('10500').toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed());
    expect(p.exposure().drawdownPct.toFixed()).toBe(d('600').div('10500').times(100).toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed());
  });

  it('starts a day on the first price of a later UTC day (data time), at the previous equity', () => {
    const p = portfolio();
    expect(p.valuation().dailyPnl.toFixed()).toBe('0');
    expect(p.valuation().startOfDayEquity).toBeNull();
    p.applyFill(fill('BTC/USD', 'buy', '10', '100'));
    p.onPrice('BTC/USD', d('110'), D1 + 3_600_000);
    let v = p.valuation();
    expect(v.dayStart).toBe(D1);
    // the first price of the day: the day starts at the equity just before it
    expect(v.startOfDayEquity!.toFixed()).toBe('10000');
    expect(v.dailyPnl.toFixed()).toBe('100');
    p.onPrice('BTC/USD', d('120'), D1 + DAY - 1);
    expect(p.valuation().startOfDayEquity!.toFixed()).toBe('10000');
    p.onPrice('BTC/USD', d('125'), D1 + DAY + 5);
    v = p.valuation();
    expect(v.dayStart).toBe(D1 + DAY);
    expect(v.startOfDayEquity!.toFixed()).toBe('10200');
    expect(v.dailyPnl.toFixed()).toBe('50');
    // an older price (another publisher, a replay restart) marks but never moves the day back
    p.onPrice('BTC/USD', d('100'), D1);
    expect(p.valuation().dayStart).toBe(D1 + DAY);
    expect(p.valuation().dataTs).toBe(D1 + DAY + 5);
    expect(utcDayStart(D1 + DAY + 5)).toBe(D1 + DAY);
  });

  it('fills do not move the day', () => {
    const p = portfolio();
    p.applyFill(fill('BTC/USD', 'buy', '1', '100', { ts: D1 + 5 * DAY }));
    expect(p.valuation().dayStart).toBeNull();
  });
});

describe('Portfolio exposure', () => {
  it('reports notional and percent of equity per open symbol; percentages are null when equity <= 0', () => {
    const p = portfolio();
    p.applyFill(fill('BTC/USD', 'buy', '1', '1000'));
    p.applyFill(fill('ETH/USD', 'sell', '20', '100'));
    p.applyFill(fill('SOL/USD', 'buy', '1', '10'));
    p.applyFill(fill('SOL/USD', 'sell', '1', '10'));
    const e = p.exposure();
    expect(e.equity.toFixed()).toBe('10000');
    expect(e.symbols.map((s) => [s.symbol, s.qty.toFixed(), s.notional.toFixed(), s.pctOfEquity!.toFixed()])).toEqual([
      ['BTC/USD', '1', '1000', '10'],
      ['ETH/USD', '-20', '2000', '20'],
    ]);
    expect(e.grossExposurePct!.toFixed()).toBe('30');
    expect(e.netExposure.toFixed()).toBe('-1000');
    p.onPrice('ETH/USD', d('600'), D1);
    const blown = p.exposure();
    expect(blown.equity.lte(0)).toBe(true);
    expect(blown.grossExposurePct).toBeNull();
    expect(blown.symbols[0]!.pctOfEquity).toBeNull();
  });

  it('caches views per version and invalidates on every change', () => {
    const p = portfolio();
    const v1 = p.valuation();
    expect(p.valuation()).toBe(v1);
    p.onPrice('BTC/USD', d('1'), D1);
    expect(p.valuation()).not.toBe(v1);
  });
});

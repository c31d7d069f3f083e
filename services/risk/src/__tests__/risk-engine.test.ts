/**
 * RiskEngine: every limit shown rejecting or resizing with its reason; the circuit breakers; the
 * stale-price guard; the allow-list; reducing orders under each state; pending approvals; exact
 * decimal math.
 */
import { Dec } from '@cte/shared';
import { RiskEngine } from '../engine/risk-engine';
import { BTC, ctx, d, ETH, exposure, limits, order } from './helpers/engine';

const engine = new RiskEngine();

describe('a clean order', () => {
  it('is APPROVED as asked, with no reasons', () => {
    const r = engine.check(order('buy', '1.5'), ctx());
    expect(r.decision).toBe('APPROVED');
    expect(r.approvedQty.toFixed()).toBe('1.5');
    expect(r.reasons).toEqual([]);
    expect(r.reducesPosition).toBe(false);
    expect(r.openingQty.toFixed()).toBe('1.5');
    expect(r.price?.toFixed()).toBe('100');
    expect(r.trip).toEqual([]);
  });

  it('is valued at the caller price when given, else the latest tick', () => {
    // 5% of 100000 = 5000: at 200, 25 fit; at the tick price 100, 50 would.
    const r = engine.check(order('buy', '40', BTC, '200'), ctx());
    expect(r.approvedQty.toFixed()).toBe('25');
    expect(r.price?.toFixed()).toBe('200');
  });
});

describe('max_position_pct (5% of equity per asset)', () => {
  it('resizes a buy down to what fits', () => {
    const r = engine.check(order('buy', '80'), ctx());
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_position_pct'] });
    expect(r.approvedQty.toFixed()).toBe('50');
  });

  it('counts the position already held', () => {
    const r = engine.check(order('buy', '30'), ctx({ exposure: exposure({ positions: { [BTC]: ['30', '3000'] } }) }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_position_pct'] });
    expect(r.approvedQty.toFixed()).toBe('20');
  });

  it('rejects when nothing fits', () => {
    const r = engine.check(order('buy', '1'), ctx({ exposure: exposure({ positions: { [BTC]: ['50', '5000'] } }) }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_position_pct'] });
    expect(r.approvedQty.isZero()).toBe(true);
  });

  it('limits short positions the same way', () => {
    const r = engine.check(order('sell', '80'), ctx());
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_position_pct'] });
    expect(r.approvedQty.toFixed()).toBe('50');
  });

  it('follows the configured percentage', () => {
    const r = engine.check(order('buy', '80'), ctx({ limits: { max_position_pct: '2.5' } }));
    expect(r.approvedQty.toFixed()).toBe('25');
  });

  it('rejects everything opening when equity is not positive', () => {
    const r = engine.check(order('buy', '1'), ctx({ exposure: exposure({ equity: '0', sod: '0', peak: '0' }) }));
    expect(r.decision).toBe('REJECTED');
    expect(r.reasons).toContain('max_position_pct');
  });
});

describe('max_gross_exposure_pct (80% of equity: a 20% cash reserve)', () => {
  const nearlyFull = exposure({ positions: { [ETH]: ['395', '79000'] } });

  it('resizes down to the exposure left', () => {
    const r = engine.check(order('buy', '20'), ctx({ exposure: nearlyFull }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_gross_exposure_pct'] });
    expect(r.approvedQty.toFixed()).toBe('10');
  });

  it('rejects when the reserve is reached', () => {
    const full = exposure({ positions: { [ETH]: ['400', '80000'] } });
    const r = engine.check(order('buy', '1'), ctx({ exposure: full }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_gross_exposure_pct'] });
  });

  it('reports both caps when both bind at the same quantity', () => {
    const r = engine.check(order('buy', '80'), ctx({ exposure: exposure({ positions: { [ETH]: ['375', '75000'] } }) }));
    expect(r.reasons).toEqual(['max_position_pct', 'max_gross_exposure_pct']);
    expect(r.approvedQty.toFixed()).toBe('50');
  });
});

describe('max_trades_per_day', () => {
  it('rejects an opening order once the day has its trades', () => {
    const r = engine.check(order('buy', '1'), ctx({ tradesToday: 100 }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_trades_per_day'] });
  });

  it('lets the last allowed trade through', () => {
    expect(engine.check(order('buy', '1'), ctx({ tradesToday: 99 })).decision).toBe('APPROVED');
  });

  it('rejects per symbol', () => {
    const r = engine.check(order('buy', '1'), ctx({ tradesToday: 20, tradesTodaySymbol: 20 }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_trades_per_day_per_symbol'] });
    expect(engine.check(order('buy', '1'), ctx({ tradesTodaySymbol: 3, limits: { max_trades_per_day_per_symbol: '3' } })).reasons).toEqual([
      'max_trades_per_day_per_symbol',
    ]);
  });
});

describe('max_order_notional and min_order_notional', () => {
  it('resizes an order worth more than the maximum', () => {
    const r = engine.check(order('buy', '20'), ctx({ limits: { max_order_notional: '1000' } }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_order_notional'] });
    expect(r.approvedQty.toFixed()).toBe('10');
  });

  it('rejects an order worth less than the minimum', () => {
    const r = engine.check(order('buy', '0.05'), ctx());
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['min_order_notional'] });
  });

  it('rejects when a resize leaves less than the minimum', () => {
    const r = engine.check(order('buy', '1'), ctx({ exposure: exposure({ positions: { [BTC]: ['49.95', '4995'] } }) }));
    // 0.05 fits under the position cap, worth 5 < 10.
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_position_pct', 'min_order_notional'] });
  });
});

describe('circuit breakers', () => {
  it('trips on the daily loss and judges the order as HALTED', () => {
    const r = engine.check(order('buy', '1'), ctx({ exposure: exposure({ equity: '94000', sod: '100000', peak: '100000' }) }));
    expect(r.trip).toEqual(['max_daily_loss_pct']);
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_daily_loss_pct', 'halted'], state: 'HALTED' });
  });

  it('trips at exactly the limit, not below it', () => {
    expect(engine.check(order('buy', '1'), ctx({ exposure: exposure({ equity: '95000', sod: '100000', peak: '100000' }) })).trip).toEqual([
      'max_daily_loss_pct',
    ]);
    expect(engine.check(order('buy', '1'), ctx({ exposure: exposure({ equity: '95000.01', sod: '100000', peak: '100000' }) })).trip).toEqual([]);
  });

  it('trips on the drawdown from peak equity', () => {
    const r = engine.check(order('buy', '1'), ctx({ exposure: exposure({ equity: '79000', sod: '79500', peak: '100000' }) }));
    expect(r.trip).toEqual(['max_drawdown_pct']);
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['max_drawdown_pct', 'halted'], state: 'HALTED' });
  });

  it('reports both when both are breached', () => {
    expect(engine.breaches(exposure({ equity: '70000', sod: '100000', peak: '100000' }), limits())).toEqual(['max_daily_loss_pct', 'max_drawdown_pct']);
  });

  it('is off when start-of-day or peak equity is unknown (zero)', () => {
    expect(engine.breaches(exposure({ equity: '1', sod: '0', peak: '0' }), limits())).toEqual([]);
  });

  it('does not trip again when already HALTED', () => {
    const r = engine.check(order('buy', '1'), ctx({ state: 'HALTED', exposure: exposure({ equity: '70000', sod: '100000', peak: '100000' }) }));
    expect(r.trip).toEqual([]);
    expect(r.reasons).toEqual(['halted']);
  });

  it('still lets a reducing order out when it trips', () => {
    const e = exposure({ equity: '94000', sod: '100000', peak: '100000', positions: { [BTC]: ['10', '1000'] } });
    const r = engine.check(order('sell', '10'), ctx({ exposure: e }));
    expect(r).toMatchObject({ decision: 'APPROVED', trip: ['max_daily_loss_pct'], reducesPosition: true, state: 'HALTED' });
  });
});

describe('stale-price guard', () => {
  it('rejects when the price lags the newest tick by more than max_price_age_ms', () => {
    const r = engine.check(order('buy', '1'), ctx({ ageMs: 60_001 }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
    expect(engine.check(order('buy', '1'), ctx({ ageMs: 60_000 })).decision).toBe('APPROVED');
  });

  it('rejects when no tick of the symbol was seen, even with a caller price', () => {
    const r = engine.check(order('buy', '1', BTC, '100'), ctx({ price: null }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
  });

  it('rejects when the whole feed has gone silent', () => {
    const guarded = new RiskEngine({ maxFeedSilenceMs: 1000 });
    expect(guarded.check(order('buy', '1'), ctx({ feedSilenceMs: 1001 })).reasons).toEqual(['stale_price']);
    expect(guarded.check(order('buy', '1'), ctx({ feedSilenceMs: 1000 })).decision).toBe('APPROVED');
  });

  it('is off at max_price_age_ms = 0; without any price the order is rejected as no_price', () => {
    expect(engine.check(order('buy', '1', BTC, '100'), ctx({ price: null, limits: { max_price_age_ms: '0' } })).decision).toBe('APPROVED');
    expect(engine.check(order('buy', '1'), ctx({ price: null, limits: { max_price_age_ms: '0' } })).reasons).toEqual(['no_price']);
  });
});

describe('symbol allow-list', () => {
  it('rejects a symbol not on the list', () => {
    const r = engine.check(order('buy', '1', BTC), ctx({ limits: { allowed_symbols: [ETH] } }));
    expect(r).toMatchObject({ decision: 'REJECTED', reasons: ['symbol_not_allowed'] });
  });

  it('accepts listed symbols, and every symbol when the list is empty', () => {
    expect(engine.check(order('buy', '1', ETH), ctx({ limits: { allowed_symbols: [ETH] } })).decision).toBe('APPROVED');
    expect(engine.check(order('buy', '1', BTC), ctx({ limits: { allowed_symbols: [] } })).decision).toBe('APPROVED');
  });
});

describe('trading state and reducing orders', () => {
  const long10 = exposure({ positions: { [BTC]: ['10', '1000'] } });

  it('REDUCING: reducing orders pass, opening ones are rejected, flips are cut to the position', () => {
    const sell = engine.check(order('sell', '4'), ctx({ state: 'REDUCING', exposure: long10 }));
    expect(sell).toMatchObject({ decision: 'APPROVED', reducesPosition: true, reasons: [] });
    expect(engine.check(order('buy', '1'), ctx({ state: 'REDUCING', exposure: long10 }))).toMatchObject({ decision: 'REJECTED', reasons: ['reducing_only'] });
    expect(engine.check(order('sell', '1', ETH), ctx({ state: 'REDUCING', exposure: long10 }))).toMatchObject({ decision: 'REJECTED', reasons: ['reducing_only'] });
    const flip = engine.check(order('sell', '15'), ctx({ state: 'REDUCING', exposure: long10 }));
    expect(flip).toMatchObject({ decision: 'RESIZED', reasons: ['reducing_only'], reducesPosition: true });
    expect(flip.approvedQty.toFixed()).toBe('10');
    expect(flip.openingQty.isZero()).toBe(true);
  });

  it('HALTED: nothing opening passes; reducing orders do (by default)', () => {
    expect(engine.check(order('buy', '1'), ctx({ state: 'HALTED', exposure: long10 }))).toMatchObject({ decision: 'REJECTED', reasons: ['halted'] });
    expect(engine.check(order('sell', '10'), ctx({ state: 'HALTED', exposure: long10 }))).toMatchObject({ decision: 'APPROVED', reducesPosition: true });
    const strict = new RiskEngine({ haltedAllowsReducing: false });
    expect(strict.check(order('sell', '10'), ctx({ state: 'HALTED', exposure: long10 }))).toMatchObject({ decision: 'REJECTED', reasons: ['halted'] });
  });

  it('a reducing order is not blocked by position, exposure, trade-count, allow-list or min-notional limits', () => {
    const overLimits = exposure({ positions: { [BTC]: ['-80', '8000'], [ETH]: ['800', '80000'] } });
    const r = engine.check(order('buy', '80'), ctx({ exposure: overLimits, tradesToday: 100, tradesTodaySymbol: 20, limits: { allowed_symbols: [ETH] } }));
    expect(r).toMatchObject({ decision: 'APPROVED', reducesPosition: true, reasons: [] });
    const dust = exposure({ positions: { [BTC]: ['0.01', '1'] } });
    expect(engine.check(order('sell', '0.01'), ctx({ exposure: dust })).decision).toBe('APPROVED');
  });

  it('a reducing order is still subject to the price guard and max_order_notional', () => {
    expect(engine.check(order('sell', '4'), ctx({ exposure: long10, ageMs: 120_000 }))).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
    const r = engine.check(order('sell', '10'), ctx({ exposure: long10, limits: { max_order_notional: '200' } }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_order_notional'] });
    expect(r.approvedQty.toFixed()).toBe('2');
  });

  it('a flip in ACTIVE is limited on the position it opens', () => {
    const r = engine.check(order('sell', '70'), ctx({ exposure: long10 }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_position_pct'], reducesPosition: false });
    expect(r.approvedQty.toFixed()).toBe('60');
    expect(r.openingQty.toFixed()).toBe('50');
  });

  it('a flip over the trade limit is cut to the closing part', () => {
    const r = engine.check(order('sell', '15'), ctx({ exposure: long10, tradesToday: 100 }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_trades_per_day'], reducesPosition: true });
    expect(r.approvedQty.toFixed()).toBe('10');
  });
});

describe('pending approvals', () => {
  it('count against the position limit in their direction', () => {
    const pending = { buyQty: d(30), sellQty: d(0), grossNotional: d(3000) };
    const r = engine.check(order('buy', '30'), ctx({ pending }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_position_pct'] });
    expect(r.approvedQty.toFixed()).toBe('20');
    expect(engine.check(order('sell', '30'), ctx({ pending })).decision).toBe('APPROVED');
  });

  it('count against gross exposure', () => {
    const pending = { buyQty: d(0), sellQty: d(0), grossNotional: d(79500) };
    const r = engine.check(order('buy', '10'), ctx({ pending }));
    expect(r).toMatchObject({ decision: 'RESIZED', reasons: ['max_gross_exposure_pct'] });
    expect(r.approvedQty.toFixed()).toBe('5');
  });
});

describe('exact decimals', () => {
  it('rounds a resize down so the approved order never exceeds the limit', () => {
    const r = engine.check(order('buy', '5000', BTC), ctx({ price: '3', limits: { min_order_notional: '0' } }));
    expect(r.approvedQty.toFixed()).toBe('1666.66666666');
    expect(r.approvedQty.mul(3).lte(5000)).toBe(true);
    const fine = new RiskEngine({ qtyDecimals: 18 });
    expect(fine.check(order('buy', '5000', BTC), ctx({ price: '3' })).approvedQty.toFixed()).toBe('1666.666666666666666666');
  });

  it('works on values floats cannot hold', () => {
    const e = exposure({ equity: '0.3', sod: '0.3', peak: '0.3', positions: {} });
    // 5% of 0.3 = 0.015 at price 0.1 → 0.15 (in floats 0.3 * 0.05 / 0.1 = 0.15000000000000002).
    const r = engine.check(order('buy', '1', BTC), ctx({ exposure: e, price: '0.1', limits: { min_order_notional: '0' } }));
    expect(r.approvedQty.toFixed()).toBe('0.15');
    expect(r.approvedQty.eq(new Dec('0.15'))).toBe(true);
  });
});

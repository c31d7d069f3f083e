import { Dec } from '@cte/shared';
import { KellySizer, weightedHitRate, type KellyConfig, type SizingInput } from '../engine/kelly-sizer';

const d = (x: string | number) => new Dec(String(x));
const CFG: KellyConfig = {
  kellyFraction: 0.25,
  maxPositionPct: 5,
  payoffRatio: 1.5,
  priorHitRate: 0.5,
  maxWinProbability: 0.95,
  allowShort: false,
  defaultQtyDecimals: 8,
  qtyDecimals: {},
  priceDecimals: 8,
  stopAtrMult: 2,
  takeProfitAtrMult: 3,
};
const sizer = (over: Partial<KellyConfig> = {}) => new KellySizer({ ...CFG, ...over });
/** One source with hit rate 0.75: with confidence 0.8, p = 0.5 + 0.25 × 0.8 = 0.7 and f* = 0.7 − 0.3/1.5 = 0.5. */
const GOOD = [{ hitRate: 0.75, baseWeight: 1, scored: 40 }];
const input = (over: Partial<SizingInput> = {}): SizingInput => ({
  symbol: 'BTC/USD',
  side: 'BUY',
  confidence: 0.8,
  price: d(25000),
  equity: d(10000),
  positionQty: d(0),
  sources: GOOD,
  ...over,
});

describe('calibration of p', () => {
  it('p = 0.5 + (weighted hit rate − 0.5) × confidence', () => {
    const c = sizer().calibrate(0.8, GOOD);
    expect(c.p.toFixed()).toBe('0.7');
    expect(c.hitRate.toFixed()).toBe('0.75');
    expect(c.basis).toBe('track_record');
    // A source that is usually wrong lowers p below 0.5.
    expect(sizer().calibrate(0.5, [{ hitRate: 0.3, baseWeight: 1, scored: 5 }]).p.toFixed()).toBe('0.4');
    // Zero confidence: a coin flip whatever the record.
    expect(sizer().calibrate(0, GOOD).p.toFixed()).toBe('0.5');
  });

  it('weights hit rates by base weight × scored signals and ignores unscored sources', () => {
    const sources = [
      { hitRate: 0.6, baseWeight: 1, scored: 30 },
      { hitRate: 0.9, baseWeight: 2, scored: 10 },
      { hitRate: 0.1, baseWeight: 5, scored: 0 },
    ];
    // (0.6×30 + 0.9×20) / (30 + 20) = 36 / 50
    expect(weightedHitRate(sources)!.toFixed()).toBe('0.72');
    expect(sizer().calibrate(1, sources).p.toFixed()).toBe('0.72');
  });

  it('falls back to the prior without a track record or without the aggregator', () => {
    const s = sizer({ priorHitRate: 0.6 });
    expect(s.calibrate(0.5, undefined)).toMatchObject({ basis: 'prior' });
    expect(s.calibrate(0.5, undefined).p.toFixed()).toBe('0.55');
    expect(s.calibrate(0.5, [{ hitRate: 0.9, baseWeight: 1, scored: 0 }]).p.toFixed()).toBe('0.55');
    expect(s.calibrate(0.5, []).basis).toBe('prior');
  });

  it('clips p to the configured maximum', () => {
    expect(sizer().calibrate(1, [{ hitRate: 1, baseWeight: 1, scored: 100 }]).p.toFixed()).toBe('0.95');
  });
});

describe('Kelly fraction', () => {
  it('f* = p − (1 − p) / b', () => {
    expect(KellySizer.kelly(d('0.7'), d('1.5')).toFixed()).toBe('0.5');
    expect(KellySizer.kelly(d('0.6'), d('1')).toFixed()).toBe('0.2');
    expect(KellySizer.kelly(d('0.4'), d('1.5')).toFixed()).toBe('0');
  });

  it('f* ≤ 0 → no trade with reason no_edge', () => {
    // p = 0.5 + (0.3 − 0.5) × 1 = 0.3 → f* = 0.3 − 0.7/1.5 < 0
    const s = sizer().size(input({ confidence: 1, sources: [{ hitRate: 0.3, baseWeight: 1, scored: 10 }] }));
    expect(s).toMatchObject({ trade: false, reason: 'no_edge' });
    expect(s.kelly.lt(0)).toBe(true);
    expect(s.qty.toFixed()).toBe('0');
    expect(s.fraction.toFixed()).toBe('0');
    // exactly zero edge: p = 0.4, b = 1.5
    expect(sizer().size(input({ confidence: 1, sources: [{ hitRate: 0.4, baseWeight: 1, scored: 10 }] }))).toMatchObject({ trade: false, reason: 'no_edge' });
  });

  it('applies fractional Kelly and weights by confidence', () => {
    // f = 0.5 × 0.25 × 0.8 = 0.1 of equity (cap lifted to 100%) → 1000 / 25000 = 0.04
    const s = sizer({ maxPositionPct: 100 }).size(input());
    expect(s.trade).toBe(true);
    expect(s.kelly.toFixed()).toBe('0.5');
    expect(s.fraction.toFixed()).toBe('0.1');
    expect(s.qty.toFixed()).toBe('0.04');
    expect(s.notional.toFixed()).toBe('1000');
    // half Kelly doubles it
    expect(sizer({ maxPositionPct: 100, kellyFraction: 0.5 }).size(input()).fraction.toFixed()).toBe('0.2');
  });

  it('caps the fraction at MAX_POSITION_PCT', () => {
    const s = sizer().size(input());
    expect(s.fraction.toFixed()).toBe('0.05');
    expect(s.qty.toFixed()).toBe('0.02');
  });

  it('rounds the quantity down to the market precision', () => {
    // 0.05 × 10000 / 30000 = 0.0166666…
    expect(sizer().size(input({ price: d(30000) })).qty.toFixed()).toBe('0.01666666');
    expect(sizer({ qtyDecimals: { 'BTC/USD': 3 } }).size(input({ price: d(30000) })).qty.toFixed()).toBe('0.016');
    const none = sizer({ defaultQtyDecimals: 0 }).size(input({ price: d(30000) }));
    expect(none).toMatchObject({ trade: false, reason: 'below_min_qty' });
    expect(none.fraction.toFixed()).toBe('0.05');
  });

  it('counts an existing long against the cap', () => {
    // long 0.01 × 25000 = 250 = 2.5% → 2.5% left
    expect(sizer().size(input({ positionQty: d('0.01') })).qty.toFixed()).toBe('0.01');
    expect(sizer().size(input({ positionQty: d('0.02') }))).toMatchObject({ trade: false, reason: 'max_position' });
  });

  it('SELL only reduces a long unless shorting is allowed', () => {
    expect(sizer().size(input({ side: 'SELL' }))).toMatchObject({ trade: false, reason: 'no_position', side: 'sell' });
    expect(sizer().size(input({ side: 'SELL', positionQty: d('-1') }))).toMatchObject({ trade: false, reason: 'no_position' });
    // raw 0.1 (cap lifted) but the long is 0.01 (2.5%): sell at most the long
    const reduce = sizer({ maxPositionPct: 100 }).size(input({ side: 'SELL', positionQty: d('0.01') }));
    expect(reduce).toMatchObject({ trade: true, side: 'sell' });
    expect(reduce.qty.toFixed()).toBe('0.01');
    // a long bigger than the Kelly size: sell the Kelly size
    expect(sizer().size(input({ side: 'SELL', positionQty: d('1') })).qty.toFixed()).toBe('0.04');
    const short = sizer({ allowShort: true }).size(input({ side: 'SELL' }));
    expect(short).toMatchObject({ trade: true, side: 'sell' });
    expect(short.qty.toFixed()).toBe('0.02');
  });

  it('refuses without equity', () => {
    expect(sizer().size(input({ equity: d(0) }))).toMatchObject({ trade: false, reason: 'no_equity' });
  });
});

describe('stop-loss and take-profit', () => {
  it('are ATR multiples from the price, on the right side', () => {
    const buy = sizer().size(input({ atr: d(500) }));
    expect(buy.stopLoss!.toFixed()).toBe('24000');
    expect(buy.takeProfit!.toFixed()).toBe('26500');
    const sell = sizer({ allowShort: true }).size(input({ side: 'SELL', atr: d(500) }));
    expect(sell.stopLoss!.toFixed()).toBe('26000');
    expect(sell.takeProfit!.toFixed()).toBe('23500');
  });

  it('are absent without an ATR, and a stop below zero is dropped', () => {
    const s = sizer().size(input());
    expect(s.stopLoss).toBeUndefined();
    expect(s.takeProfit).toBeUndefined();
    expect(sizer().levels('buy', d(100), d(60))).toEqual({ takeProfit: d(280) });
  });
});

it('rejects a bad configuration', () => {
  expect(() => sizer({ kellyFraction: 0 })).toThrow(RangeError);
  expect(() => sizer({ payoffRatio: 0 })).toThrow(RangeError);
  expect(() => sizer({ maxPositionPct: 101 })).toThrow(RangeError);
});

/** The strategy agents' pure logic: each type's BUY / SELL / HOLD, not-warm features, confidence bounds. */
import {
  evaluateBreakout,
  evaluateMeanReversion,
  evaluateMlModel,
  evaluateStrategy,
  evaluateTrendFollower,
  featureViewFrom,
  initialStrategyState,
  parseAgentStrategy,
  parseBreakoutParams,
  parseMeanReversionParams,
  parseMlModelParams,
  parseTrendFollowerParams,
  type StrategyDecision,
  type TrendFollowerState,
} from '../engine/strategies';

const tf = parseTrendFollowerParams({});
const mr = parseMeanReversionParams({});
const bo = parseBreakoutParams({});
const ml = parseMlModelParams({});

function expectBounded(d: StrategyDecision): void {
  expect(d.confidence).toBeGreaterThanOrEqual(0);
  expect(d.confidence).toBeLessThanOrEqual(1);
  expect(Number.isFinite(d.confidence)).toBe(true);
  expect(typeof d.reason).toBe('string');
  expect(d.reason.length).toBeGreaterThan(0);
}

describe('trend_follower (EMA 12/26 cross, ADX filter)', () => {
  const bar = (fast: number, slow: number, adx = 30, pdi = 30, mdi = 15) =>
    featureViewFrom({ ema_12: fast, ema_26: slow, adx_14: adx, pdi_14: pdi, mdi_14: mdi });

  it('buys on a cross up with a strong trend, and only on the cross bar', () => {
    const state: TrendFollowerState = {};
    expect(evaluateTrendFollower(bar(99, 100), tf, state).side).toBe('HOLD'); // first warm bar: no previous relation
    expect(state.relation).toBe(-1);
    const cross = evaluateTrendFollower(bar(101, 100), tf, state);
    expect(cross.side).toBe('BUY');
    expect(cross.confidence).toBeGreaterThan(0.5);
    expectBounded(cross);
    expect(evaluateTrendFollower(bar(102, 100), tf, state).side).toBe('HOLD'); // still above: no new cross
  });

  it('sells on a cross down confirmed by -DI', () => {
    const state: TrendFollowerState = {};
    evaluateTrendFollower(bar(101, 100, 30, 15, 30), tf, state);
    const d = evaluateTrendFollower(bar(99, 100, 30, 15, 30), tf, state);
    expect(d.side).toBe('SELL');
    expectBounded(d);
  });

  it('holds on a cross with ADX below adx_min, and on one the DI lines contradict', () => {
    const weak: TrendFollowerState = {};
    evaluateTrendFollower(bar(99, 100, 10), tf, weak);
    const filtered = evaluateTrendFollower(bar(101, 100, 10), tf, weak);
    expect(filtered).toMatchObject({ side: 'HOLD', confidence: 0 });
    expect(filtered.reason).toMatch(/ADX/);

    const contra: TrendFollowerState = {};
    evaluateTrendFollower(bar(99, 100, 30, 10, 30), tf, contra);
    expect(evaluateTrendFollower(bar(101, 100, 30, 10, 30), tf, contra).side).toBe('HOLD');
    // ...unless DI confirmation is off.
    const noDi = parseTrendFollowerParams({ di_confirm: false });
    const s: TrendFollowerState = {};
    evaluateTrendFollower(bar(99, 100, 30, 10, 30), noDi, s);
    expect(evaluateTrendFollower(bar(101, 100, 30, 10, 30), noDi, s).side).toBe('BUY');
  });

  it('confidence grows with ADX and stays within [0, 1]', () => {
    const at = (adx: number): number => {
      const s: TrendFollowerState = { relation: -1 };
      return evaluateTrendFollower(bar(101, 100, adx), tf, s).confidence;
    };
    expect(at(21)).toBeLessThan(at(35));
    expect(at(1000)).toBe(1);
    expect(at(tf.adx_min)).toBeCloseTo(0.55, 8);
  });

  it('NaN (not warm) holds and forgets the relation, so no cross is seen across the gap', () => {
    const state: TrendFollowerState = {};
    evaluateTrendFollower(bar(99, 100), tf, state);
    const cold = evaluateTrendFollower(bar(Number.NaN, 100), tf, state);
    expect(cold).toEqual({ side: 'HOLD', confidence: 0, reason: expect.stringMatching(/not warm/) });
    expect(state.relation).toBeUndefined();
    expect(evaluateTrendFollower(bar(101, 100), tf, state).side).toBe('HOLD');
    // ADX not warm on the cross bar: hold.
    const s2: TrendFollowerState = { relation: -1 };
    expect(evaluateTrendFollower(bar(101, 100, Number.NaN), tf, s2).side).toBe('HOLD');
  });
});

describe('mean_reversion (RSI and Bollinger %b)', () => {
  const bar = (rsi: number, pctb: number, adx = 20) => featureViewFrom({ rsi_14: rsi, bb_pctb_20_2: pctb, adx_14: adx });

  it('buys oversold at the lower band, sells overbought at the upper band, holds inside', () => {
    const buy = evaluateMeanReversion(bar(22, -0.1), mr);
    expect(buy.side).toBe('BUY');
    expectBounded(buy);
    const sell = evaluateMeanReversion(bar(80, 1.2), mr);
    expect(sell.side).toBe('SELL');
    expectBounded(sell);
    expect(evaluateMeanReversion(bar(50, 0.5), mr)).toMatchObject({ side: 'HOLD', confidence: 0 });
    // Oversold RSI but the close is not at the band: both conditions are needed.
    expect(evaluateMeanReversion(bar(22, 0.4), mr).side).toBe('HOLD');
    expect(evaluateMeanReversion(bar(45, -0.2), mr).side).toBe('HOLD');
  });

  it('deeper extremes give higher confidence, capped at 1', () => {
    const mild = evaluateMeanReversion(bar(29, -0.01), mr).confidence;
    const deep = evaluateMeanReversion(bar(5, -0.6), mr).confidence;
    expect(deep).toBeGreaterThan(mild);
    expect(evaluateMeanReversion(bar(0, -100), mr).confidence).toBe(1);
    expect(evaluateMeanReversion(bar(100, 100), mr).confidence).toBe(1);
  });

  it('skips strong trends (ADX above adx_max) unless the filter is off', () => {
    expect(evaluateMeanReversion(bar(20, -0.2, 55), mr).side).toBe('HOLD');
    const off = parseMeanReversionParams({ adx_max: 100 });
    expect(evaluateMeanReversion(bar(20, -0.2, 55), off).side).toBe('BUY');
    expect(evaluateMeanReversion(featureViewFrom({ rsi_14: 20, bb_pctb_20_2: -0.2 }), off).side).toBe('BUY'); // ADX not needed then
  });

  it('NaN features hold', () => {
    expect(evaluateMeanReversion(bar(Number.NaN, -0.2), mr).side).toBe('HOLD');
    expect(evaluateMeanReversion(bar(20, Number.NaN), mr).side).toBe('HOLD');
    expect(evaluateMeanReversion(bar(20, -0.2, Number.NaN), mr).side).toBe('HOLD');
    expect(evaluateMeanReversion(featureViewFrom({}), mr)).toMatchObject({ side: 'HOLD', confidence: 0 });
  });
});

describe('breakout (Donchian 20)', () => {
  const bar = (close: number, high = 110, low = 90, atr = 2, adx = 25) =>
    featureViewFrom({ close, donchian_high_20_prev: high, donchian_low_20_prev: low, atr_14: atr, adx_14: adx });

  it('buys above the previous 20-bar high, sells below the low, holds inside', () => {
    const up = evaluateBreakout(bar(111), bo);
    expect(up.side).toBe('BUY');
    expect(up.confidence).toBeCloseTo(0.75, 8); // half an ATR past the line, full confidence at 1 ATR
    const down = evaluateBreakout(bar(85), bo);
    expect(down.side).toBe('SELL');
    expect(down.confidence).toBe(1); // 2.5 ATR past: capped
    expect(evaluateBreakout(bar(100), bo)).toMatchObject({ side: 'HOLD', confidence: 0 });
    expect(evaluateBreakout(bar(110), bo).side).toBe('HOLD'); // touching is not breaking
  });

  it('a buffer and an ADX floor filter breakouts', () => {
    expect(evaluateBreakout(bar(111), parseBreakoutParams({ buffer_pct: 1 })).side).toBe('HOLD'); // needs > 111.1
    expect(evaluateBreakout(bar(112), parseBreakoutParams({ buffer_pct: 1 })).side).toBe('BUY');
    expect(evaluateBreakout(bar(111, 110, 90, 2, 15), parseBreakoutParams({ adx_min: 20 })).side).toBe('HOLD');
  });

  it('NaN features hold; confidence stays in bounds even with a zero ATR', () => {
    expect(evaluateBreakout(bar(Number.NaN), bo).side).toBe('HOLD');
    expect(evaluateBreakout(bar(111, Number.NaN), bo).side).toBe('HOLD');
    expect(evaluateBreakout(bar(111, 110, 90, Number.NaN), bo).side).toBe('HOLD');
    const flat = evaluateBreakout(bar(111, 110, 90, 0), bo);
    expect(flat.side).toBe('BUY');
    expectBounded(flat);
  });
});

describe('ml_model (probability threshold)', () => {
  const f = featureViewFrom({ close: 100 });
  const p = (x: number | undefined) => () => x;

  it('p >= t buys with confidence p; p <= 1 - t sells with confidence 1 - p; else holds', () => {
    expect(evaluateMlModel(f, ml, p(0.8))).toMatchObject({ side: 'BUY', confidence: 0.8 });
    expect(evaluateMlModel(f, ml, p(0.6))).toMatchObject({ side: 'BUY', confidence: 0.6 });
    expect(evaluateMlModel(f, ml, p(0.25))).toMatchObject({ side: 'SELL', confidence: 0.75 });
    expect(evaluateMlModel(f, ml, p(0.4))).toMatchObject({ side: 'SELL', confidence: 0.6 });
    expect(evaluateMlModel(f, ml, p(0.5))).toMatchObject({ side: 'HOLD', confidence: 0 });
    expect(evaluateMlModel(f, ml, p(0.59))).toMatchObject({ side: 'HOLD' });
  });

  it('p exactly 1 - t sells whatever the float rounding of 1 - t', () => {
    const t9 = parseMlModelParams({ threshold: 0.9 });
    expect(evaluateMlModel(f, t9, p(0.1))).toMatchObject({ side: 'SELL', confidence: 0.9 });
    expect(evaluateMlModel(f, t9, p(0.9))).toMatchObject({ side: 'BUY', confidence: 0.9 });
  });

  it('no model, no prediction, NaN or out-of-range probabilities hold', () => {
    expect(evaluateMlModel(f, ml, undefined).side).toBe('HOLD');
    expect(evaluateMlModel(f, ml, p(undefined)).side).toBe('HOLD');
    expect(evaluateMlModel(f, ml, p(Number.NaN)).side).toBe('HOLD');
    expect(evaluateMlModel(f, ml, p(1.5)).side).toBe('HOLD');
    expect(evaluateMlModel(f, ml, p(-0.1)).side).toBe('HOLD');
  });

  it('passes the features to the model', () => {
    const seen: number[] = [];
    evaluateMlModel(featureViewFrom({ rsi_14: 42 }), ml, (v) => {
      seen.push(v.get('rsi_14'));
      return 0.9;
    });
    expect(seen).toEqual([42]);
  });
});

describe('evaluateStrategy dispatch', () => {
  it('routes each type to its strategy with its typed config and the caller-held state', () => {
    const state = initialStrategyState();
    const trend = parseAgentStrategy('trend_follower', '1h', {});
    evaluateStrategy(trend, featureViewFrom({ ema_12: 1, ema_26: 2 }), state);
    expect(state.relation).toBe(-1);
    const d = evaluateStrategy(trend, featureViewFrom({ ema_12: 3, ema_26: 2, adx_14: 40, pdi_14: 30, mdi_14: 10 }), state);
    expect(d.side).toBe('BUY');
    const model = parseAgentStrategy('ml_model', '1h', { threshold: 0.7 });
    expect(evaluateStrategy(model, featureViewFrom({}), {}, { predictProba: () => 0.2 }).side).toBe('SELL');
    expect(evaluateStrategy(model, featureViewFrom({}), {}).side).toBe('HOLD');
    expect(evaluateStrategy(parseAgentStrategy('breakout', '1h', {}), featureViewFrom({ close: 5, donchian_high_20_prev: 4, donchian_low_20_prev: 1, atr_14: 1 }), {}).side).toBe('BUY');
    expect(evaluateStrategy(parseAgentStrategy('mean_reversion', '1h', {}), featureViewFrom({ rsi_14: 90, bb_pctb_20_2: 1.3, adx_14: 10 }), {}).side).toBe('SELL');
  });

  it('confidence is always within [0, 1] over a sweep of random features', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const types = ['trend_follower', 'mean_reversion', 'breakout', 'ml_model'] as const;
    let directional = 0;
    for (let i = 0; i < 2000; i++) {
      const f = featureViewFrom({
        close: 50 + rnd() * 100,
        ema_12: rnd() * 100,
        ema_26: rnd() * 100,
        adx_14: rnd() * 100,
        pdi_14: rnd() * 50,
        mdi_14: rnd() * 50,
        rsi_14: rnd() * 100,
        bb_pctb_20_2: rnd() * 3 - 1,
        donchian_high_20_prev: 100 + rnd() * 20,
        donchian_low_20_prev: 60 + rnd() * 20,
        atr_14: rnd() * 5,
      });
      const strategy = parseAgentStrategy(types[i % 4], '1h', {});
      const d = evaluateStrategy(strategy, f, { relation: rnd() < 0.5 ? 1 : -1 }, { predictProba: () => rnd() });
      expectBounded(d);
      if (d.side === 'HOLD') expect(d.confidence).toBe(0);
      else directional++;
    }
    expect(directional).toBeGreaterThan(100);
  });
});

import { TradableSymbols } from '@cte/shared';
import { ConsensusEngine, signalAsOf, signalDueAt, type ConsensusOptions } from '../engine/consensus-engine';
import { MIN, T0, WALL, sig } from './helpers/signals';

const base: ConsensusOptions = { halfLifeMs: 10 * MIN, maxAgeMs: 60 * MIN, minQuorum: 2, minAgreement: 0.6, symbols: ['BTC/USD', 'ETH/USD'] };
const engine = (o: Partial<ConsensusOptions> = {}) => new ConsensusEngine({ ...base, ...o });

describe('ConsensusEngine: voting', () => {
  it('agreeing sources give BUY with full agreement and confidence = weighted mean confidence', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a', confidence: 0.8 }));
    const c = e.ingest(sig({ agent_id: 'b', confidence: 0.6 })).consensus;
    expect(c).toMatchObject({ symbol: 'BTC/USD', side: 'BUY', agreement: 1, sources: 2, reason: 'consensus', price: '100', ts: T0 + MIN });
    expect(c.confidence).toBeCloseTo(0.7, 8);
  });

  it('weighs by vote share: 2 BUY vs 1 SELL at equal weight is BUY at agreement 2/3', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a', side: 'BUY' }));
    e.ingest(sig({ agent_id: 'b', side: 'BUY' }));
    const c = e.ingest(sig({ agent_id: 'c', side: 'SELL' })).consensus;
    expect(c.side).toBe('BUY');
    expect(c.agreement).toBeCloseTo(2 / 3, 8);
    expect(c.confidence).toBeCloseTo(2 / 3, 8);
    expect(c.signal_ids).toHaveLength(3);
  });

  it('below the minimum agreement the consensus is HOLD (low_agreement), with the leader share reported', () => {
    const e = engine({ minAgreement: 0.7 });
    e.ingest(sig({ agent_id: 'a', side: 'BUY' }));
    e.ingest(sig({ agent_id: 'b', side: 'BUY' }));
    const c = e.ingest(sig({ agent_id: 'c', side: 'SELL' })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', confidence: 0, reason: 'low_agreement', sources: 3 });
    expect(c.agreement).toBeCloseTo(2 / 3, 8);
  });

  it('below the quorum of distinct sources the consensus is HOLD (no_quorum)', () => {
    const e = engine({ minQuorum: 3 });
    e.ingest(sig({ agent_id: 'a' }));
    const c = e.ingest(sig({ agent_id: 'b' })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', confidence: 0, agreement: 1, sources: 2, reason: 'no_quorum' });
    expect(e.ingest(sig({ agent_id: 'c' })).consensus).toMatchObject({ side: 'BUY', reason: 'consensus', sources: 3 });
  });

  it('one source repeating itself is still one source: only its latest signal counts', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a', side: 'SELL', bar_time: T0 }));
    const c = e.ingest(sig({ agent_id: 'a', side: 'BUY', bar_time: T0 + MIN })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', reason: 'no_quorum', sources: 1 });
  });

  it('an older signal of a source does not replace its newer one', () => {
    const e = engine();
    const newer = sig({ agent_id: 'a', side: 'BUY', bar_time: T0 + 5 * MIN });
    e.ingest(newer);
    e.ingest(sig({ agent_id: 'b', side: 'BUY', bar_time: T0 + 5 * MIN }));
    const r = e.ingest(sig({ agent_id: 'a', side: 'SELL', bar_time: T0 + 2 * MIN }));
    expect(r.superseded).toBe(true);
    expect(r.consensus).toMatchObject({ side: 'BUY', agreement: 1 });
    expect(r.consensus.signal_ids).toContain(newer.id);
  });

  it('HOLD signals vote: a HOLD majority is HOLD (reason hold) with its confidence', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a', side: 'HOLD', confidence: 0.9 }));
    e.ingest(sig({ agent_id: 'b', side: 'HOLD', confidence: 0.9 }));
    const c = e.ingest(sig({ agent_id: 'c', side: 'BUY', confidence: 0.3 })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', reason: 'hold', sources: 3 });
    expect(c.agreement).toBeCloseTo(1.8 / 2.1, 8);
    expect(c.confidence).toBeCloseTo(1.8 / 3, 8);
  });

  it('a BUY/SELL tie is HOLD (tie)', () => {
    const e = engine({ minAgreement: 0 });
    e.ingest(sig({ agent_id: 'a', side: 'BUY', confidence: 0.5 }));
    const c = e.ingest(sig({ agent_id: 'b', side: 'SELL', confidence: 0.5 })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', reason: 'tie', agreement: 0.5, confidence: 0 });
  });

  it('zero-confidence signals and zero-weight sources do not contribute', () => {
    const e = engine({ baseWeights: { muted_type: 0 } });
    e.ingest(sig({ agent_id: 'a', side: 'SELL', confidence: 0 }));
    e.ingest(sig({ agent_id: 'm', side: 'SELL', source_type: 'muted_type' }));
    const c = e.ingest(sig({ agent_id: 'b', side: 'BUY' })).consensus;
    expect(c).toMatchObject({ side: 'HOLD', reason: 'no_quorum', sources: 1 });
  });

  it('with no contributing signal the consensus is HOLD (no_signals)', () => {
    const e = engine();
    expect(e.ingest(sig({ agent_id: 'a', confidence: 0 })).consensus).toMatchObject({ side: 'HOLD', reason: 'no_signals', sources: 0, signal_ids: [] });
  });

  it('keeps symbols apart', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a', side: 'BUY' }));
    e.ingest(sig({ agent_id: 'b', side: 'BUY' }));
    e.ingest(sig({ agent_id: 'a', side: 'SELL', symbol: 'ETH/USD', price: '5' }));
    const eth = e.ingest(sig({ agent_id: 'b', side: 'SELL', symbol: 'ETH/USD', price: '5' })).consensus;
    expect(eth).toMatchObject({ symbol: 'ETH/USD', side: 'SELL', price: '5' });
    expect(e.compute('BTC/USD')).toMatchObject({ side: 'BUY' });
  });
});

describe('ConsensusEngine: weights', () => {
  it('base weights by source_type, overridden by agent_id, default 1', () => {
    const e = engine({ baseWeights: { ml_model: 3, special_agent: 0.5 } });
    expect(e.baseWeight('x', 'ml_model')).toBe(3);
    expect(e.baseWeight('special_agent', 'ml_model')).toBe(0.5);
    expect(e.baseWeight('y', 'trend_follower')).toBe(1);
  });

  it('a heavier source type outvotes two lighter ones', () => {
    const e = engine({ baseWeights: { ml_model: 3 }, minAgreement: 0.5 });
    e.ingest(sig({ agent_id: 'model', source_type: 'ml_model', side: 'SELL' }));
    e.ingest(sig({ agent_id: 't1', source_type: 'trend_follower', side: 'BUY' }));
    const c = e.ingest(sig({ agent_id: 't2', source_type: 'trend_follower', side: 'BUY' })).consensus;
    expect(c.side).toBe('SELL');
    expect(c.agreement).toBeCloseTo(3 / 5, 8);
  });

  it('the track record multiplies the base weight', () => {
    const e = engine({ minAgreement: 0.5, trackRecord: { priorMean: 0.5, priorStrength: 2 } });
    // 'good' hits 8 of 8 → (8+1)/(8+2) = 0.9 → ×1.8;  'bad' misses 8 of 8 → 1/10 → ×0.2.
    e.trackRecord.load({ agentId: 'good', sourceType: 'ml_model', hits: 8, scored: 8, lastScoredAt: null });
    e.trackRecord.load({ agentId: 'bad', sourceType: 'ml_model', hits: 0, scored: 8, lastScoredAt: null });
    e.ingest(sig({ agent_id: 'bad', side: 'SELL' }));
    const c = e.ingest(sig({ agent_id: 'good', side: 'BUY' })).consensus;
    expect(e.trackRecord.multiplier('good')).toBeCloseTo(1.8, 12);
    expect(e.trackRecord.multiplier('bad')).toBeCloseTo(0.2, 12);
    expect(c.side).toBe('BUY');
    expect(c.agreement).toBeCloseTo(1.8 / 2, 8);
    const src = Object.fromEntries(e.sources().map((s) => [s.agentId, s]));
    expect(src.good).toMatchObject({ baseWeight: 1, hits: 8, scored: 8 });
    expect(src.good!.effectiveWeight).toBeCloseTo(1.8, 12);
  });
});

describe('ConsensusEngine: time', () => {
  it('decays by half-life in data time: one half-life halves a vote', () => {
    const e = engine({ minAgreement: 0.5 });
    e.ingest(sig({ agent_id: 'old', side: 'SELL', bar_time: T0 }));
    const c = e.ingest(sig({ agent_id: 'new', side: 'BUY', bar_time: T0 + 10 * MIN })).consensus;
    // BUY 1, SELL 0.5: agreement 2/3; confidence = 1 / (1 + 0.5)
    expect(c.side).toBe('BUY');
    expect(c.agreement).toBeCloseTo(2 / 3, 8);
    expect(c.confidence).toBeCloseTo(2 / 3, 8);
    expect(c.ts).toBe(T0 + 11 * MIN);
  });

  it('prices advance data time: signals older than the max age are dropped', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a' }));
    e.ingest(sig({ agent_id: 'b' }));
    e.onPrice('BTC/USD', '101', T0 + MIN + 60 * MIN);
    expect(e.compute('BTC/USD')).toMatchObject({ side: 'BUY', sources: 2, price: '101' });
    e.onPrice('BTC/USD', '102', T0 + MIN + 60 * MIN + 1);
    expect(e.compute('BTC/USD')).toMatchObject({ side: 'HOLD', reason: 'no_signals', sources: 0, price: '102' });
  });

  it('is deterministic: the same signals in another order give an identical consensus', () => {
    const signals = Array.from({ length: 12 }, (_, i) =>
      sig({ agent_id: `agent_${i % 7}`, side: i % 3 === 0 ? 'SELL' : 'BUY', confidence: 0.1 + i / 17, bar_time: T0 + (i % 5) * MIN }),
    );
    const a = engine({ minAgreement: 0.5 });
    const b = engine({ minAgreement: 0.5 });
    for (const s of signals) a.ingest(s);
    for (const s of [...signals].reverse()) b.ingest(s);
    expect(b.compute('BTC/USD')).toEqual(a.compute('BTC/USD'));
  });

  it('as-of is the bar close and due is horizon after it', () => {
    const s = sig({ timeframe: '5m', bar_time: T0, horizon_ms: 15 * MIN });
    expect(signalAsOf(s)).toBe(T0 + 5 * MIN);
    expect(signalDueAt(s)).toBe(T0 + 20 * MIN);
  });

  it('applying the same signal id twice changes nothing', () => {
    const e = engine();
    const s = sig({ agent_id: 'a' });
    e.ingest(s);
    const again = e.ingest({ ...s, side: 'SELL' });
    expect(again.duplicate).toBe(true);
    expect(e.trackRecord.pendingCount()).toBe(1);
    expect(e.compute('BTC/USD')!.signal_ids).toEqual([s.id]);
  });
});

describe('ConsensusEngine: bad signals', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['confidence 1.5', { confidence: 1.5 }, 'confidence'],
    ['confidence -0.1', { confidence: -0.1 }, 'confidence'],
    ['confidence NaN (null once serialised)', { confidence: null }, 'confidence'],
    ['confidence NaN', { confidence: Number.NaN }, 'confidence'],
    ['confidence as a string', { confidence: '0.9' }, 'confidence'],
    ['an unknown symbol', { symbol: 'DOGE/USD' }, 'unknown_symbol'],
    ['a malformed symbol', { symbol: 'not a symbol' }, 'symbol'],
    ['a bar_time in the future', { bar_time: WALL + 3_600_000 }, 'future'],
    ['a created_at in the future', { created_at: WALL + 3_600_000 }, 'future'],
    ['a negative bar_time', { bar_time: -1 }, 'timestamp'],
    ['a bad side', { side: 'LONG' }, 'side'],
    ['a bad timeframe', { timeframe: '7m' }, 'timeframe'],
    ['a zero horizon', { horizon_ms: 0 }, 'horizon'],
    ['a float price', { price: 100.5 }, 'price'],
    ['a missing id', { id: undefined }, 'malformed'],
    ['a bad trace id', { trace_id: 'x' }, 'malformed'],
  ];

  it.each(cases)('rejects %s without touching state', (_name, patch, reason) => {
    const e = engine();
    e.ingest(sig({ agent_id: 'a' }));
    e.ingest(sig({ agent_id: 'b' }));
    const before = e.compute('BTC/USD');
    const raw: Record<string, unknown> = { ...sig({ agent_id: 'c', side: 'SELL' }), ...patch };
    const v = e.validate(raw, WALL);
    expect(v).toMatchObject({ ok: false, reason });
    expect(e.compute('BTC/USD')).toEqual(before);
  });

  it.each([null, 'text', 42, [], {}])('rejects a non-signal payload %p as malformed', (raw) => {
    expect(engine().validate(raw, WALL)).toMatchObject({ ok: false });
  });

  it('rejects a signal far ahead of the symbol data time (poisoned clock) and one older than the max age', () => {
    const e = engine({ maxLeadMs: 60 * MIN });
    e.onPrice('BTC/USD', '100', T0 + 120 * MIN);
    expect(e.validate(sig({ bar_time: T0 + 182 * MIN }), WALL)).toMatchObject({ ok: false, reason: 'future' });
    expect(e.validate(sig({ bar_time: T0 + 170 * MIN }), WALL)).toMatchObject({ ok: true });
    expect(e.validate(sig({ bar_time: T0 }), WALL)).toMatchObject({ ok: false, reason: 'stale' });
    expect(e.validate(sig({ bar_time: T0 + 59 * MIN }), WALL)).toMatchObject({ ok: true });
  });

  it('with the fleet\'s tradable symbols, only those are known: others are refused naming them, their prices ignored', () => {
    const e = engine({ tradable: new TradableSymbols(['BTC/USD', 'ETH/USD'], 'TRADABLE_SYMBOLS') });
    expect(e.validate(sig({ symbol: 'ETH/USD' }), WALL)).toMatchObject({ ok: true });
    expect(e.onPrice('FOO/BAR', '1', T0)).toEqual([]);
    expect(e.isKnownSymbol('FOO/BAR')).toBe(false);
    expect(e.validate(sig({ symbol: 'FOO/BAR' }), WALL)).toMatchObject({
      ok: false,
      reason: 'unknown_symbol',
      message: 'signal.symbol: unknown symbol FOO/BAR: tradable symbols are BTC/USD, ETH/USD (TRADABLE_SYMBOLS)',
    });
  });

  it('symbols become known from prices', () => {
    const e = engine({ symbols: [] });
    expect(e.validate(sig({ symbol: 'XRP/USD' }), WALL)).toMatchObject({ ok: false, reason: 'unknown_symbol' });
    e.onPrice('XRP/USD', '0.5', T0);
    expect(e.validate(sig({ symbol: 'XRP/USD' }), WALL)).toMatchObject({ ok: true });
  });

  it('refuses nonsensical options', () => {
    expect(() => engine({ minQuorum: 0 })).toThrow(/minQuorum/);
    expect(() => engine({ minAgreement: 1.5 })).toThrow(/minAgreement/);
    expect(() => engine({ halfLifeMs: 0 })).toThrow(/halfLifeMs/);
    expect(() => engine({ baseWeights: { x: -1 } })).toThrow(/base weight/);
  });
});

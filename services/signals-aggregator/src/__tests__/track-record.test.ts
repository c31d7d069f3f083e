import { ConsensusEngine } from '../engine/consensus-engine';
import { compareDecimal, normalizeDecimal } from '../engine/decimal';
import { TrackRecord } from '../engine/track-record';
import { MIN, T0, sig } from './helpers/signals';

const engine = () => new ConsensusEngine({ halfLifeMs: 10 * MIN, maxAgeMs: 60 * MIN, minQuorum: 2, minAgreement: 0.6, symbols: ['BTC/USD', 'ETH/USD'] });

describe('TrackRecord', () => {
  it('a new source is neutral: prior 0.5 → multiplier 1', () => {
    const t = new TrackRecord();
    expect(t.hitRate('nobody')).toBe(0.5);
    expect(t.multiplier('nobody')).toBe(1);
  });

  it('smooths with a Beta prior: (hits + mean·strength) / (scored + strength)', () => {
    const t = new TrackRecord({ priorMean: 0.5, priorStrength: 10 });
    t.load({ agentId: 'a', sourceType: 'ml_model', hits: 3, scored: 4, lastScoredAt: null });
    expect(t.hitRate('a')).toBeCloseTo(8 / 14, 12);
    expect(t.multiplier('a')).toBeCloseTo(16 / 14, 12);
    t.load({ agentId: 'b', sourceType: 'ml_model', hits: 1000, scored: 1000, lastScoredAt: null });
    expect(t.multiplier('b')).toBeLessThanOrEqual(2);
    t.load({ agentId: 'c', sourceType: 'ml_model', hits: 0, scored: 1000, lastScoredAt: null });
    expect(t.multiplier('c')).toBeGreaterThanOrEqual(0);
    expect(t.multiplier('c')).toBeCloseTo(10 / 1010, 12);
  });

  it('scores BUY on a rise and SELL on a fall at the first price at or after the due time', () => {
    const e = engine();
    const buy = sig({ agent_id: 'bull', side: 'BUY', price: '100.50' });
    const sell = sig({ agent_id: 'bear', side: 'SELL', price: '100.50' });
    e.ingest(buy);
    e.ingest(sell);
    const due = T0 + MIN + 5 * MIN;
    expect(e.onPrice('BTC/USD', '90', due - 1)).toEqual([]);
    const scored = e.onPrice('BTC/USD', '100.6', due);
    expect(scored.map((s) => [s.id, s.hit, s.exitPrice, s.scoredAt])).toEqual(
      expect.arrayContaining([
        [buy.id, true, '100.6', due],
        [sell.id, false, '100.6', due],
      ]),
    );
    expect(e.trackRecord.record('bull')).toMatchObject({ hits: 1, scored: 1, lastScoredAt: due });
    expect(e.trackRecord.record('bear')).toMatchObject({ hits: 0, scored: 1 });
    expect(e.onPrice('BTC/USD', '50', due + MIN)).toEqual([]);
  });

  it('an unchanged price is a miss for both sides; exact decimal comparison (100.50 = 100.5)', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'bull', side: 'BUY', price: '100.50' }));
    e.ingest(sig({ agent_id: 'bear', side: 'SELL', price: '100.50' }));
    const scored = e.onPrice('BTC/USD', '100.5000', T0 + 10 * MIN);
    expect(scored.map((s) => s.hit)).toEqual([false, false]);
  });

  it('HOLD signals are not scored; prices of another symbol do not score', () => {
    const e = engine();
    e.ingest(sig({ agent_id: 'h', side: 'HOLD' }));
    e.ingest(sig({ agent_id: 'b', side: 'BUY' }));
    expect(e.onPrice('ETH/USD', '1', T0 + 60 * MIN)).toEqual([]);
    expect(e.onPrice('BTC/USD', '101', T0 + 60 * MIN).map((s) => s.agentId)).toEqual(['b']);
    expect(e.trackRecord.record('h')).toMatchObject({ scored: 0 });
  });

  it('scores due signals in due order and bounds pending per symbol', () => {
    const t = new TrackRecord({ maxPendingPerSymbol: 3 });
    for (const [id, dueAt] of [['x', 30], ['y', 10], ['z', 20]] as const) {
      expect(t.track({ id, agentId: 'a', symbol: 'S/USD', side: 'BUY', price: '1', dueAt })).toBe(true);
    }
    expect(t.track({ id: 'w', agentId: 'a', symbol: 'S/USD', side: 'BUY', price: '1', dueAt: 5 })).toBe(false);
    expect(t.track({ id: 'x', agentId: 'a', symbol: 'S/USD', side: 'BUY', price: '1', dueAt: 30 })).toBe(false);
    expect(t.pendingCount('a')).toBe(3);
    expect(t.onPrice('S/USD', '2', 25).map((s) => s.id)).toEqual(['y', 'z']);
    expect(t.pendingCount('a')).toBe(1);
  });

  it('a hitting source gains weight in the consensus over time', () => {
    const e = engine();
    let price = 100;
    for (let i = 0; i < 30; i++) {
      const bar = T0 + i * MIN;
      // 'oracle' calls the next move right; 'contrarian' always wrong.
      e.ingest(sig({ agent_id: 'oracle', side: 'BUY', price: String(price), bar_time: bar, horizon_ms: MIN }));
      e.ingest(sig({ agent_id: 'contrarian', side: 'SELL', price: String(price), bar_time: bar, horizon_ms: MIN }));
      price += 1;
      e.onPrice('BTC/USD', String(price), bar + 2 * MIN);
    }
    const src = Object.fromEntries(e.sources().map((s) => [s.agentId, s]));
    expect(src.oracle).toMatchObject({ hits: 30, scored: 30 });
    expect(src.contrarian).toMatchObject({ hits: 0, scored: 30 });
    expect(src.oracle!.multiplier).toBeCloseTo(2 * (35 / 40), 12);
    expect(src.contrarian!.multiplier).toBeCloseTo(2 * (5 / 40), 12);
    const c = e.compute('BTC/USD')!;
    expect(c.side).toBe('BUY');
    expect(c.agreement).toBeCloseTo(35 / 40, 8);
  });

  it('restores pending signals and counts, and a restored signal is not scored twice', () => {
    const e = engine();
    e.trackRecord.load({ agentId: 'a', sourceType: 'ml_model', hits: 4, scored: 6, lastScoredAt: T0 });
    const pending = sig({ agent_id: 'a', side: 'SELL', price: '10' });
    e.restore(pending, true);
    e.restore(pending, true);
    e.ingest(pending);
    expect(e.trackRecord.pendingCount()).toBe(1);
    const scored = e.onPrice('BTC/USD', '9', T0 + 6 * MIN);
    expect(scored).toHaveLength(1);
    expect(e.trackRecord.record('a')).toMatchObject({ hits: 5, scored: 7 });
  });
});

describe('decimal comparison', () => {
  it.each([
    ['1', '1.0', 0],
    ['0100.50', '100.5', 0],
    ['99.999', '100', -1],
    ['100.0001', '100', 1],
    ['0.000000000000000002', '0.000000000000000001', 1],
    ['12345678901234567890.1', '12345678901234567890.09', 1],
  ] as const)('%s vs %s', (a, b, want) => {
    expect(compareDecimal(a, b)).toBe(want);
    expect(compareDecimal(b, a)).toBe(-want || 0);
  });

  it('normalises', () => {
    expect(normalizeDecimal('6800.010000000000000000')).toBe('6800.01');
    expect(normalizeDecimal('0.000')).toBe('0');
    expect(normalizeDecimal('000')).toBe('0');
  });
});

/** AggregatorRepository against a real MariaDB: idempotent stores, scoring writes, restore queries, trimming. */
import { createLogger } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { ConsensusEngine } from '../engine/consensus-engine';
import { AggregatorRepository } from '../adapters/repository';
import type { ConsensusRecord } from '../adapters/records';
import { MIN, T0, sig } from './helpers/signals';

let tdb: TestDatabase;
let repo: AggregatorRepository;

beforeAll(async () => {
  tdb = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
  repo = new AggregatorRepository(tdb.db);
});
afterAll(() => tdb?.drop());

let k = 0;
const consensusFor = (symbol: string, traceId: string, ts: number): ConsensusRecord => ({
  id: `00000000-0000-4000-8000-${String(++k).padStart(12, '0')}`,
  symbol,
  side: 'BUY',
  confidence: 0.123456789,
  agreement: 1,
  sources: 1,
  signal_ids: ['a', 'b'],
  price: '6800.01',
  ts,
  trace_id: traceId,
  reason: 'consensus',
  created_at: 1,
});

describe('AggregatorRepository', () => {
  it('stores a bar decision once per (symbol, timeframe, bar), keyed by the bar; loads the newest decided bar per series (issue 13)', async () => {
    const bar = (barTime: number, tf: '1h' | '4h' = '1h'): ConsensusRecord => ({ ...consensusFor('BARS/USD', 'trace-bars-0001', barTime + 3_600_000), timeframe: tf, bar_time: barTime });
    expect(await repo.storeConsensus(bar(T0))).toBe(true);
    // Another id for the same bar (a second replica, a restart deciding again): refused.
    expect(await repo.storeConsensus(bar(T0))).toBe(false);
    expect(await repo.storeConsensus(bar(T0, '4h'))).toBe(true);
    expect(await repo.storeConsensus(bar(T0 + 3_600_000))).toBe(true);
    const [latest] = await repo.listConsensus({ symbol: 'BARS/USD', limit: 1, offset: 0 });
    expect(latest).toMatchObject({ timeframe: '1h', bar_time: T0 + 3_600_000, ts: T0 + 7_200_000 });
    const decided = (await repo.loadDecidedBars()).filter((d) => d.symbol === 'BARS/USD');
    expect(decided.sort((a, b) => a.timeframe.localeCompare(b.timeframe))).toEqual([
      { symbol: 'BARS/USD', timeframe: '1h', barTime: T0 + 3_600_000 },
      { symbol: 'BARS/USD', timeframe: '4h', barTime: T0 },
    ]);
  });

  it('stores a signal and its consensus once; a second store of the id is a no-op', async () => {
    const s = sig({ symbol: 'REPO/USD', agent_id: 'r1', price: '6800.0100' });
    expect(await repo.storeSignal({ signal: s, receivedAt: 5, consensus: consensusFor('REPO/USD', s.trace_id, T0), newSource: true })).toBe(true);
    expect(await repo.signalExists(s.id)).toBe(true);
    expect(await repo.storeSignal({ signal: s, receivedAt: 6, consensus: consensusFor('REPO/USD', s.trace_id, T0), newSource: true })).toBe(false);
    const [stored] = await repo.listSignals({ symbol: 'REPO/USD', limit: 10, offset: 0 });
    expect(stored).toMatchObject({ id: s.id, price: '6800.01', as_of: T0 + MIN, due_at: T0 + 6 * MIN, received_at: 5, outcome: 'pending', exit_price: null });
    const history = await repo.listConsensus({ symbol: 'REPO/USD', limit: 10, offset: 0 });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ confidence: 0.12345679, price: '6800.01', signal_ids: ['a', 'b'] });
    expect(await repo.loadSourceStats()).toEqual([{ agentId: 'r1', sourceType: 'ml_model', hits: 0, scored: 0, lastScoredAt: null }]);
  });

  it('saves scoring outcomes with absolute source counts; restore loads the window and the pending signals', async () => {
    const e = new ConsensusEngine({ halfLifeMs: 10 * MIN, maxAgeMs: 30 * MIN, minQuorum: 1, minAgreement: 0.5, symbols: ['RST/USD'] });
    const old = sig({ symbol: 'RST/USD', agent_id: 'x', bar_time: T0, horizon_ms: MIN });
    const oldHold = sig({ symbol: 'RST/USD', agent_id: 'y', side: 'HOLD', bar_time: T0 });
    const recent = sig({ symbol: 'RST/USD', agent_id: 'x', bar_time: T0 + 60 * MIN, horizon_ms: 60 * MIN });
    for (const s of [old, oldHold, recent]) {
      const r = e.ingest(s);
      await repo.storeSignal({ signal: s, receivedAt: 1, consensus: consensusFor(s.symbol, s.trace_id, r.consensus.ts), newSource: r.newSource });
    }
    const scored = e.onPrice('RST/USD', '101', T0 + 61 * MIN);
    expect(scored.map((s) => s.id)).toEqual([old.id]);
    await repo.saveScores(scored, [e.trackRecord.record('x')!], 7);
    expect(await repo.loadSourceStats()).toEqual(
      expect.arrayContaining([{ agentId: 'x', sourceType: 'ml_model', hits: 1, scored: 1, lastScoredAt: T0 + 61 * MIN }]),
    );
    const restored = (await repo.loadSignalsForRestore(30 * MIN)).filter((s) => s.symbol === 'RST/USD');
    // `old` is outside the 30-min window and scored; `oldHold` outside and unscored: neither comes back.
    expect(restored.map((s) => [s.id, s.outcome])).toEqual([[recent.id, 'pending']]);
    const byId = Object.fromEntries((await repo.listSignals({ symbol: 'RST/USD', limit: 10, offset: 0 })).map((s) => [s.id, s]));
    expect(byId[old.id]).toMatchObject({ outcome: 'hit', exit_price: '101', scored_at: T0 + 61 * MIN });
    expect(byId[oldHold.id]).toMatchObject({ outcome: 'unscored' });

    // A rebuilt engine agrees with the live one.
    const again = new ConsensusEngine({ halfLifeMs: 10 * MIN, maxAgeMs: 30 * MIN, minQuorum: 1, minAgreement: 0.5 });
    for (const st of await repo.loadSourceStats()) again.trackRecord.load(st);
    for (const s of restored) again.restore(s, s.outcome === 'pending');
    again.onPrice('RST/USD', '101', T0 + 61 * MIN);
    expect(again.compute('RST/USD')).toEqual(e.compute('RST/USD'));
    expect(again.trackRecord.pendingCount()).toBe(1);
  });

  it('latest consensus per symbol; filters and pages; trims to the newest rows', async () => {
    for (let i = 0; i < 30; i++) {
      const s = sig({ symbol: 'TRIM/USD', agent_id: `t${i % 3}`, bar_time: T0 + i * MIN });
      await repo.storeSignal({ signal: s, receivedAt: i, consensus: consensusFor('TRIM/USD', s.trace_id, i), newSource: false });
    }
    const latest = await repo.loadLatestConsensus();
    expect(latest.find((c) => c.symbol === 'TRIM/USD')).toMatchObject({ ts: 29 });
    expect((await repo.listSignals({ agentId: 't1', symbol: 'TRIM/USD', limit: 100, offset: 0 })).length).toBe(10);
    const page = await repo.listConsensus({ symbol: 'TRIM/USD', limit: 5, offset: 5 });
    expect(page.map((c) => c.ts)).toEqual([24, 23, 22, 21, 20]);
    const total = async () => Number((await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM aggregator_signals'))[0]!.n);
    const before = await total();
    expect(await repo.trimSignals(10, 7)).toBe(before - 10);
    expect(await total()).toBe(10);
    expect(await repo.trimSignals(10)).toBe(0);
  });
});

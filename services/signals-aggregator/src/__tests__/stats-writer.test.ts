import { createLogger } from '@cte/shared';
import { StatsWriter } from '../adapters/stats-writer';
import { RecentSet } from '../engine/recent-set';
import type { ScoredSignal, SourceRecord } from '../engine/track-record';

const logger = createLogger({ service: 'test', level: 'silent' });
const scored = (id: string, agentId: string, hit: boolean): ScoredSignal => ({
  id, agentId, symbol: 'BTC/USD', side: 'BUY', price: '1', dueAt: 1, exitPrice: '2', scoredAt: 2, hit,
});

describe('StatsWriter', () => {
  it('writes every queued outcome with the counts read at the same instant; a failed write is retried whole', async () => {
    const counts = new Map<string, SourceRecord>([['a', { agentId: 'a', sourceType: 'ml_model', hits: 1, scored: 2, lastScoredAt: 2 }]]);
    const calls: Array<{ ids: string[]; stats: SourceRecord[] }> = [];
    let fail = true;
    const w = new StatsWriter({
      store: {
        async saveScores(batch, stats) {
          calls.push({ ids: batch.map((s) => s.id), stats: stats.map((s) => ({ ...s })) });
          if (fail) throw new Error('mysql down');
        },
      },
      statsOf: (a) => counts.get(a),
      logger,
      flushMs: 1000,
    });
    w.enqueue([scored('s1', 'a', true), scored('s2', 'a', false)]);
    await w.flush();
    expect(w.pending()).toBe(2);
    // More scorings arrive before the retry; the retry carries all of them and the newer counts.
    w.enqueue([scored('s3', 'a', true)]);
    counts.set('a', { agentId: 'a', sourceType: 'ml_model', hits: 2, scored: 3, lastScoredAt: 3 });
    fail = false;
    await w.drain(5000);
    expect(w.pending()).toBe(0);
    expect(calls[1]).toEqual({ ids: ['s1', 's2', 's3'], stats: [{ agentId: 'a', sourceType: 'ml_model', hits: 2, scored: 3, lastScoredAt: 3 }] });
  });

  it('drain gives up at its deadline while the store keeps failing', async () => {
    const w = new StatsWriter({
      store: { saveScores: () => Promise.reject(new Error('down')) },
      statsOf: () => undefined,
      logger,
      flushMs: 1000,
    });
    w.enqueue([scored('x', 'a', true)]);
    await expect(w.drain(300)).rejects.toThrow(/not persisted/);
  });
});

describe('RecentSet', () => {
  it('remembers the newest `capacity` keys', () => {
    const s = new RecentSet(3);
    for (const k of ['a', 'b', 'c', 'a', 'd']) s.add(k);
    expect(['a', 'b', 'c', 'd'].map((k) => s.has(k))).toEqual([false, true, true, true]);
    expect(s.size).toBe(3);
  });
});

/**
 * Restart from any state (issue 10, defect 1): source_stats, aggregator_signals and
 * consensus_signals filled with values at their column limits, NULLs where allowed, and rows that
 * are storable but not valid (hits above scored, a confidence of 1e308, a malformed symbol, a
 * consensus confidence of 99.99999999). signals-aggregator restarts as a real process and becomes
 * ready; the invalid rows are quarantined (skipped, left as stored), logged, counted and in /ready.
 */
import { randomBytes } from 'node:crypto';
import { COLUMN_LIMITS, quarantineReport, restartAnyStateRig, type StoredRow } from '@cte/testkit';
import { startAggregator } from './helpers/service-process';

const { MAX_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const rig = restartAnyStateRig();
const { tag, insert } = rig;
const NOW = Date.now();

const signalRow = (over: StoredRow) => ({
  id: randomBytes(8).toString('hex'),
  agent_id: 'agent_ok',
  source_type: 'trend_follower',
  symbol: 'BTC/USDT',
  timeframe: '1m',
  side: 'BUY',
  confidence: 0.5,
  horizon_ms: 60_000,
  price: '100',
  bar_time: NOW - 120_000,
  as_of: NOW - 60_000,
  due_at: NOW,
  created_at: NOW - 60_000,
  received_at: NOW - 60_000,
  trace_id: `trace-${tag}-0001`,
  model_version: null,
  features_ref: null,
  outcome: 'pending',
  ...over,
});

it('comes up ready whatever its tables hold; invalid rows are quarantined', async () => {
  await insert('source_stats', { agent_id: 'a'.repeat(128), source_type: 's'.repeat(32), hits: Number.MAX_SAFE_INTEGER, scored: Number.MAX_SAFE_INTEGER, last_scored_at: BIGINT_MAX, updated_at: 0 });
  // BIGINT UNSIGNED holds counts a JavaScript number cannot represent exactly: not restorable.
  await insert('source_stats', { agent_id: 'beyond_2_pow_53', source_type: 'ml_model', hits: '18446744073709551615', scored: '18446744073709551615', last_scored_at: null, updated_at: 0 });
  await insert('source_stats', { agent_id: 'more_hits_than_scored', source_type: 'ml_model', hits: 5, scored: 2, last_scored_at: null, updated_at: 0 });
  await insert('source_stats', { agent_id: 'agent_ok', source_type: 'trend_follower', hits: 1, scored: 2, last_scored_at: null, updated_at: 0 });
  // Valid signals at the limits: the longest ids, the largest price, model fields at full length, an unscored HOLD.
  await insert('aggregator_signals', signalRow({ id: 'i'.repeat(128), price: MAX_MONEY, model_version: 'v'.repeat(64), features_ref: 'f'.repeat(200), trace_id: 't'.repeat(64) }));
  await insert('aggregator_signals', signalRow({ side: 'HOLD', outcome: 'unscored', confidence: 0, price: '0.000000000000000001' }));
  await insert('aggregator_signals', signalRow({ outcome: 'hit', exit_price: MAX_MONEY, scored_at: BIGINT_MAX }));
  // Storable but not valid.
  await insert('aggregator_signals', signalRow({ id: 'huge-confidence', confidence: 1e308 }));
  await insert('aggregator_signals', signalRow({ id: 'bad-symbol', symbol: 'not a symbol, 41 characters long xxxxxxx' }));
  await insert('aggregator_signals', signalRow({ id: 'bad-timeframe', timeframe: '7x' }));
  await insert('consensus_signals', { id: 'c'.repeat(36), symbol: 'BTC/USDT', side: 'BUY', confidence: '1', agreement: '0.00000001', sources: 4294967295, signal_ids: JSON.stringify(['x'.repeat(128)]), price: MAX_MONEY, ts: BIGINT_MAX, reason: 'r'.repeat(16), trace_id: 't'.repeat(64), created_at: 0 });
  await insert('consensus_signals', { id: 'bad-consensus', symbol: 'ETH/USDT', side: 'SELL', confidence: '99.99999999', agreement: '0', sources: 0, signal_ids: '{}', price: '0', ts: 0, reason: 'consensus', trace_id: 'x', created_at: 0 });

  const svc = await rig.run(startAggregator({ MYSQL_URL: rig.tdb.url, BUS_NAMESPACE: `test-agg-restart-${tag}:`, TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT' }));
  const q = await quarantineReport(svc);
  expect(q.status).toBe('ready');
  expect(q.detail).toMatch(/^6 stored rows quarantined: /);
  for (const [table, id] of [
    ['source_stats', 'more_hits_than_scored'],
    ['source_stats', 'beyond_2_pow_53'],
    ['aggregator_signals', 'huge-confidence'],
    ['aggregator_signals', 'bad-symbol'],
    ['aggregator_signals', 'bad-timeframe'],
    ['consensus_signals', 'bad-consensus'],
  ]) {
    expect(q.detail).toContain(`${table} ${id} (skipped, invalid_value`);
  }
  expect(q.counted('aggregator_signals', 'invalid_value')).toBe(3);
  expect(q.counted('source_stats')).toBe(2);
  expect(q.counted('consensus_signals')).toBe(1);
  expect(svc.logs()).toMatch(/"level":"warn".*"table":"aggregator_signals","id":"huge-confidence".*stored row quarantined/);

  // The valid rows are served; the invalid ones are left as stored.
  const headers = { 'X-TRADING-API-KEY': svc.apiKey };
  const sources = (await (await fetch(`${svc.httpUrl}/sources`, { headers })).json()) as { sources: Array<{ agent_id: string }> };
  expect(sources.sources.map((s) => s.agent_id)).toEqual(expect.arrayContaining(['a'.repeat(128), 'agent_ok']));
  expect(sources.sources.map((s) => s.agent_id)).not.toContain('more_hits_than_scored');
  // The latest consensus per symbol (the board): the valid one is restored, the quarantined one is not.
  const btc = await fetch(`${svc.httpUrl}/consensus/BTC-USDT`, { headers });
  expect(await btc.json()).toMatchObject({ id: 'c'.repeat(36), price: MAX_MONEY });
  expect((await fetch(`${svc.httpUrl}/consensus/ETH-USDT`, { headers })).status).toBe(404);
  expect(await rig.tdb.db.query(`SELECT COUNT(*) AS n FROM aggregator_signals`)).toEqual([{ n: 6 }]);
  expect(await svc.stop()).toBe(0);
}, 60_000);

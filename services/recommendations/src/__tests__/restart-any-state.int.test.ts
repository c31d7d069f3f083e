/**
 * Restart from any state (issue 10, defect 1): trade_recommendations and recommendation_events
 * filled with every status, values at their column limits, NULLs where allowed, and rows that are
 * storable but not valid (quantity 0 approved, a malformed symbol pending, submitted without an
 * order id, a submit count at the column's limit). recommendations restarts as a real process
 * and becomes ready; its sweeper (the outbox that re-drives stored rows) keeps going past rows it
 * cannot drive, quarantining each once (warn log, metric, /ready detail).
 */
import { randomUUID } from 'node:crypto';
import { COLUMN_LIMITS, insertRow, quarantineReport, waitFor, type StoredRow } from '@cte/testkit';
import { Harness } from './helpers/harness';

const { MAX_MONEY, MIN_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const h = new Harness({ REC_TTL_MS: '3600000' });

beforeAll(async () => {
  await h.setUp();
}, 60_000);
afterAll(() => h.tearDown());

const insert = (table: string, row: StoredRow): Promise<void> => insertRow(h.tdb.db, table, row);

const rec = (over: StoredRow): StoredRow => ({
  id: randomUUID(),
  symbol: 'BTC/USD',
  side: 'buy',
  status: 'pending',
  source: 'manual',
  qty: '1',
  reasons: '[]',
  trace_id: `trace-${h.tag}-restart`,
  created_at: Date.now(),
  updated_at: Date.now(),
  ...over,
});

it('comes up ready and stays ready whatever trade_recommendations holds', async () => {
  expect(await h.svc.stop()).toBe(0);
  const now = Date.now();
  const statuses = ['pending', 'approved', 'resized', 'rejected', 'submitted', 'filled', 'partially_filled', 'failed', 'expired'];
  // Every status with every nullable column at its limit (or NULL), the largest and smallest amounts.
  for (const [i, status] of statuses.entries()) {
    await insert('trade_recommendations', rec({
      id: `max-${status}`,
      status,
      symbol: 'ETH/USD',
      side: i % 2 === 0 ? 'buy' : 'sell',
      source: (['consensus', 'rebalance', 'manual'] as const)[i % 3]!,
      consensus_id: i % 3 === 0 ? 'c'.repeat(120) + String(i) : null,
      consensus_ts: i % 3 === 0 ? BIGINT_MAX : null,
      idempotency_key: i % 3 === 0 ? null : 'k'.repeat(120) + String(i),
      confidence: MIN_MONEY,
      hit_rate: '1',
      calibration: 'c'.repeat(16),
      win_probability: MAX_MONEY,
      payoff_ratio: MAX_MONEY,
      kelly_fraction: `-${MAX_MONEY}`,
      fraction: MIN_MONEY,
      equity: MAX_MONEY,
      qty: i % 2 === 0 ? MAX_MONEY : MIN_MONEY,
      approved_qty: status === 'pending' ? null : MIN_MONEY,
      price: MAX_MONEY,
      notional: MAX_MONEY,
      atr: MIN_MONEY,
      stop_loss: MIN_MONEY,
      take_profit: MAX_MONEY,
      client_order_id: ['pending', 'rejected'].includes(status) ? null : `rec-${'o'.repeat(56)}${i}`,
      order_id: ['submitted', 'filled', 'partially_filled'].includes(status) ? 'x'.repeat(63) + String(i) : null,
      order_status: 's'.repeat(20),
      filled_qty: MAX_MONEY,
      avg_fill_price: MIN_MONEY,
      risk_event_id: 'e'.repeat(64),
      reasons: JSON.stringify(['r'.repeat(1000)]),
      note: 'n'.repeat(500),
      submit_attempts: 4294967295,
      trace_id: 't'.repeat(128),
      created_at: now - 60_000,
      updated_at: 0,
      checked_at: null,
    }));
  }
  // Storable, not valid.
  await insert('trade_recommendations', rec({ id: 'approved-zero-qty', status: 'approved', qty: '0', approved_qty: '0', client_order_id: 'rec-approved-zero-qty', updated_at: 0 }));
  await insert('trade_recommendations', rec({ id: 'pending-bad-symbol', symbol: 'not a symbol', updated_at: 0 }));
  await insert('trade_recommendations', rec({ id: 'submitted-no-order', status: 'submitted', client_order_id: 'rec-submitted-no-order', order_id: null, updated_at: 0 }));
  await insert('recommendation_events', { recommendation_id: 'no-such-recommendation', from_status: null, to_status: 'x'.repeat(20), reason: 'r'.repeat(500), ts: BIGINT_MAX });

  await h.startService();
  expect((await quarantineReport(h.svc)).status).toBe('ready');
  // The sweeper (every 100 ms) has gone over every row several times; the process is still ready and serves them all.
  await new Promise((r) => setTimeout(r, 1500));
  expect(h.svc.child.exitCode).toBeNull();
  expect((await quarantineReport(h.svc)).status).toBe('ready');
  const listed = (await h.json('/recommendations?limit=1000')) as { recommendations: Array<{ id: string }> };
  expect(listed.recommendations.map((r) => r.id)).toEqual(expect.arrayContaining(['approved-zero-qty', 'pending-bad-symbol', 'submitted-no-order']));
  for (const id of ['approved-zero-qty', 'pending-bad-symbol', 'submitted-no-order']) {
    expect(await h.json(`/recommendations/${id}`)).toMatchObject({ id });
  }
  // Rows the flow cannot drive (here: submit_attempts at the UNSIGNED INT limit cannot be counted up)
  // are quarantined once — warn log, metric, /ready detail — and no pass of the sweeper fails on them.
  const q = await waitFor('quarantined recommendations', async () => {
    const r = await quarantineReport(h.svc);
    return r.detail?.includes('trade_recommendations max-resized') === true && r;
  });
  expect(q.detail).toContain('trade_recommendations max-approved (skipped');
  expect(q.counted('trade_recommendations')).toBeGreaterThanOrEqual(2);
  expect(h.svc.logs()).not.toContain('sweep failed');
  expect(h.svc.logs()).toMatch(/"level":"warn".*"table":"trade_recommendations","id":"max-approved".*stored row quarantined/);
  expect(await h.svc.stop()).toBe(0);
}, 60_000);

/**
 * Restart from any state (issue 10, defect 1): orders, trades, execution_outbox and
 * execution_trading_state filled with values at their column limits, NULLs where allowed, and
 * open orders that are storable but not valid orders (quantity 0, a limit order without a price,
 * more filled than ordered, SUBMITTED without a venue id, a malformed symbol). execution restarts
 * as a real process (risk unreachable: the stored trading state stands) and becomes ready; the
 * invalid open orders are quarantined (marked FAILED, reason 'quarantined'), logged, counted, in /ready.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { COLUMN_LIMITS, freePort, quarantineReport, restartAnyStateRig, startService, type StoredRow } from '@cte/testkit';

const { MAX_MONEY, MIN_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const rig = restartAnyStateRig();
const { tag, insert } = rig;
const API_KEY = `exec-restart-key-${tag}-0123456789`;

const order = (over: StoredRow): StoredRow => ({
  id: randomUUID(),
  client_order_id: `c-${randomBytes(6).toString('hex')}`,
  venue: 'mock',
  venue_order_id: `v-${randomBytes(6).toString('hex')}`,
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'market',
  qty: '1',
  limit_price: null,
  status: 'SUBMITTED',
  filled_qty: '0',
  avg_fill_price: null,
  fees: '0',
  fee_currency: 'USDT',
  reason: '',
  recommendation_id: '',
  trace_id: `trace-${tag}`,
  created_at: 0,
  updated_at: 0,
  ...over,
});

it('comes up ready whatever its tables hold; invalid open orders are quarantined', async () => {
  // Open orders valid at the column limits.
  await insert('orders', order({ id: 'limit-max', client_order_id: 'k'.repeat(128), venue: 'v'.repeat(32), venue_order_id: 'o'.repeat(128), type: 'limit', qty: MAX_MONEY, limit_price: MIN_MONEY, filled_qty: MIN_MONEY, avg_fill_price: MAX_MONEY, fees: MAX_MONEY, fee_currency: 'F'.repeat(20), reason: 'r'.repeat(64), recommendation_id: 'i'.repeat(128), trace_id: 't'.repeat(64), created_at: BIGINT_MAX, updated_at: BIGINT_MAX }));
  await insert('orders', order({ id: 'new-min', status: 'NEW', venue_order_id: null, qty: MIN_MONEY, side: 'sell' }));
  // Storable, not valid.
  await insert('orders', order({ id: 'zero-qty', qty: '0' }));
  await insert('orders', order({ id: 'limit-without-price', type: 'limit', limit_price: null }));
  await insert('orders', order({ id: 'overfilled', status: 'PARTIALLY_FILLED', qty: '1', filled_qty: '2' }));
  await insert('orders', order({ id: 'submitted-without-venue-id', venue_order_id: null }));
  await insert('orders', order({ id: 'bad-symbol', symbol: 'x'.repeat(41) }));
  // Closed orders, trades and outbox rows at the limits are not read at start, but must not matter.
  await insert('orders', order({ id: 'filled', status: 'FILLED', qty: MAX_MONEY, filled_qty: MAX_MONEY }));
  await insert('trades', { id: randomUUID(), order_id: 'filled', client_order_id: 'k'.repeat(128), venue: 'mock', venue_trade_id: 'x'.repeat(128), symbol: 'BTC/USDT', side: 'buy', qty: MAX_MONEY, price: MIN_MONEY, fee: '0', fee_currency: 'USDT', liquidity: 'taker', ts: BIGINT_MAX, trace_id: 't'.repeat(64), created_at: 0 });
  await insert('execution_outbox', { fill_id: 'sent', payload: '{}', trace_id: 't'.repeat(64), created_at: 0, sent_at: 1, attempts: 4294967295 });
  await insert('execution_trading_state', { id: 1, state: 'REDUCING', reason: 'r'.repeat(256), updated_at: BIGINT_MAX, updated_by: 'u'.repeat(64), source: 's'.repeat(16), recorded_at: 0 });

  let svc = await rig.run(startService('execution', {
    apiKey: API_KEY,
    env: {
      MYSQL_URL: rig.tdb.url,
      BUS_NAMESPACE: `test-exec-restart-${tag}:`,
      RISK_GRPC_ADDR: `127.0.0.1:${await freePort()}`,
      TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT',
      OUTBOX_POLL_MS: '60000',
    },
  }));
  const q = await quarantineReport(svc);
  expect(q.status).toBe('ready');
  const bad = ['zero-qty', 'limit-without-price', 'overfilled', 'submitted-without-venue-id', 'bad-symbol'];
  expect(q.detail).toMatch(new RegExp(`^${bad.length} stored rows quarantined: `));
  for (const id of bad) expect(q.detail).toContain(`orders ${id} (deactivated, invalid_value`);
  expect(q.counted('orders', 'invalid_value')).toBe(bad.length);
  expect(svc.logs()).toMatch(/"level":"warn".*"table":"orders","id":"zero-qty".*stored row quarantined/);

  const statuses = Object.fromEntries(
    (await rig.tdb.db.query<{ id: string; status: string; reason: string }>('SELECT id, status, reason FROM orders')).map((r) => [r.id, `${r.status}:${r.reason}`]),
  );
  for (const id of bad) expect(statuses[id]).toBe('FAILED:quarantined');
  // The valid open orders were reconciled normally (the mock venue does not know them after a restart).
  expect(statuses['new-min']).toBe('FAILED:not_submitted_before_restart');
  expect(statuses['filled']).toBe('FILLED:');
  const state = (await (await fetch(`${svc.httpUrl}/trading-state`, { headers: { 'X-TRADING-API-KEY': API_KEY } })).json()) as Record<string, unknown>;
  expect(state).toMatchObject({ state: 'REDUCING' });
  expect(await svc.stop()).toBe(0);

  // The next start meets nothing to quarantine.
  svc = await rig.run(startService('execution', { apiKey: API_KEY, env: { MYSQL_URL: rig.tdb.url, BUS_NAMESPACE: `test-exec-restart-${tag}:`, RISK_GRPC_ADDR: `127.0.0.1:${await freePort()}`, TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT' } }));
  expect((await quarantineReport(svc)).detail).toBeUndefined();
  expect(await svc.stop()).toBe(0);
}, 90_000);

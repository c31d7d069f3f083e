/**
 * Restart from any state (issue 10, defect 1): risk_limits, trading_state and risk_events filled
 * with values at their column limits, NULLs where allowed, and rows that are storable but not
 * valid to risk (a negative limit, an unknown limit, min above max notional, a final decision
 * without a decision). risk restarts as a real process and becomes ready; the invalid rows are
 * quarantined (skipped: those limits follow the environment), logged, counted and in /ready.
 */
import { randomBytes } from 'node:crypto';
import { COLUMN_LIMITS, quarantineReport, restartAnyStateRig, startService, type RunningService, type StoredRow } from '@cte/testkit';
import { startPortfolioDouble, type PortfolioDouble } from './helpers/portfolio-double';

const { MAX_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const rig = restartAnyStateRig();
const { tag, insert } = rig;
const API_KEY = `risk-restart-key-${tag}-0123456789`;

let portfolio: PortfolioDouble;

beforeAll(async () => {
  portfolio = await startPortfolioDouble(API_KEY);
}, 30_000);

afterAll(async () => {
  await portfolio?.stop();
});

const start = (): Promise<RunningService> =>
  rig.run(
    startService('risk', {
      apiKey: API_KEY,
      readyLog: 'risk ready',
      env: {
        MYSQL_URL: rig.tdb.url,
        BUS_NAMESPACE: `test-risk-restart-${tag}:`,
        PORTFOLIO_GRPC_ADDR: portfolio.address,
        STATE_BROADCAST_MS: '0',
        TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT',
      },
    }),
  );
const api = async (s: RunningService, p: string) => (await fetch(`${s.httpUrl}${p}`, { headers: { 'X-TRADING-API-KEY': API_KEY } })).json() as Promise<Record<string, unknown>>;

const insertEvent = (o: StoredRow): Promise<void> =>
  insert('risk_events', { id: randomBytes(8).toString('hex'), kind: 'check', final: 1, reasons: '[]', trading_state: 'ACTIVE', ts: 0, created_at: 0, ...o });

it('comes up ready whatever risk_limits, trading_state and risk_events hold; invalid rows are quarantined', async () => {
  await rig.tdb.db.execute(
    `INSERT INTO risk_limits (name, value, updated_at, updated_by) VALUES
      ('max_position_pct', '"-4"', 0, 'x'),
      (?, '1', 0, ?),
      ('max_trades_per_day', '{"deep": [[[1]]]}', 9223372036854775807, 'x'),
      ('min_order_notional', '"500"', 0, 'x'),
      ('max_order_notional', '"100"', 0, 'x'),
      ('max_drawdown_pct', '"99.999999999999999999"', 0, 'x'),
      ('allowed_symbols', '["BTC/USDT", "ETH/USDT"]', 0, 'x')`,
    [`not_a_limit_${'x'.repeat(52)}`, 'u'.repeat(64)],
  );
  await rig.tdb.db.execute(`INSERT INTO trading_state (id, state, reason, updated_at, updated_by) VALUES (1, 'HALTED', ?, 9223372036854775807, ?)`, ['r'.repeat(1000), 'o'.repeat(64)]);
  // Decisions at the column limits, NULLs where allowed, and one final check without a decision.
  await insertEvent({ recommendation_id: 'r'.repeat(128), symbol: 'S'.repeat(41), side: 'buy', decision: 'APPROVED', requested_qty: MAX_MONEY, approved_qty: '0.000000000000000001', price: MAX_MONEY, equity: `-${MAX_MONEY}`, reduces_position: 1, trace_id: 't'.repeat(64), ts: BIGINT_MAX, day: 2147483647, created_at: BIGINT_MAX, message: 'm'.repeat(1000), updated_by: 'u'.repeat(64), reasons: JSON.stringify(['x'.repeat(1000)]) });
  await insertEvent({ id: 'no-decision', recommendation_id: 'rec-without-decision', decision: null });
  await insertEvent({ kind: 'trading_state', recommendation_id: null, trading_state: 'REDUCING', previous_state: 'HALTED', day: -2147483648 });
  await insertEvent({ kind: 'limits', recommendation_id: null, final: 0, trading_state: 'ACTIVE' });

  const s = await start();
  const q = await quarantineReport(s);
  expect(q.status).toBe('ready');
  expect(q.detail).toMatch(/^6 stored rows quarantined: /);
  for (const id of ['max_position_pct', 'not_a_limit_xxx', 'max_trades_per_day', 'min_order_notional', 'max_order_notional']) {
    expect(q.detail).toContain(`risk_limits ${id}`);
  }
  expect(q.detail).toContain('risk_events no-decision (skipped');
  expect(q.counted('risk_limits', 'invalid_value')).toBe(5);
  expect(q.counted('risk_events')).toBe(1);
  expect(s.logs()).toMatch(/"level":"warn".*"table":"risk_limits","id":"max_position_pct".*stored row quarantined/);

  // Quarantined limits follow the environment; valid stored ones (at their limits) still apply.
  const limits = await api(s, '/limits');
  expect(limits).toMatchObject({
    max_position_pct: '5',
    max_trades_per_day: '100',
    min_order_notional: '10',
    max_order_notional: '50000',
    max_drawdown_pct: '99.999999999999999999',
    allowed_symbols: ['BTC/USDT', 'ETH/USDT'],
    source: { max_position_pct: 'env', max_drawdown_pct: 'db', allowed_symbols: 'db' },
  });
  // The stored kill switch survives whatever else is stored.
  expect(await api(s, '/trading-state')).toMatchObject({ state: 'HALTED', updated_by: 'o'.repeat(64) });
  // Rows were skipped, not changed.
  expect(await rig.tdb.db.query(`SELECT CAST(value AS CHAR) AS v FROM risk_limits WHERE name = 'max_position_pct'`)).toEqual([{ v: '"-4"' }]);
  expect(await s.stop()).toBe(0);
}, 60_000);

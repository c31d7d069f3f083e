/**
 * Restart from any state (issue 10, defect 1): agents, agent_tasks, agent_logs and ml_signals
 * filled with values at their column limits, NULLs where allowed, and rows that are storable but
 * not valid (a running agent whose config no longer validates, of an unknown type, for a symbol
 * that is not tradable; queued tasks with timeout 0, no attempts, a priority out of range). signal-generator restarts as a real process and becomes ready; invalid running agents
 * are set to error and invalid tasks cancelled (quarantined), logged, counted and in /ready.
 */
import path from 'node:path';
import { COLUMN_LIMITS, freePort, quarantineReport, restartAnyStateRig, startService, type StoredRow } from '@cte/testkit';

const MODEL_DIR = path.resolve(__dirname, '..', '..', 'models');
const { MAX_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const rig = restartAnyStateRig();
const { tag, insert } = rig;
const VALID_CONFIG = JSON.stringify({ leverage: 5, horizon_ms: 14_400_000, adx_min: 20, di_confirm: true });

const agent = (id: string, over: StoredRow = {}): StoredRow => ({
  id,
  name: `${id}_${'n'.repeat(40)}`.slice(0, 64),
  type: 'trend_follower',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  config: VALID_CONFIG,
  status: 'running',
  created_at: 0,
  updated_at: 0,
  version: 1,
  ...over,
});

const task = (id: string, over: StoredRow = {}): StoredRow => ({
  id,
  agent_id: 'valid-running',
  status: 'queued',
  priority: 5,
  parameters: '{}',
  attempts: 0,
  max_attempts: 3,
  timeout_ms: 1000,
  queued_at: 0,
  next_attempt_at: BIGINT_MAX,
  ...over,
});

it('comes up ready whatever its tables hold; invalid agents and tasks are quarantined', async () => {
  await insert('agents', agent('valid-running', { name: 'a'.repeat(64), version: 4294967295, created_at: BIGINT_MAX, updated_at: BIGINT_MAX }));
  await insert('agents', agent('valid-stopped', { status: 'stopped', config: '{"nonsense": [[[[1]]]]}' }));
  await insert('agents', agent('bad-config', { config: '{"leverage": 99}' }));
  await insert('agents', agent('bad-type', { type: 't'.repeat(32) }));
  await insert('agents', agent('untradable', { symbol: 'FOO/BAR' }));
  await insert('agents', agent('bad-timeframe', { timeframe: '9y' }));
  await insert('agents', agent('error-agent', { status: 'error', config: '[]' }));

  // Waits until next_attempt_at (far future): valid at the limits, so never run here.
  await insert('agent_tasks', task('valid-task', { priority: 10, parameters: JSON.stringify({ k: 'v'.repeat(1000) }), max_attempts: 20, timeout_ms: 3_600_000 }));
  await insert('agent_tasks', task('zero-timeout', { timeout_ms: 0 }));
  await insert('agent_tasks', task('no-attempts', { max_attempts: 0 }));
  // The repository reads parameters that are not an object as {} (restored, not quarantined).
  await insert('agent_tasks', task('array-parameters', { parameters: '[1, 2]' }));
  await insert('agent_tasks', task('huge-priority', { priority: 2147483647 }));
  await insert('agent_tasks', task('done', { status: 'succeeded', result: '{}', error: 'e'.repeat(2048), attempts: 4294967295, started_at: 0, finished_at: BIGINT_MAX }));
  await insert('agent_logs', { agent_id: 'a'.repeat(36), level: 'error', message: 'm'.repeat(1024), data: JSON.stringify({ x: 'y'.repeat(10_000) }), ts: BIGINT_MAX });
  await insert('ml_signals', { id: 'i'.repeat(128), agent_id: 'a'.repeat(128), source_type: 's'.repeat(32), symbol: 'S'.repeat(32), timeframe: '1h', side: 'HOLD', confidence: '99.99999999', horizon_ms: BIGINT_MAX, price: MAX_MONEY, model_version: null, features_ref: 'f'.repeat(200), bar_time: BIGINT_MAX, created_at: 0, trace_id: 't'.repeat(64) });

  let svc = await rig.run(startService('signal-generator', {
    readyLog: 'signal-generator ready',
    env: {
      MYSQL_URL: rig.tdb.url,
      BUS_NAMESPACE: `test-sg-restart-${tag}:`,
      MODEL_DIR,
      PRICE_STREAM_GRPC_ADDR: `127.0.0.1:${await freePort()}`,
      TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT',
      SIGNAL_TIMEFRAMES: '1h',
    },
  }));
  const q = await quarantineReport(svc);
  expect(q.status).toBe('ready');
  const badAgents = ['bad-config', 'bad-type', 'untradable', 'bad-timeframe'];
  const badTasks = ['zero-timeout', 'no-attempts', 'huge-priority'];
  expect(q.detail).toMatch(new RegExp(`^${badAgents.length + badTasks.length} stored rows quarantined: `));
  for (const id of badAgents) expect(q.detail).toContain(`agents ${id} (deactivated, invalid_value`);
  for (const id of badTasks) expect(q.detail).toContain(`agent_tasks ${id} (deactivated, invalid_value`);
  expect(q.counted('agents', 'invalid_value')).toBe(badAgents.length);
  expect(q.counted('agent_tasks', 'invalid_value')).toBe(badTasks.length);
  expect(svc.logs()).toMatch(/"level":"warn".*"table":"agents","id":"bad-config".*stored row quarantined/);

  const agents = Object.fromEntries((await rig.tdb.db.query<{ id: string; status: string }>('SELECT id, status FROM agents')).map((r) => [r.id, r.status]));
  expect(agents).toMatchObject({ 'valid-running': 'running', 'valid-stopped': 'stopped', 'error-agent': 'error' });
  for (const id of badAgents) expect(agents[id]).toBe('error');
  const tasks = Object.fromEntries((await rig.tdb.db.query<{ id: string; status: string }>('SELECT id, status FROM agent_tasks')).map((r) => [r.id, r.status]));
  expect(tasks).toMatchObject({ 'valid-task': 'queued', 'array-parameters': 'queued', done: 'succeeded' });
  for (const id of badTasks) expect(tasks[id]).toBe('cancelled');
  expect(await svc.stop()).toBe(0);

  // Quarantined rows were deactivated: the next start meets nothing to quarantine.
  svc = await rig.run(startService('signal-generator', {
    readyLog: 'signal-generator ready',
    env: { MYSQL_URL: rig.tdb.url, BUS_NAMESPACE: `test-sg-restart-${tag}:`, MODEL_DIR, PRICE_STREAM_GRPC_ADDR: `127.0.0.1:${await freePort()}`, TRADABLE_SYMBOLS: 'BTC/USDT,ETH/USDT', SIGNAL_TIMEFRAMES: '1h' },
  }));
  expect((await quarantineReport(svc)).detail).toBeUndefined();
  expect(await svc.stop()).toBe(0);
}, 90_000);

/**
 * The agent and task REST routes on the kit's HTTP app (port 0, real fetch),
 * backed by real MariaDB: status codes 201/200/202/400/401/404/409 and bodies.
 */
import { createHttpApp, createLogger, createMetrics, Readiness, TradableSymbols, type HttpServerHandle } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { agentRoutes, taskRoutes } from '../adapters/agent-http';
import { AgentRepository } from '../adapters/agent-repository';
import { TaskRepository } from '../adapters/task-repository';
import { AgentRuntime } from '../agents/agent-runtime';
import { AgentService } from '../agents/agent-service';
import { TaskEngine } from '../tasks/task-engine';

const KEY = 'agents-http-test-key-0123456789';
const logger = createLogger({ service: 'test', level: 'silent' });
let tdb: TestDatabase;
let handle: HttpServerHandle;
let tasks: TaskEngine;
let base: string;
const runtime = new AgentRuntime();

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  const agents = new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'ETH/USDT'], 'test'), logger, runtime });
  tasks = new TaskEngine({
    store: new TaskRepository(tdb.db),
    agents,
    logger,
    config: { concurrency: 1, backoffMs: 10 },
    executor: async (agent, params, signal) => {
      if (params.hang) {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      return { agent: agent.name, side: 'HOLD', params };
    },
  });
  const registry = createMetrics('signal-generator');
  const http = createHttpApp({ service: 'signal-generator', version: 'test', apiKey: KEY, logger, registry, readiness: new Readiness() });
  http.router.use(agentRoutes(agents));
  http.router.use(taskRoutes(tasks));
  handle = await http.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${handle.port}`;
});
afterAll(async () => {
  await tasks?.close(0);
  await handle?.close(0);
  await tdb?.drop();
});

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string } };
  headers: Headers;
}

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, key: string | null = KEY): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (key !== null) headers['x-trading-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Reply<T>['body'], headers: res.headers };
}

const seed = { name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', config: { leverage: 5 } };
interface AgentBody {
  id: string;
  name: string;
  type: string;
  status: string;
  version: number;
  config: Record<string, unknown>;
}

describe('agents', () => {
  let id: string;

  it('POST /agents → 201 with the stored agent and a Location; 401 without the key', async () => {
    expect((await call('POST', '/agents', seed, null)).status).toBe(401);
    const r = await call<AgentBody>('POST', '/agents', seed);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', status: 'stopped', version: 1 });
    expect(r.body.config).toEqual({ leverage: 5, horizon_ms: 14_400_000, adx_min: 20, di_confirm: true });
    expect(r.headers.get('location')).toBe(`/agents/${r.body.id}`);
    id = r.body.id;
  });

  it.each([
    ['a bad type', { ...seed, name: 'x1', type: 'martingale' }, /agent type/],
    ['a bad symbol', { ...seed, name: 'x2', symbol: 'BTCUSDT' }, /symbol/],
    ['a well-formed but unknown symbol', { ...seed, name: 'x2b', symbol: 'FOO/BAR' }, /unknown symbol FOO\/BAR: tradable symbols are BTC\/USDT, ETH\/USDT/],
    ['a bad timeframe', { ...seed, name: 'x3', timeframe: '7m' }, /timeframe/],
    ['leverage out of 1..10', { ...seed, name: 'x4', config: { leverage: 20 } }, /leverage/],
    ['a threshold out of (0.5, 1)', { ...seed, name: 'x5', type: 'ml_model', config: { threshold: 0.3 } }, /threshold/],
    ['an unknown config key', { ...seed, name: 'x6', config: { levrage: 2 } }, /levrage/],
    ['a bad name', { ...seed, name: 'no spaces please' }, /name/],
  ])('POST /agents with %s → 400', async (_what, body, message) => {
    const r = await call('POST', '/agents', body);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('INVALID_ARGUMENT');
    expect(r.body.error?.message).toMatch(message);
  });

  it('POST /agents with a taken name → 409; a non-JSON body → 400', async () => {
    const r = await call('POST', '/agents', { ...seed, type: 'breakout' });
    expect(r.status).toBe(409);
    expect(r.body.error?.message).toMatch(/already exists/);
    const res = await fetch(`${base}/agents`, { method: 'POST', headers: { 'x-trading-api-key': KEY, 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
  });

  it('GET /agents/:id → 200; unknown → 404', async () => {
    const r = await call<AgentBody>('GET', `/agents/${id}`);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(id);
    const missing = await call('GET', '/agents/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('NOT_FOUND');
  });

  it('GET /agents filters by type and status, paginates, and returns the total', async () => {
    await call('POST', '/agents', { name: 'eth_breakout', type: 'breakout', symbol: 'ETH-USDT', timeframe: '4h' });
    await call('POST', '/agents', { name: 'eth_mr', type: 'mean_reversion', symbol: 'ETH-USDT', timeframe: '15m' });
    const all = await call<{ agents: AgentBody[]; total: number }>('GET', '/agents');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    const byType = await call<{ agents: AgentBody[]; total: number }>('GET', '/agents?type=breakout');
    expect(byType.body.agents.map((a) => a.name)).toEqual(['eth_breakout']);
    expect(byType.body.total).toBe(1);
    const page = await call<{ agents: AgentBody[]; total: number }>('GET', '/agents?limit=1&offset=1');
    expect(page.body.agents.map((a) => a.name)).toEqual(['eth_breakout']);
    expect(page.body.total).toBe(3);
    expect((await call('GET', '/agents?status=sleeping')).status).toBe(400);
    expect((await call('GET', '/agents?limit=0')).status).toBe(400);
  });

  it('start/stop → 200, persisted and reflected in the status filter and the runtime', async () => {
    const started = await call<AgentBody>('POST', `/agents/${id}/start`);
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('running');
    expect(runtime.has(id)).toBe(true);
    const running = await call<{ agents: AgentBody[]; total: number }>('GET', '/agents?status=running');
    expect(running.body.agents.map((a) => a.id)).toEqual([id]);
    expect((await call('POST', '/agents/00000000-0000-4000-8000-000000000000/start')).status).toBe(404);
  });

  it('PATCH → 200 merged; 409 for a running agent’s type change or a stale version; 400 bad config; 404 unknown', async () => {
    const ok = await call<AgentBody>('PATCH', `/agents/${id}`, { config: { adx_min: 28 } });
    expect(ok.status).toBe(200);
    expect(ok.body.config).toMatchObject({ leverage: 5, adx_min: 28 });
    const typeChange = await call('PATCH', `/agents/${id}`, { type: 'breakout' });
    expect(typeChange.status).toBe(409);
    expect(typeChange.body.error?.message).toMatch(/stop it before changing its type/);
    expect((await call('PATCH', `/agents/${id}`, { version: 1, config: { leverage: 2 } })).status).toBe(409);
    expect((await call('PATCH', `/agents/${id}`, { name: 'eth_mr' })).status).toBe(409);
    expect((await call('PATCH', `/agents/${id}`, { config: { leverage: 0 } })).status).toBe(400);
    expect((await call('PATCH', '/agents/00000000-0000-4000-8000-000000000000', { name: 'z' })).status).toBe(404);

    const stopped = await call<AgentBody>('POST', `/agents/${id}/stop`);
    expect(stopped.body.status).toBe('stopped');
    expect(runtime.has(id)).toBe(false);
    const retyped = await call<AgentBody>('PATCH', `/agents/${id}`, { type: 'breakout' });
    expect(retyped.status).toBe(200);
    expect(retyped.body).toMatchObject({ type: 'breakout', config: { leverage: 5, buffer_pct: 0 } });
  });

  it('GET /agents/:id/logs → newest first, level filter, pagination with total; 404 unknown; 400 bad level', async () => {
    const r = await call<{ logs: Array<{ message: string; level: string }>; total: number }>('GET', `/agents/${id}/logs?limit=2`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(5); // created, started, updated, stopped, updated
    expect(r.body.logs.map((l) => l.message)).toEqual(['agent updated: type, config', 'agent stopped']);
    const rest = await call<{ logs: Array<{ message: string }>; total: number }>('GET', `/agents/${id}/logs?limit=2&offset=2`);
    expect(rest.body.logs.map((l) => l.message)).toEqual(['agent updated: config', 'agent started']);
    const warns = await call<{ logs: unknown[]; total: number }>('GET', `/agents/${id}/logs?level=warn`);
    expect(warns.body).toEqual({ logs: [], total: 0 });
    expect((await call('GET', `/agents/${id}/logs?level=loud`)).status).toBe(400);
    expect((await call('GET', '/agents/00000000-0000-4000-8000-000000000000/logs')).status).toBe(404);
  });

  it('DELETE /agents/:id → 200 with the agent, then 404', async () => {
    const victim = await call<AgentBody>('POST', '/agents', { ...seed, name: 'short_lived' });
    const del = await call<AgentBody>('DELETE', `/agents/${victim.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body.name).toBe('short_lived');
    expect((await call('GET', `/agents/${victim.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `/agents/${victim.body.id}`)).status).toBe(404);
  });
});

describe('tasks', () => {
  let agentId: string;
  beforeAll(async () => {
    agentId = (await call<AgentBody>('POST', '/agents', { ...seed, name: 'task_runner' })).body.id;
  });

  async function until(id: string, status: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 500; i++) {
      const r = await call(`GET`, `/tasks/${id}`);
      if (r.body.status === status) return r.body;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`task ${id} never became ${status}`);
  }

  it('POST /agents/:id/execute → 202 {taskId}; GET /tasks/:id shows the result, attempts and timings', async () => {
    const r = await call<{ taskId: string }>('POST', `/agents/${agentId}/execute`, { parameters: { lookback: 3 }, priority: 6, timeout_ms: 5000, max_attempts: 2 });
    expect(r.status).toBe(202);
    expect(r.body.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('location')).toBe(`/tasks/${r.body.taskId}`);
    const t = await until(r.body.taskId, 'succeeded');
    expect(t).toMatchObject({ agent_id: agentId, priority: 6, attempts: 1, max_attempts: 2, timeout_ms: 5000, result: { agent: 'task_runner', side: 'HOLD', params: { lookback: 3 } }, error: null });
    for (const k of ['queued_at', 'started_at', 'finished_at', 'duration_ms']) expect(typeof t[k]).toBe('number');
  });

  it('execute: 400 bad body, 404 unknown agent; GET /tasks: 404 unknown', async () => {
    expect((await call('POST', `/agents/${agentId}/execute`, { priority: 42 })).status).toBe(400);
    expect((await call('POST', `/agents/${agentId}/execute`, { parameters: 'x' })).status).toBe(400);
    expect((await call('POST', '/agents/00000000-0000-4000-8000-000000000000/execute', {})).status).toBe(404);
    expect((await call('GET', '/tasks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('hostile input (issue 10): a value nested 45,000 deep is a 400 naming the field on every write route, not a 500', async () => {
    const deep = `${'['.repeat(45_000)}0${']'.repeat(45_000)}`;
    const routes: Array<[string, string, string, string]> = [
      ['POST', '/agents', `{"name":"deep_agent","type":"breakout","symbol":"BTC/USDT","timeframe":"1h","config":{"x":${deep}}}`, 'config'],
      ['PATCH', `/agents/${agentId}`, `{"config":{"x":${deep}}}`, 'config'],
      ['POST', `/agents/${agentId}/execute`, `{"parameters":{"x":${deep}}}`, 'parameters'],
    ];
    for (const [method, path, body, field] of routes) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'x-trading-api-key': KEY, 'content-type': 'application/json' }, body });
      expect([method, path, res.status]).toEqual([method, path, 400]);
      expect(((await res.json()) as { error: unknown }).error).toEqual({
        code: 'INVALID_ARGUMENT',
        message: `${field} is nested deeper than 32 levels`,
        details: { field, max_depth: 32 },
      });
    }
    const listed = (await call<{ agents: AgentBody[] }>('GET', '/agents?limit=100')).body.agents;
    expect(listed.map((a) => a.name)).not.toContain('deep_agent');
    const big = await call('POST', '/agents', { ...seed, name: 'n'.repeat(90_000) });
    expect([big.status, big.body.error?.code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(big.body.error?.message.length).toBeLessThanOrEqual(512);
  });

  it('POST /tasks/:id/cancel aborts a running task; DELETE cancels a queued one; a finished task → 409', async () => {
    const running = await call<{ taskId: string }>('POST', `/agents/${agentId}/execute`, { parameters: { hang: true } });
    await until(running.body.taskId, 'running');
    const queued = await call<{ taskId: string }>('POST', `/agents/${agentId}/execute`, {});
    const del = await call('DELETE', `/tasks/${queued.body.taskId}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ status: 'cancelled', attempts: 0 });
    const cancel = await call('POST', `/tasks/${running.body.taskId}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', attempts: 1 });
    const again = await call('POST', `/tasks/${running.body.taskId}/cancel`);
    expect(again.status).toBe(200);

    const done = await call<{ taskId: string }>('POST', `/agents/${agentId}/execute`, {});
    await until(done.body.taskId, 'succeeded');
    const late = await call('POST', `/tasks/${done.body.taskId}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('FAILED_PRECONDITION');
  });
});

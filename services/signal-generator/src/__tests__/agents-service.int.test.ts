/** AgentService + AgentRepository against a real, throw-away MariaDB database. */
import { ConflictError, createLogger, createMetrics, InvalidArgumentError, NotFoundError, Quarantine, Readiness, TradableSymbols } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { AgentRepository } from '../adapters/agent-repository';
import { AgentRuntime } from '../agents/agent-runtime';
import { AgentService } from '../agents/agent-service';

const logger = createLogger({ service: 'test', level: 'silent' });
const newQuarantine = () => new Quarantine({ logger, registry: createMetrics('test'), readiness: new Readiness() });
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await tdb.db.execute('DELETE FROM agents');
  await tdb.db.execute('DELETE FROM agent_logs');
});

function makeService(runtime = new AgentRuntime()): { service: AgentService; runtime: AgentRuntime } {
  return { service: new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'ETH/USDT'], 'test'), logger, runtime }), runtime };
}

const seed = { name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', config: { leverage: 5 } };

async function storedStatus(id: string): Promise<{ status: string; version: number } | undefined> {
  const rows = await tdb.db.query<{ status: string; version: number }>('SELECT status, version FROM agents WHERE id = ?', [id]);
  return rows[0];
}

describe('create, get, list', () => {
  it('creates the seed agent with a UUID, stopped, version 1, and logs it', async () => {
    const { service } = makeService();
    const a = await service.create(seed);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).toMatchObject({ name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', status: 'stopped', version: 1 });
    expect(a.config).toEqual({ leverage: 5, horizon_ms: 14_400_000, adx_min: 20, di_confirm: true });
    expect(await service.get(a.id)).toEqual(a);
    const logs = await service.logs(a.id);
    expect(logs.total).toBe(1);
    expect(logs.logs[0]).toMatchObject({ agent_id: a.id, level: 'info', message: 'agent created' });
  });

  it('a duplicate name is a ConflictError; bad input an InvalidArgumentError; an unknown id NotFoundError', async () => {
    const { service } = makeService();
    await service.create(seed);
    await expect(service.create({ ...seed, type: 'breakout' })).rejects.toBeInstanceOf(ConflictError);
    await expect(service.create({ ...seed, name: 'x', config: { leverage: 50 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(service.get('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    expect((await service.list()).total).toBe(1);
  });

  it('refuses a well-formed but unknown symbol on create, patch and list, naming it, and writes nothing (issue 10)', async () => {
    const { service } = makeService();
    const unknown = /^unknown symbol FOO\/BAR: tradable symbols are BTC\/USDT, ETH\/USDT/;
    await expect(service.create({ ...seed, symbol: 'FOO/BAR' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(service.create({ ...seed, symbol: 'foo-bar' })).rejects.toThrow(unknown);
    expect(await tdb.db.query('SELECT id FROM agents')).toEqual([]);
    expect(await tdb.db.query('SELECT agent_id FROM agent_logs')).toEqual([]);
    const a = await service.create(seed);
    await expect(service.update(a.id, { symbol: 'FOO/BAR' })).rejects.toThrow(unknown);
    expect(await storedStatus(a.id)).toEqual({ status: 'stopped', version: 1 });
    await expect(service.list({ symbol: 'FOO/BAR' })).rejects.toThrow(unknown);
  });

  it('an agent stored before its symbol left the tradable set can be read and deleted, not started or restored', async () => {
    const wider = new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'ETH/USDT', 'SOL/USDT'], 'test'), logger });
    const sol = await wider.create({ ...seed, name: 'sol_tf', symbol: 'SOL/USDT' });
    const running = await wider.create({ ...seed, name: 'sol_tf_running', symbol: 'SOL/USDT' });
    await wider.start(running.id);
    const { service, runtime } = makeService();
    expect((await service.get(sol.id)).symbol).toBe('SOL/USDT');
    await expect(service.start(sol.id)).rejects.toThrow(/agent sol_tf symbol: unknown symbol SOL\/USDT/);
    expect(await storedStatus(sol.id)).toEqual({ status: 'stopped', version: 1 });
    expect(await service.restore(newQuarantine())).toEqual([]);
    expect(runtime.size).toBe(0);
    expect((await storedStatus(running.id))?.status).toBe('error');
    await service.delete(sol.id);
  });

  it('lists with type/status/symbol filters, pagination and the total', async () => {
    const { service } = makeService();
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await service.create({
          name: `agent_${i}`,
          type: i % 2 === 0 ? 'breakout' : 'mean_reversion',
          symbol: i < 5 ? 'BTC/USDT' : 'ETH/USDT',
          timeframe: '15m',
        }),
      );
    }
    await service.start(made[0]!.id);
    await service.start(made[3]!.id);

    const all = await service.list({});
    expect(all.total).toBe(7);
    expect(all.agents.map((a) => a.name)).toEqual(made.map((a) => a.name)); // oldest first
    const breakouts = await service.list({ type: 'breakout' });
    expect(breakouts.total).toBe(4);
    expect(breakouts.agents.every((a) => a.type === 'breakout')).toBe(true);
    const running = await service.list({ status: 'running' });
    expect(running.agents.map((a) => a.name).sort()).toEqual(['agent_0', 'agent_3']);
    expect((await service.list({ symbol: 'ETH-USDT' })).total).toBe(2);
    const page = await service.list({ limit: '3', offset: '3' });
    expect(page.total).toBe(7);
    expect(page.agents.map((a) => a.name)).toEqual(['agent_3', 'agent_4', 'agent_5']);
    expect((await service.list({ type: 'breakout', status: 'stopped', limit: 1 })).total).toBe(3);
    await expect(service.list({ status: 'paused' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('lifecycle', () => {
  it('start and stop are persisted, logged, versioned, idempotent, and arm/disarm the runtime', async () => {
    const { service, runtime } = makeService();
    const a = await service.create(seed);
    const started = await service.start(a.id);
    expect(started).toMatchObject({ status: 'running', version: 2 });
    expect(await storedStatus(a.id)).toEqual({ status: 'running', version: 2 });
    expect(runtime.has(a.id)).toBe(true);
    expect(runtime.agentsFor('BTC/USDT', '1h').map((x) => x.id)).toEqual([a.id]);
    expect((await service.start(a.id)).version).toBe(2); // already running: no change

    const stopped = await service.stop(a.id);
    expect(stopped).toMatchObject({ status: 'stopped', version: 3 });
    expect(await storedStatus(a.id)).toEqual({ status: 'stopped', version: 3 });
    expect(runtime.has(a.id)).toBe(false);

    const messages = (await service.logs(a.id)).logs.map((l) => l.message);
    expect(messages).toEqual(['agent stopped', 'agent started', 'agent created']); // newest first
  });

  it('markError sets status error with the reason and disarms', async () => {
    const { service, runtime } = makeService();
    const a = await service.create(seed);
    await service.start(a.id);
    const failed = await service.markError(a.id, 'model exploded', { bar_time: 1 });
    expect(failed.status).toBe('error');
    expect(runtime.has(a.id)).toBe(false);
    expect((await storedStatus(a.id))?.status).toBe('error');
    const [last] = (await service.logs(a.id, { level: 'error' })).logs;
    expect(last).toMatchObject({ level: 'error', message: 'agent error: model exploded', data: { bar_time: 1, previous_status: 'running' } });
    expect((await service.start(a.id)).status).toBe('running'); // can be started again
  });

  it('update: merges config, re-arms a running agent, refuses a running agent’s type change, a taken name, a stale version', async () => {
    const { service, runtime } = makeService();
    const a = await service.create(seed);
    const b = await service.create({ ...seed, name: 'other' });
    await service.start(a.id);

    const updated = await service.update(a.id, { config: { adx_min: 30 }, version: 2 });
    expect(updated.version).toBe(3);
    expect(updated.config).toMatchObject({ leverage: 5, adx_min: 30 });
    expect((runtime.agents().find((x) => x.id === a.id)?.config as { adx_min: number }).adx_min).toBe(30);
    expect((await service.get(a.id)).config).toMatchObject({ adx_min: 30 });

    await expect(service.update(a.id, { type: 'breakout' })).rejects.toThrow(/running: stop it before changing its type/);
    await expect(service.update(a.id, { type: 'breakout' })).rejects.toBeInstanceOf(ConflictError);
    await expect(service.update(a.id, { name: 'other' })).rejects.toBeInstanceOf(ConflictError);
    await expect(service.update(a.id, { config: { adx_min: 31 }, version: 2 })).rejects.toBeInstanceOf(ConflictError);
    await expect(service.update(a.id, { config: { adx_min: 500 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(service.update('nope', { name: 'z' })).rejects.toBeInstanceOf(NotFoundError);

    // A stopped agent may change type; unchanged fields are kept.
    const retyped = await service.update(b.id, { type: 'ml_model', config: { threshold: 0.7 } });
    expect(retyped).toMatchObject({ type: 'ml_model', name: 'other', config: { leverage: 5, threshold: 0.7 } });
    expect((await service.logs(b.id)).logs[0]?.message).toBe('agent updated: type, config');
    // Symbol move of a running agent re-indexes it.
    await service.update(a.id, { symbol: 'ETH/USDT' });
    expect(runtime.agentsFor('BTC/USDT', '1h')).toEqual([]);
    expect(runtime.agentsFor('ETH/USDT', '1h').map((x) => x.id)).toEqual([a.id]);
  });

  it('concurrent changes of one agent all land (optimistic locking retries internally)', async () => {
    const { service } = makeService();
    const a = await service.create(seed);
    await Promise.all([service.start(a.id), service.update(a.id, { config: { leverage: 2 } }), service.update(a.id, { name: 'renamed' })]);
    const now = await service.get(a.id);
    expect(now).toMatchObject({ status: 'running', name: 'renamed', config: { leverage: 2 }, version: 4 });
  });

  it('delete removes the agent and its logs, disarms it, and is a 404 afterwards', async () => {
    const { service, runtime } = makeService();
    const a = await service.create(seed);
    await service.start(a.id);
    const gone = await service.delete(a.id);
    expect(gone.id).toBe(a.id);
    expect(runtime.has(a.id)).toBe(false);
    await expect(service.get(a.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.delete(a.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.logs(a.id)).rejects.toBeInstanceOf(NotFoundError);
    const [{ n }] = (await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM agent_logs WHERE agent_id = ?', [a.id])) as [{ n: number }];
    expect(Number(n)).toBe(0);
  });
});

describe('logs', () => {
  it('paginates newest first with a level filter and the total', async () => {
    const { service } = makeService();
    const a = await service.create(seed);
    for (let i = 0; i < 12; i++) await service.log(a.id, i % 3 === 0 ? 'warn' : 'debug', `line ${i}`, { i });
    const first = await service.logs(a.id, { limit: '5' });
    expect(first.total).toBe(13);
    expect(first.logs.map((l) => l.message)).toEqual(['line 11', 'line 10', 'line 9', 'line 8', 'line 7']);
    const second = await service.logs(a.id, { limit: '5', offset: '5' });
    expect(second.logs.map((l) => l.message)).toEqual(['line 6', 'line 5', 'line 4', 'line 3', 'line 2']);
    const last = await service.logs(a.id, { limit: '5', offset: '10' });
    expect(last.logs.map((l) => l.message)).toEqual(['line 1', 'line 0', 'agent created']);
    const warns = await service.logs(a.id, { level: 'warn' });
    expect(warns.total).toBe(4);
    expect(warns.logs.map((l) => l.data)).toEqual([{ i: 9 }, { i: 6 }, { i: 3 }, { i: 0 }]);
    await expect(service.logs(a.id, { limit: '0' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('restore after a restart', () => {
  it('a new service on the same database returns the running agents, arms them, and sets broken ones to error', async () => {
    const first = makeService();
    const a = await first.service.create(seed);
    const b = await first.service.create({ ...seed, name: 'eth_breakout', type: 'breakout', symbol: 'ETH/USDT' });
    const c = await first.service.create({ ...seed, name: 'stopped_one' });
    const broken = await first.service.create({ ...seed, name: 'broken' });
    await first.service.start(a.id);
    await first.service.start(b.id);
    await first.service.start(broken.id);
    // A stored config that no longer validates (e.g. written by an older release).
    await tdb.db.execute(`UPDATE agents SET config = '{"leverage": 99}' WHERE id = ?`, [broken.id]);

    const second = makeService(new AgentRuntime());
    const quarantine = newQuarantine();
    const restored = await second.service.restore(quarantine);
    expect(quarantine.list()).toEqual([expect.objectContaining({ table: 'agents', id: broken.id, action: 'deactivated', reason: 'invalid_value' })]);
    expect(restored.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(second.runtime.size).toBe(2);
    expect(second.runtime.has(c.id)).toBe(false);
    expect(second.runtime.agentsFor('ETH/USDT', '1h').map((x) => x.name)).toEqual(['eth_breakout']);
    expect((await storedStatus(broken.id))?.status).toBe('error');
    expect((await second.service.logs(broken.id, { level: 'error' })).logs[0]?.message).toMatch(/not restored: config\.leverage/);
  });
});

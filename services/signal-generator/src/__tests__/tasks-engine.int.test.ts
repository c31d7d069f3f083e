/**
 * TaskEngine against a real MariaDB (agent_tasks) with injected executors:
 * priority order, the concurrency limit, timeouts with retries and backoff,
 * permanent errors, cancellation (queued, running, waiting for a retry),
 * recovery after a graceful and an abrupt restart, and metrics.
 */
import {
  createLogger,
  createMetrics,
  FailedPreconditionError,
  InvalidArgumentError,
  lintMetricsText,
  NotFoundError,
  UnavailableError,
  TradableSymbols,
} from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { AgentRepository } from '../adapters/agent-repository';
import { TaskRepository } from '../adapters/task-repository';
import { AgentService } from '../agents/agent-service';
import type { Agent } from '../agents/types';
import { TaskCancelledError, TaskEngine, TaskInterruptedError, TaskTimeoutError } from '../tasks/task-engine';
import type { Task, TaskEngineConfig, TaskExecutor } from '../tasks/types';

const logger = createLogger({ service: 'test', level: 'silent' });
let tdb: TestDatabase;
let agents: AgentService;
let agent: Agent;
const engines: TaskEngine[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  agents = new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'ETH/USDT'], 'test'), logger });
  agent = await agents.create({ name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', config: { leverage: 5 } });
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close(0)));
  await tdb.db.execute('DELETE FROM agent_tasks');
});
afterAll(async () => {
  await tdb?.drop();
});

function makeEngine(executor: TaskExecutor, config: Partial<TaskEngineConfig> = {}, registry?: ReturnType<typeof createMetrics>): TaskEngine {
  const e = new TaskEngine({ store: new TaskRepository(tdb.db), agents, executor, logger, registry, config: { concurrency: 2, backoffMs: 20, ...config } });
  engines.push(e);
  return e;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first (a well-behaved executor). */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

function gate(): { wait: (signal: AbortSignal) => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return {
    open,
    wait: (signal) =>
      new Promise<void>((resolve, reject) => {
        void p.then(resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The value of the sample `name` whose labels include `labels` (any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

const statusIs = (engine: TaskEngine, id: string, ...statuses: Task['status'][]) => async () => {
  const t = await engine.get(id);
  return statuses.includes(t.status) ? t : undefined;
};

it('runs a task: result, attempts and timings are stored; the executor gets the agent and parameters', async () => {
  const calls: Array<{ agent: string; params: unknown; attempt: number }> = [];
  const engine = makeEngine(async (a, params, _signal, ctx) => {
    calls.push({ agent: a.name, params, attempt: ctx.attempt });
    return { side: 'BUY', echo: params };
  });
  const { taskId } = await engine.submit(agent.id, { parameters: { bars: 3 }, priority: 7 });
  const t = await waitFor(statusIs(engine, taskId, 'succeeded'), 'success');
  expect(calls).toEqual([{ agent: 'btc_trend_follower', params: { bars: 3 }, attempt: 1 }]);
  expect(t).toMatchObject({ id: taskId, agent_id: agent.id, status: 'succeeded', priority: 7, parameters: { bars: 3 }, result: { side: 'BUY', echo: { bars: 3 } }, error: null, attempts: 1, max_attempts: 3, timeout_ms: 30_000, next_attempt_at: null });
  expect(t.started_at).toBeGreaterThanOrEqual(t.queued_at);
  expect(t.finished_at).toBeGreaterThanOrEqual(t.started_at as number);
  expect(t.duration_ms).toBe((t.finished_at as number) - (t.started_at as number));
  await waitFor(async () => (await agents.logs(agent.id)).logs.find((l) => l.message === 'task succeeded' && l.data?.task_id === taskId), 'agent log');
});

it('validates: 404 unknown agent or task, 400 bad body, 503 once closed', async () => {
  const engine = makeEngine(async () => 1);
  await expect(engine.submit('00000000-0000-4000-8000-000000000000', {})).rejects.toBeInstanceOf(NotFoundError);
  await expect(engine.submit(agent.id, { priority: 99 })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(engine.get('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
  await expect(engine.cancel('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
  await engine.close(0);
  await expect(engine.submit(agent.id, {})).rejects.toBeInstanceOf(UnavailableError);
});

it('refuses to execute an agent whose symbol is no longer tradable, naming it, and queues nothing (issue 10)', async () => {
  const wider = new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'SOL/USDT'], 'test'), logger });
  const sol = await wider.create({ name: 'sol_trend_follower', type: 'trend_follower', symbol: 'SOL/USDT', timeframe: '1h' });
  let ran = 0;
  const engine = makeEngine(async () => ++ran);
  await expect(engine.submit(sol.id, {})).rejects.toThrow(/agent sol_trend_follower symbol: unknown symbol SOL\/USDT: tradable symbols are BTC\/USDT, ETH\/USDT/);
  expect(await tdb.db.query('SELECT id FROM agent_tasks')).toEqual([]);
  expect(ran).toBe(0);
  await agents.delete(sol.id);
});

it('runs higher priority first, then oldest first', async () => {
  const order: string[] = [];
  const g = gate();
  const engine = makeEngine(
    async (_a, params, signal) => {
      order.push(String(params.label));
      if (params.label === 'blocker') await g.wait(signal);
    },
    { concurrency: 1 },
  );
  const blocker = await engine.submit(agent.id, { parameters: { label: 'blocker' } });
  await waitFor(statusIs(engine, blocker.taskId, 'running'), 'blocker running');
  for (const [label, priority] of [['low', 1], ['mid-a', 5], ['high', 9], ['mid-b', 5], ['top', 10]] as const) {
    await engine.submit(agent.id, { parameters: { label }, priority });
  }
  expect(engine.depth()).toBe(5);
  g.open();
  await waitFor(() => order.length === 6 && engine.active() === 0 ? true : undefined, 'all ran');
  expect(order).toEqual(['blocker', 'top', 'high', 'mid-a', 'mid-b', 'low']);
});

it('never runs more than `concurrency` tasks at once, and does use all of it', async () => {
  let active = 0;
  let peak = 0;
  const engine = makeEngine(
    async (_a, _p, signal) => {
      active++;
      peak = Math.max(peak, active);
      try {
        await abortableSleep(40, signal);
      } finally {
        active--;
      }
      return 'ok';
    },
    { concurrency: 3 },
  );
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await engine.submit(agent.id, {})).taskId);
  let engineMax = 0;
  await waitFor(async () => {
    engineMax = Math.max(engineMax, engine.active());
    const done = await Promise.all(ids.map((id) => engine.get(id)));
    return done.every((t) => t.status === 'succeeded') ? true : undefined;
  }, 'all succeeded');
  expect(peak).toBe(3);
  expect(engineMax).toBeLessThanOrEqual(3);
});

it('a timeout aborts the attempt, retries after an exponential backoff, and fails with attempts = max_attempts', async () => {
  const starts: number[] = [];
  const reasons: unknown[] = [];
  const engine = makeEngine(
    async (_a, _p, signal) => {
      starts.push(Date.now());
      await new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => {
          reasons.push(signal.reason);
          reject(signal.reason);
        }),
      );
    },
    { backoffMs: 150 },
  );
  const { taskId } = await engine.submit(agent.id, { timeout_ms: 50, max_attempts: 3 });
  const seen: Task[] = [];
  const final = await waitFor(async () => {
    const t = await engine.get(taskId);
    seen.push(t);
    return t.status === 'failed' ? t : undefined;
  }, 'failure');
  expect(final).toMatchObject({ status: 'failed', attempts: 3, max_attempts: 3, error: 'timed out after 50 ms', next_attempt_at: null });
  expect(final.finished_at).not.toBeNull();
  expect(starts).toHaveLength(3);
  expect(reasons.every((r) => r instanceof TaskTimeoutError)).toBe(true);
  // Backoff 150 ms before retry 1, 300 ms before retry 2 (lower bounds only; each attempt also ran 50 ms).
  expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(150 + 50 - 5);
  expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(300 + 50 - 5);
  // While a retry waited, the task was queued with the last error and a next attempt time.
  const waiting = seen.find((t) => t.status === 'queued' && t.attempts === 1);
  expect(waiting?.error).toBe('timed out after 50 ms');
  expect(waiting?.next_attempt_at).toBeGreaterThan(waiting?.queued_at ?? Infinity);
});

it('retries a transient failure until it succeeds, but never a permanent one', async () => {
  let calls = 0;
  const flaky = makeEngine(async () => {
    calls++;
    if (calls === 1) throw new Error('exchange hiccup');
    return 'second time lucky';
  });
  const a = await flaky.submit(agent.id, {});
  const ok = await waitFor(statusIs(flaky, a.taskId, 'succeeded', 'failed'), 'flaky done');
  expect(ok).toMatchObject({ status: 'succeeded', attempts: 2, error: null, result: 'second time lucky' });

  let permanentCalls = 0;
  const strict = makeEngine(async () => {
    permanentCalls++;
    throw new InvalidArgumentError('parameters.bars must be positive');
  });
  const b = await strict.submit(agent.id, { max_attempts: 5 });
  const failed = await waitFor(statusIs(strict, b.taskId, 'failed'), 'permanent failure');
  expect(failed).toMatchObject({ attempts: 1, error: 'parameters.bars must be positive' });
  expect(permanentCalls).toBe(1);
});

it('cancels a queued task at once; it never runs. Cancel is idempotent; a finished task cannot be cancelled', async () => {
  const ran: string[] = [];
  const g = gate();
  const engine = makeEngine(
    async (_a, params, signal) => {
      ran.push(String(params.label));
      if (params.label === 'blocker') await g.wait(signal);
      return 'done';
    },
    { concurrency: 1 },
  );
  const blocker = await engine.submit(agent.id, { parameters: { label: 'blocker' } });
  await waitFor(statusIs(engine, blocker.taskId, 'running'), 'blocker running');
  const queued = await engine.submit(agent.id, { parameters: { label: 'victim' } });
  const cancelled = await engine.cancel(queued.taskId);
  expect(cancelled).toMatchObject({ status: 'cancelled', attempts: 0, started_at: null });
  expect(cancelled.finished_at).not.toBeNull();
  expect(engine.depth()).toBe(0);
  expect((await engine.cancel(queued.taskId)).status).toBe('cancelled');

  g.open();
  await waitFor(statusIs(engine, blocker.taskId, 'succeeded'), 'blocker done');
  await sleep(50);
  expect(ran).toEqual(['blocker']);
  expect((await engine.get(queued.taskId)).status).toBe('cancelled');
  await expect(engine.cancel(blocker.taskId)).rejects.toBeInstanceOf(FailedPreconditionError);
});

it('cancels a running task: its signal aborts, it ends cancelled and is not retried', async () => {
  let calls = 0;
  let reason: unknown;
  const engine = makeEngine(async (_a, _p, signal) => {
    calls++;
    await new Promise<void>((_, reject) => signal.addEventListener('abort', () => ((reason = signal.reason), reject(signal.reason))));
  });
  const { taskId } = await engine.submit(agent.id, { max_attempts: 3 });
  await waitFor(statusIs(engine, taskId, 'running'), 'running');
  await waitFor(() => (calls === 1 ? true : undefined), 'executor called');
  const t = await engine.cancel(taskId);
  expect(t.status).toBe('cancelled');
  await waitFor(() => (engine.active() === 0 ? true : undefined), 'slot freed');
  expect(reason).toBeInstanceOf(TaskCancelledError);
  await sleep(100); // longer than the backoff: a retry would have started
  expect(calls).toBe(1);
  expect(await engine.get(taskId)).toMatchObject({ status: 'cancelled', attempts: 1 });
});

it('cancels a task waiting for its retry', async () => {
  let calls = 0;
  const engine = makeEngine(
    async () => {
      calls++;
      throw new Error('boom');
    },
    { backoffMs: 300 },
  );
  const { taskId } = await engine.submit(agent.id, {});
  await waitFor(async () => {
    const t = await engine.get(taskId);
    return t.status === 'queued' && t.attempts === 1 ? t : undefined;
  }, 'waiting for retry');
  expect((await engine.cancel(taskId)).status).toBe('cancelled');
  await sleep(400);
  expect(calls).toBe(1);
  expect((await engine.get(taskId)).status).toBe('cancelled');
});

it('after a graceful restart, a new engine on the same database runs the queued and the interrupted tasks', async () => {
  const reasons: unknown[] = [];
  const first = makeEngine(
    async (_a, _p, signal) => {
      await new Promise<void>((_, reject) => signal.addEventListener('abort', () => (reasons.push(signal.reason), reject(signal.reason))));
    },
    { concurrency: 1 },
  );
  const running = await first.submit(agent.id, { parameters: { n: 1 }, priority: 1 });
  await waitFor(statusIs(first, running.taskId, 'running'), 'running');
  const low = await first.submit(agent.id, { parameters: { n: 2 }, priority: 2 });
  const high = await first.submit(agent.id, { parameters: { n: 3 }, priority: 8 });
  await first.close(20);
  expect(reasons).toHaveLength(1);
  expect(reasons[0]).toBeInstanceOf(TaskInterruptedError);
  const parked = await first.get(running.taskId);
  expect(parked).toMatchObject({ status: 'queued', attempts: 0 }); // a shutdown does not cost an attempt

  const order: number[] = [];
  const second = makeEngine(
    async (_a, params) => {
      order.push(Number(params.n));
      return params.n;
    },
    { concurrency: 1 },
  );
  expect(await second.recover()).toBe(3);
  for (const id of [running.taskId, low.taskId, high.taskId]) await waitFor(statusIs(second, id, 'succeeded'), `task ${id}`);
  expect(order).toEqual([3, 2, 1]);
  expect((await second.get(running.taskId)).attempts).toBe(1);
  expect(await second.recover()).toBe(0); // nothing left
});

it('after a crash, a running task counts its interrupted attempt; one on its last attempt fails; a stale engine cannot overwrite', async () => {
  const crashed = makeEngine(
    async (_a, _p, signal) => {
      await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
    { concurrency: 2, defaultTimeoutMs: 600_000 },
  );
  const retryable = await crashed.submit(agent.id, { max_attempts: 2 });
  const lastTry = await crashed.submit(agent.id, { max_attempts: 1 });
  await waitFor(statusIs(crashed, retryable.taskId, 'running'), 'running 1');
  await waitFor(statusIs(crashed, lastTry.taskId, 'running'), 'running 2');
  // The process "dies": `crashed` is simply abandoned (no close); a new engine takes over.
  const next = makeEngine(async () => 'recovered');
  expect(await next.recover()).toBe(1);
  const done = await waitFor(statusIs(next, retryable.taskId, 'succeeded'), 'recovered task');
  expect(done).toMatchObject({ attempts: 2, result: 'recovered' });
  expect(await next.get(lastTry.taskId)).toMatchObject({ status: 'failed', attempts: 1, error: 'interrupted by a restart during attempt 1 of 1' });
  // The abandoned engine finally shuts down: its stale attempts must not change anything.
  await crashed.close(0);
  expect((await next.get(retryable.taskId)).status).toBe('succeeded');
  expect((await next.get(lastTry.taskId)).status).toBe('failed');
});

it('exports cte_task_queue_tasks, cte_task_duration_seconds{outcome} and cte_tasks_total{outcome}', async () => {
  const registry = createMetrics('signal-generator');
  const g = gate();
  const engine = makeEngine(
    async (_a, params, signal) => {
      if (params.block) await g.wait(signal);
      if (params.fail) throw new InvalidArgumentError('nope');
      return 1;
    },
    { concurrency: 1 },
    registry,
  );
  const blocker = await engine.submit(agent.id, { parameters: { block: true } });
  await waitFor(statusIs(engine, blocker.taskId, 'running'), 'blocker running');
  await engine.submit(agent.id, {});
  await engine.submit(agent.id, { parameters: { fail: true } });
  const toCancel = await engine.submit(agent.id, {});
  const depth = (await registry.getSingleMetricAsString('cte_task_queue_tasks')).split('\n').find((l) => l.startsWith('cte_task_queue_tasks'));
  expect(depth).toMatch(/ 3$/);
  await engine.cancel(toCancel.taskId);
  g.open();
  await waitFor(() => (engine.depth() === 0 && engine.active() === 0 ? true : undefined), 'drained');
  await sleep(20);
  const text = await registry.metrics();
  expect(sample(text, 'cte_tasks_total', { outcome: 'succeeded' })).toBe(2);
  expect(sample(text, 'cte_tasks_total', { outcome: 'failed' })).toBe(1);
  expect(sample(text, 'cte_tasks_total', { outcome: 'cancelled' })).toBe(1);
  expect(sample(text, 'cte_task_duration_seconds_count', { outcome: 'succeeded' })).toBe(2);
  expect(sample(text, 'cte_task_duration_seconds_count', { outcome: 'failed' })).toBe(1);
  expect(sample(text, 'cte_task_queue_tasks', {})).toBe(0);
  expect(lintMetricsText(text, { units: ['tasks'] }).filter((p) => p.includes('cte_task'))).toEqual([]);
});

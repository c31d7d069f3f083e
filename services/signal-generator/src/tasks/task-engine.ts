/**
 * The task engine: `execute agent → task id → status`.
 *
 * - A priority queue (higher priority first, then oldest) drained by at most
 *   `concurrency` attempts at once.
 * - Each attempt gets an AbortSignal that fires on its timeout, on cancel and
 *   on shutdown (`signal.reason` says which: TaskTimeoutError,
 *   TaskCancelledError, TaskInterruptedError).
 * - A failed or timed-out attempt is retried after backoff · 2^(n-1) (capped)
 *   until `max_attempts`; InvalidArgumentError and NotFoundError are not retried.
 * - Cancel: a queued task (also one waiting for a retry) is cancelled at once;
 *   a running one is aborted and marked cancelled.
 * - Every task lives in `agent_tasks`; every transition is a conditional
 *   UPDATE, so MySQL is the truth. After a restart `recover()` re-queues what
 *   was queued, and what was running when the process died (that attempt counts).
 *   A graceful `close()` puts running tasks back to queued without charging the attempt.
 *
 * The executor is injected (see TaskExecutor); the engine does not know what
 * running an agent means.
 */
import { randomUUID } from 'node:crypto';
import {
  describeValue,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  restoreRows,
  UnavailableError,
  type Logger,
  type Quarantine,
} from '@cte/shared';
import type { Registry } from 'prom-client';

const MAX_TIMER_MS = 2 ** 31 - 1;
import type { TaskStore } from '../adapters/task-repository';
import { parseId } from '../agents/agent-input';
import type { Agent } from '../agents/types';
import { taskMetrics, type AttemptOutcome, type TaskMetrics } from './task-metrics';
import { parseTaskRequest } from './task-input';
import { TaskQueue, type QueuedTask } from './task-queue';
import {
  DEFAULT_TASK_ENGINE_CONFIG,
  type Task,
  type TaskAgentDirectory,
  type TaskEngineConfig,
  type TaskExecutor,
  type TaskParameters,
} from './types';

/** Abort reason when an attempt outlives its timeout. */
export class TaskTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'TaskTimeoutError';
  }
}

/** Abort reason when the task is cancelled. */
export class TaskCancelledError extends Error {
  constructor() {
    super('task cancelled');
    this.name = 'TaskCancelledError';
  }
}

/** Abort reason when the engine shuts down; the task goes back to the queue. */
export class TaskInterruptedError extends Error {
  constructor() {
    super('task engine shutting down');
    this.name = 'TaskInterruptedError';
  }
}

export interface TaskEngineOptions {
  store: TaskStore;
  agents: TaskAgentDirectory;
  executor: TaskExecutor;
  logger: Logger;
  /** Where the cte_task_* metrics go; none when absent. */
  registry?: Registry | undefined;
  config?: Partial<TaskEngineConfig>;
  now?: () => number;
  newId?: () => string;
}

interface Entry extends QueuedTask {
  agentId: string;
  parameters: TaskParameters;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
}

interface Running {
  entry: Entry;
  controller: AbortController | undefined;
  /** Set when cancel arrives before the controller exists (during the claim). */
  cancelRequested: boolean;
}

const MAX_RESULT_JSON = 1024 * 1024;

export class TaskEngine {
  private readonly cfg: Required<TaskEngineConfig>;
  private readonly store: TaskStore;
  private readonly agents: TaskAgentDirectory;
  private readonly executor: TaskExecutor;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly metrics: TaskMetrics | undefined;
  private readonly removeDepthProbe: (() => void) | undefined;

  private readonly ready = new TaskQueue<Entry>();
  private readonly waiting = new Map<string, { entry: Entry; timer: NodeJS.Timeout }>();
  private readonly running = new Map<string, Running>();
  private readonly settled = new Set<Promise<void>>();
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(opts: TaskEngineOptions) {
    this.cfg = { ...DEFAULT_TASK_ENGINE_CONFIG, ...definedOnly(opts.config ?? {}) };
    if (!Number.isInteger(this.cfg.concurrency) || this.cfg.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${this.cfg.concurrency}`);
    }
    this.store = opts.store;
    this.agents = opts.agents;
    this.executor = opts.executor;
    this.logger = opts.logger.child({ component: 'tasks' });
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    if (opts.registry) {
      this.metrics = taskMetrics(opts.registry);
      this.removeDepthProbe = this.metrics.addDepthProbe(() => this.depth());
    }
  }

  /** The effective configuration. */
  get config(): Readonly<Required<TaskEngineConfig>> {
    return this.cfg;
  }

  /** Tasks waiting in this process (ready, or waiting for a retry). */
  depth(): number {
    return this.ready.size + this.waiting.size;
  }

  /** Attempts running now. */
  active(): number {
    return this.running.size;
  }

  /**
   * Queues a task for the agent: `{parameters?, priority?, timeout_ms?, max_attempts?}`.
   * 400 for bad input, 404 for an unknown agent, 409 when the queue is full, 503 while shutting down.
   */
  async submit(rawAgentId: unknown, raw: unknown): Promise<{ taskId: string }> {
    const agentId = parseId(rawAgentId, 'agent id');
    const req = parseTaskRequest(raw, { timeoutMs: this.cfg.defaultTimeoutMs, maxAttempts: this.cfg.maxAttempts });
    if (this.closing) throw new UnavailableError('the task engine is shutting down');
    if (this.depth() >= this.cfg.maxQueued) {
      throw new FailedPreconditionError(`task queue is full (${this.cfg.maxQueued} waiting); retry later`);
    }
    const agent = await this.agents.get(agentId);
    this.agents.checkExecutable?.(agent);
    const entry: Entry = {
      id: this.newId(),
      agentId,
      priority: req.priority,
      queuedAt: this.now(),
      seq: this.seq++,
      parameters: req.parameters,
      attempts: 0,
      maxAttempts: req.maxAttempts,
      timeoutMs: req.timeoutMs,
    };
    await this.store.insert({
      id: entry.id,
      agent_id: agentId,
      priority: entry.priority,
      parameters: entry.parameters,
      max_attempts: entry.maxAttempts,
      timeout_ms: entry.timeoutMs,
      queued_at: entry.queuedAt,
    });
    this.logger.info({ task_id: entry.id, agent_id: agentId, priority: entry.priority, timeout_ms: entry.timeoutMs, max_attempts: entry.maxAttempts }, 'task queued');
    this.agentLog(agentId, 'debug', 'task queued', { task_id: entry.id, priority: entry.priority });
    this.ready.push(entry);
    this.pump();
    return { taskId: entry.id };
  }

  /** The task's state from MySQL. 404 when unknown. */
  async get(rawId: unknown): Promise<Task> {
    const id = parseId(rawId, 'task id');
    const task = await this.store.get(id);
    if (!task) throw new NotFoundError(`task ${id} not found`);
    return task;
  }

  /**
   * Cancels a queued or running task and returns it. Idempotent for a cancelled
   * task; 409 (FAILED_PRECONDITION) when it already succeeded or failed.
   */
  async cancel(rawId: unknown): Promise<Task> {
    const id = parseId(rawId, 'task id');
    const task = await this.store.get(id);
    if (!task) throw new NotFoundError(`task ${id} not found`);
    if (task.status === 'cancelled') return task;
    if (task.status === 'succeeded' || task.status === 'failed') {
      throw new FailedPreconditionError(`task ${id} already ${task.status}`, { status: task.status });
    }
    const cancelled = await this.store.cancel(id, this.now());
    if (!cancelled) {
      // It finished (or was cancelled) in between: report what it is now.
      const now = await this.get(id);
      if (now.status === 'cancelled') return now;
      throw new FailedPreconditionError(`task ${id} already ${now.status}`, { status: now.status });
    }
    this.ready.delete(id);
    const w = this.waiting.get(id);
    if (w) {
      clearTimeout(w.timer);
      this.waiting.delete(id);
    }
    const r = this.running.get(id);
    if (r) {
      r.cancelRequested = true;
      r.controller?.abort(new TaskCancelledError());
    }
    this.metrics?.total.inc({ outcome: 'cancelled' });
    this.logger.info({ task_id: id, agent_id: task.agent_id, was: task.status }, 'task cancelled');
    this.agentLog(task.agent_id, 'info', 'task cancelled', { task_id: id, was: task.status });
    return this.get(id);
  }

  /**
   * Loads the unfinished tasks from MySQL after a restart: queued ones are
   * queued again (a pending retry keeps its time), running ones, interrupted
   * by the restart, are queued again with that attempt counted, or failed when
   * it was their last. Returns how many were queued.
   */
  async recover(quarantine?: Quarantine): Promise<number> {
    const stored = await this.store.listUnfinished();
    const now = this.now();
    // A stored task the API would not accept (timeout 0, no attempts, parameters not an object...) is
    // quarantined: cancelled, never run, never a reason not to start.
    const tasks = quarantine
      ? await restoreRows(stored, {
          table: 'agent_tasks',
          quarantine,
          idOf: (t) => t.id,
          restore: (t) => {
            parseId(t.agent_id, 'agent_id');
            const defaults = { timeoutMs: this.cfg.defaultTimeoutMs, maxAttempts: this.cfg.maxAttempts };
            parseTaskRequest({ parameters: t.parameters, priority: t.priority, timeout_ms: t.timeout_ms, max_attempts: t.max_attempts }, defaults);
            if (!Number.isSafeInteger(t.attempts) || t.attempts < 0) throw new InvalidArgumentError(`attempts ${t.attempts} is not a count`);
            return t;
          },
          deactivate: async (t) => void (await this.store.cancel(t.id, now)),
        })
      : stored;
    let queued = 0;
    for (const t of tasks) {
      if (this.isKnown(t.id)) continue;
      let status = t.status;
      if (status === 'running') {
        if (t.attempts >= t.max_attempts) {
          const error = `interrupted by a restart during attempt ${t.attempts} of ${t.max_attempts}`;
          if (await this.store.fail(t.id, t.attempts, error, now)) {
            this.metrics?.total.inc({ outcome: 'failed' });
            this.agentLog(t.agent_id, 'error', 'task failed', { task_id: t.id, error });
          }
          continue;
        }
        if (!(await this.store.requeue(t.id, t.attempts, false, now))) continue;
        status = 'queued';
      }
      if (status !== 'queued') continue;
      const entry: Entry = {
        id: t.id,
        agentId: t.agent_id,
        priority: t.priority,
        queuedAt: t.queued_at,
        seq: this.seq++,
        parameters: t.parameters,
        attempts: t.attempts,
        maxAttempts: t.max_attempts,
        timeoutMs: t.timeout_ms,
      };
      const at = t.status === 'queued' ? t.next_attempt_at : null;
      if (at !== null && at > now) this.waitThenQueue(entry, at - now);
      else this.ready.push(entry);
      queued++;
    }
    if (queued > 0) this.logger.info({ tasks: queued }, 'unfinished tasks recovered');
    this.pump();
    return queued;
  }

  /**
   * Stops taking and starting tasks; lets running attempts finish for up to
   * `graceMs`, then aborts them (they go back to queued, attempt not charged).
   * Queued tasks stay queued in MySQL for the next `recover()`. Idempotent.
   */
  close(graceMs = 10_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  // -------------------------------------------------------------------------

  private async shutdown(graceMs: number): Promise<void> {
    this.ready.clear();
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    if (this.settled.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.settled]),
        new Promise<void>((r) => {
          timer = setTimeout(r, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.running.size > 0) {
      this.logger.warn({ running: this.running.size }, 'grace period over: interrupting running tasks');
      for (const r of this.running.values()) r.controller?.abort(new TaskInterruptedError());
      await Promise.allSettled([...this.settled]);
    }
    this.removeDepthProbe?.();
  }

  private isKnown(id: string): boolean {
    return this.ready.has(id) || this.waiting.has(id) || this.running.has(id);
  }

  private pump(): void {
    if (this.closing) return;
    while (this.running.size < this.cfg.concurrency) {
      const entry = this.ready.pop();
      if (!entry) return;
      const slot: Running = { entry, controller: undefined, cancelRequested: false };
      this.running.set(entry.id, slot);
      const done = this.runAttempt(slot)
        .catch((err: unknown) => this.logger.error({ err, task_id: entry.id }, 'task attempt failed unexpectedly'))
        .finally(() => {
          this.running.delete(entry.id);
          this.settled.delete(done);
          this.pump();
        });
      this.settled.add(done);
    }
  }

  private waitThenQueue(entry: Entry, delayMs: number): void {
    // setTimeout fires at once for delays above 2^31-1 ms (a next_attempt_at far ahead): wait in steps.
    const step = Math.min(delayMs, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.waiting.delete(entry.id);
      if (this.closing) return;
      if (delayMs > step) {
        this.waitThenQueue(entry, delayMs - step);
        return;
      }
      this.ready.push(entry);
      this.pump();
    }, step);
    timer.unref();
    this.waiting.set(entry.id, { entry, timer });
  }

  private async runAttempt(slot: Running): Promise<void> {
    const { entry } = slot;
    const claimedAt = this.now();
    if (!(await this.store.claim(entry.id, claimedAt))) return; // cancelled (or taken) meanwhile
    entry.attempts += 1;
    const attempt = entry.attempts;

    const controller = new AbortController();
    slot.controller = controller;
    if (slot.cancelRequested) controller.abort(new TaskCancelledError());
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(entry.timeoutMs)), entry.timeoutMs);
    const started = process.hrtime.bigint();
    this.logger.debug({ task_id: entry.id, agent_id: entry.agentId, attempt }, 'task attempt started');

    let value: unknown;
    let error: unknown;
    let ok = false;
    let execution: Promise<unknown> | undefined;
    try {
      const agent: Agent = await this.agents.get(entry.agentId);
      if (controller.signal.aborted) throw controller.signal.reason;
      execution = Promise.resolve().then(() => this.executor(agent, entry.parameters, controller.signal, { taskId: entry.id, attempt }));
      value = await Promise.race([execution, rejectOnAbort(controller.signal)]);
      ok = true;
    } catch (err) {
      error = controller.signal.aborted ? controller.signal.reason : err;
    } finally {
      clearTimeout(timer);
    }
    // An aborted executor keeps its slot until it settles (bounded), so the concurrency limit holds.
    if (!ok && execution && controller.signal.aborted) await settleWithin(execution, this.cfg.abortGraceMs, () => {
      this.logger.warn({ task_id: entry.id, grace_ms: this.cfg.abortGraceMs }, 'executor ignored its abort signal; freeing the slot');
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const now = this.now();

    if (ok) {
      let json: string;
      try {
        json = JSON.stringify(value === undefined ? null : value) ?? 'null';
        if (json.length > MAX_RESULT_JSON) throw new Error(`result is larger than ${MAX_RESULT_JSON} bytes of JSON`);
      } catch (err) {
        await this.finishFailed(entry, attempt, `result rejected: ${messageOf(err)}`, now, seconds, 'failed');
        return;
      }
      if (await this.store.succeed(entry.id, attempt, json, now)) {
        this.observe('succeeded', seconds);
        this.metrics?.total.inc({ outcome: 'succeeded' });
        this.logger.info({ task_id: entry.id, agent_id: entry.agentId, attempt, duration_ms: Math.round(seconds * 1000) }, 'task succeeded');
        this.agentLog(entry.agentId, 'info', 'task succeeded', { task_id: entry.id, attempt });
      }
      return;
    }

    if (error instanceof TaskCancelledError) {
      this.observe('cancelled', seconds); // already cancelled in MySQL by cancel()
      return;
    }
    if (error instanceof TaskInterruptedError) {
      this.observe('interrupted', seconds);
      if (await this.store.requeue(entry.id, attempt, true, now)) {
        this.logger.info({ task_id: entry.id, attempt }, 'task interrupted by shutdown; back in the queue');
      }
      return;
    }
    const timedOut = error instanceof TaskTimeoutError;
    const message = timedOut ? messageOf(error) : messageOf(error) || 'executor failed';
    const permanent = isPermanent(error);
    if (!permanent && attempt < entry.maxAttempts) {
      const delay = Math.min(this.cfg.maxBackoffMs, this.cfg.backoffMs * 2 ** (attempt - 1));
      if (await this.store.retryLater(entry.id, attempt, message, now + delay)) {
        this.observe(timedOut ? 'timeout' : 'failed', seconds);
        this.logger.warn({ task_id: entry.id, agent_id: entry.agentId, attempt, max_attempts: entry.maxAttempts, retry_in_ms: delay, error: message }, 'task attempt failed; retrying');
        this.agentLog(entry.agentId, 'warn', `task attempt ${attempt} failed; retrying in ${delay} ms`, { task_id: entry.id, attempt, error: message });
        this.waitThenQueue(entry, delay);
      }
      return;
    }
    await this.finishFailed(entry, attempt, message, now, seconds, timedOut ? 'timeout' : 'failed');
  }

  private async finishFailed(entry: Entry, attempt: number, message: string, now: number, seconds: number, outcome: AttemptOutcome): Promise<void> {
    if (!(await this.store.fail(entry.id, attempt, message, now))) return;
    this.observe(outcome, seconds);
    this.metrics?.total.inc({ outcome: 'failed' });
    this.logger.warn({ task_id: entry.id, agent_id: entry.agentId, attempts: attempt, error: message }, 'task failed');
    this.agentLog(entry.agentId, 'error', 'task failed', { task_id: entry.id, attempts: attempt, error: message });
  }

  private observe(outcome: AttemptOutcome, seconds: number): void {
    this.metrics?.duration.observe({ outcome }, seconds);
  }

  /** Best effort: an agent log line must never fail a task. */
  private agentLog(agentId: string, level: 'debug' | 'info' | 'warn' | 'error', message: string, data: Record<string, unknown>): void {
    if (!this.agents.log) return;
    this.agents.log(agentId, level, message, data).catch((err: unknown) => {
      this.logger.warn({ err, agent_id: agentId }, 'could not write agent log');
    });
  }
}

/** Bad input or a missing agent will fail again: no retry. */
function isPermanent(err: unknown): boolean {
  return err instanceof DomainError && (err.code === 'INVALID_ARGUMENT' || err.code === 'NOT_FOUND');
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  return describeValue(err, 500);
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function settleWithin(p: Promise<unknown>, ms: number, onGiveUp: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  if (!settled) onGiveUp();
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

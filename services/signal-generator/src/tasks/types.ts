/** Tasks: one on-demand execution of an agent, queued, run, retried and observed. */
import type { Agent } from '../agents/types';

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export type TaskParameters = Record<string, unknown>;

/** A task as stored and served (GET /tasks/:id). Times are epoch ms. */
export interface Task {
  id: string;
  agent_id: string;
  status: TaskStatus;
  /** 0..10, higher runs first. */
  priority: number;
  parameters: TaskParameters;
  /** The executor's result (JSON) once succeeded, else null. */
  result: unknown;
  /** The last error (also while a retry waits), else null. */
  error: string | null;
  /** Attempts started so far. */
  attempts: number;
  max_attempts: number;
  /** Per attempt. */
  timeout_ms: number;
  queued_at: number;
  /** First attempt's start. */
  started_at: number | null;
  finished_at: number | null;
  /** finished_at - started_at, once finished after starting. */
  duration_ms: number | null;
  /** While queued for a retry: not before this time. */
  next_attempt_at: number | null;
}

export interface TaskContext {
  taskId: string;
  /** 1-based. */
  attempt: number;
}

/**
 * Runs an agent once with the task's parameters. Must stop when `signal`
 * aborts (timeout, cancellation or shutdown; `signal.reason` says which).
 * The resolved value (JSON-serialisable) is the task's result; a rejection
 * fails the attempt (InvalidArgumentError or NotFoundError: no retry).
 */
export type TaskExecutor = (agent: Agent, parameters: TaskParameters, signal: AbortSignal, ctx: TaskContext) => Promise<unknown>;

/** What the engine needs to know about agents (AgentService provides it). */
export interface TaskAgentDirectory {
  /** The agent; throws NotFoundError when it does not exist. */
  get(agentId: string): Promise<Agent>;
  /** Throws (e.g. InvalidArgumentError) when the agent may not run, such as a symbol no longer tradable; optional. */
  checkExecutable?(agent: Agent): void;
  /** Appends to the agent's log (agent_logs); optional. */
  log?(agentId: string, level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): Promise<void>;
}

export interface TaskEngineConfig {
  /** Tasks running at once (TASK_CONCURRENCY, default 4). */
  concurrency: number;
  /** Per-attempt timeout when the request gives none (TASK_DEFAULT_TIMEOUT_MS, default 30000). */
  defaultTimeoutMs: number;
  /** Attempts when the request gives none (TASK_MAX_ATTEMPTS, default 3). */
  maxAttempts: number;
  /** Backoff before retry n is backoffMs · 2^(n-1) (TASK_BACKOFF_MS, default 500), capped by maxBackoffMs. */
  backoffMs: number;
  /** Cap of one backoff (default 60000). */
  maxBackoffMs?: number;
  /** Tasks waiting in this process before execute answers FAILED_PRECONDITION (default 10000). */
  maxQueued?: number;
  /** How long an aborted executor may take to settle before its slot is freed anyway (default 5000). */
  abortGraceMs?: number;
}

export const DEFAULT_TASK_ENGINE_CONFIG: Readonly<Required<TaskEngineConfig>> = {
  concurrency: 4,
  defaultTimeoutMs: 30_000,
  maxAttempts: 3,
  backoffMs: 500,
  maxBackoffMs: 60_000,
  maxQueued: 10_000,
  abortGraceMs: 5_000,
};

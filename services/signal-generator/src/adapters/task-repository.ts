/**
 * `agent_tasks` (owned by signal-generator). Every transition is a conditional
 * UPDATE on the expected status (and, for a running task, its attempt number),
 * so a cancel racing a finish, or a stale engine after a restart, can never
 * overwrite a newer state.
 */
import { textColumn, type Database } from '@cte/shared';
import { parseJsonColumn } from './agent-repository';
import type { Task, TaskParameters, TaskStatus } from '../tasks/types';

const MAX_ERROR = 2048;
/** JSON columns as text, parsed by parseJsonColumn (see agent-repository.ts). */
const TASK_COLUMNS =
  'id, agent_id, status, priority, CAST(parameters AS CHAR) AS parameters, CAST(result AS CHAR) AS result, error, attempts, max_attempts, timeout_ms, queued_at, started_at, finished_at, next_attempt_at';

export interface NewTask {
  id: string;
  agent_id: string;
  priority: number;
  parameters: TaskParameters;
  max_attempts: number;
  timeout_ms: number;
  queued_at: number;
}

/** What TaskEngine needs from storage (TaskRepository implements it over MySQL). */
export interface TaskStore {
  insert(t: NewTask): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /** Queued and running tasks, oldest first (for recovery). */
  listUnfinished(): Promise<Task[]>;
  /** queued → running, attempts + 1; false when not queued any more. */
  claim(id: string, now: number): Promise<boolean>;
  /** running (attempt n) → succeeded. */
  succeed(id: string, attempt: number, resultJson: string, now: number): Promise<boolean>;
  /** running (attempt n) → queued, waiting until nextAttemptAt. */
  retryLater(id: string, attempt: number, error: string, nextAttemptAt: number): Promise<boolean>;
  /** running (attempt n) → failed. */
  fail(id: string, attempt: number, error: string, now: number): Promise<boolean>;
  /** running (attempt n) → queued again, now; `refund` gives the attempt back (a shutdown is not the task's fault). */
  requeue(id: string, attempt: number, refund: boolean, now: number): Promise<boolean>;
  /** queued or running → cancelled; false when already final. */
  cancel(id: string, now: number): Promise<boolean>;
}

export class TaskRepository implements TaskStore {
  constructor(private readonly db: Database) {}

  async insert(t: NewTask): Promise<void> {
    await this.db.execute(
      `INSERT INTO agent_tasks (id, agent_id, status, priority, parameters, attempts, max_attempts, timeout_ms, queued_at)
       VALUES (?, ?, 'queued', ?, ?, 0, ?, ?, ?)`,
      [t.id, t.agent_id, t.priority, JSON.stringify(t.parameters), t.max_attempts, t.timeout_ms, t.queued_at],
    );
  }

  async get(id: string): Promise<Task | undefined> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT ${TASK_COLUMNS} FROM agent_tasks WHERE id = ?`, [id]);
    return rows[0] ? toTask(rows[0]) : undefined;
  }

  async listUnfinished(): Promise<Task[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ${TASK_COLUMNS} FROM agent_tasks WHERE status IN ('queued', 'running') ORDER BY queued_at, id`,
    );
    return rows.map(toTask);
  }

  async claim(id: string, now: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, ?), next_attempt_at = NULL
       WHERE id = ? AND status = 'queued'`,
      [now, id],
    );
    return res.affectedRows === 1;
  }

  async succeed(id: string, attempt: number, resultJson: string, now: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'succeeded', result = ?, error = NULL, finished_at = ?, next_attempt_at = NULL
       WHERE id = ? AND status = 'running' AND attempts = ?`,
      [resultJson, now, id, attempt],
    );
    return res.affectedRows === 1;
  }

  async retryLater(id: string, attempt: number, error: string, nextAttemptAt: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'queued', error = ?, next_attempt_at = ?
       WHERE id = ? AND status = 'running' AND attempts = ?`,
      [truncate(error), nextAttemptAt, id, attempt],
    );
    return res.affectedRows === 1;
  }

  async fail(id: string, attempt: number, error: string, now: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'failed', error = ?, finished_at = ?, next_attempt_at = NULL
       WHERE id = ? AND status = 'running' AND attempts = ?`,
      [truncate(error), now, id, attempt],
    );
    return res.affectedRows === 1;
  }

  async requeue(id: string, attempt: number, refund: boolean, now: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'queued', attempts = attempts - ?, next_attempt_at = ?
       WHERE id = ? AND status = 'running' AND attempts = ?`,
      [refund ? 1 : 0, now, id, attempt],
    );
    return res.affectedRows === 1;
  }

  async cancel(id: string, now: number): Promise<boolean> {
    const res = await this.db.execute(
      `UPDATE agent_tasks SET status = 'cancelled', finished_at = ?, next_attempt_at = NULL
       WHERE id = ? AND status IN ('queued', 'running')`,
      [now, id],
    );
    return res.affectedRows === 1;
  }
}

function truncate(s: string): string {
  return s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR - 1)}…` : s;
}

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toTask(r: Record<string, unknown>): Task {
  const params = parseJsonColumn(r.parameters);
  const startedAt = nullableNumber(r.started_at);
  const finishedAt = nullableNumber(r.finished_at);
  return {
    id: String(r.id),
    agent_id: String(r.agent_id),
    status: String(r.status) as TaskStatus,
    priority: Number(r.priority),
    parameters: typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as TaskParameters) : {},
    result: parseJsonColumn(r.result),
    error: r.error === null || r.error === undefined ? null : textColumn(r.error, 'agent_tasks.error'),
    attempts: Number(r.attempts),
    max_attempts: Number(r.max_attempts),
    timeout_ms: Number(r.timeout_ms),
    queued_at: Number(r.queued_at),
    started_at: startedAt,
    finished_at: finishedAt,
    duration_ms: startedAt !== null && finishedAt !== null ? Math.max(0, finishedAt - startedAt) : null,
    next_attempt_at: nullableNumber(r.next_attempt_at),
  };
}

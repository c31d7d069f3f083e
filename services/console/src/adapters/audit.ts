/**
 * The audit log (table console_audit, migration 011): a row is written before a state-changing
 * action is sent to its service and completed with the outcome afterwards, so an action that
 * cannot be recorded is not taken, and one whose outcome is unknown (crash) stays `pending`.
 */
import type { Database } from '@cte/shared';

export interface AuditEntry {
  id: number;
  ts: number;
  operator: string;
  role: string;
  action: string;
  target: string;
  detail: string;
  outcome: 'pending' | 'ok' | 'failed';
  error: string;
  trace_id: string;
  finished_at: number | null;
}

const MAX_DETAIL = 4000;

export class AuditLog {
  constructor(private readonly db: Database) {}

  async begin(e: { operator: string; role: string; action: string; target: string; detail: unknown; traceId: string }): Promise<number> {
    const detail = JSON.stringify(e.detail ?? {}).slice(0, MAX_DETAIL);
    const r = await this.db.execute(
      'INSERT INTO console_audit (ts, operator, role, action, target, detail, outcome, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [Date.now(), e.operator, e.role, e.action, e.target.slice(0, 128), detail, 'pending', e.traceId.slice(0, 64)],
    );
    return r.insertId;
  }

  async finish(id: number, outcome: 'ok' | 'failed', error = ''): Promise<void> {
    await this.db.execute('UPDATE console_audit SET outcome = ?, error = ?, finished_at = ? WHERE id = ?', [outcome, error.slice(0, 512), Date.now(), id]);
  }

  async recent(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT id, ts, operator, role, action, target, detail, outcome, error, trace_id, finished_at FROM console_audit
       ${beforeId !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ${Math.max(1, Math.min(500, Math.floor(limit)))}`,
      beforeId !== undefined ? [beforeId] : [],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      ts: Number(r.ts),
      operator: String(r.operator),
      role: String(r.role),
      action: String(r.action),
      target: String(r.target),
      detail: String(r.detail),
      outcome: String(r.outcome) as AuditEntry['outcome'],
      error: String(r.error),
      trace_id: String(r.trace_id),
      finished_at: r.finished_at === null ? null : Number(r.finished_at),
    }));
  }
}

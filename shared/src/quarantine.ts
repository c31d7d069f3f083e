/**
 * Quarantine of stored rows that cannot be restored at start (or driven by an outbox pass).
 *
 * A row that is valid SQL but no longer valid to the service (a monitor whose threshold was
 * stored as 0, an agent config a newer version refuses, a JSON column that does not parse...)
 * must not stop the process from starting: that turns one bad row into an outage that repeats on
 * every restart. Instead each such row is quarantined: deactivated where its table has a
 * status/active flag (otherwise skipped and left untouched for an operator), logged at warn with
 * its id and reason, counted in `cte_quarantined_rows_total{table,reason}`, and named in the
 * detail of the `quarantined_rows` readiness check (which stays ok: the service is ready).
 */
import { Counter, type Registry } from 'prom-client';
import { truncateText } from './describe';
import { DomainError } from './errors';
import type { Logger } from './logger';
import type { Readiness } from './readiness';

export const QUARANTINED_ROWS_TOTAL = 'cte_quarantined_rows_total';
export const QUARANTINE_READINESS_CHECK = 'quarantined_rows';

/** Bounded label values for `reason`. */
export type QuarantineReason = 'invalid_value' | 'malformed_json' | 'unreadable';

export interface QuarantinedRow {
  table: string;
  id: string;
  reason: QuarantineReason;
  /** The validation message (bounded). */
  message: string;
  /** 'deactivated': its status/active flag was cleared; 'skipped': left as stored, not loaded. */
  action: 'deactivated' | 'skipped';
}

const MAX_MESSAGE = 200;
const MAX_ID = 80;
/** Rows named in the readiness detail; the count covers all of them. */
const MAX_LISTED = 20;

function errorMessage(err: unknown): string {
  return truncateText(err instanceof Error ? err.message : String(err), MAX_MESSAGE);
}

/** The label for an error thrown while restoring a row. */
export function quarantineReasonOf(err: unknown): QuarantineReason {
  if (err instanceof SyntaxError) return 'malformed_json';
  if (err instanceof DomainError && err.code === 'INVALID_ARGUMENT') return 'invalid_value';
  return 'unreadable';
}

export interface QuarantineOptions {
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
}

export class Quarantine {
  private readonly rows: QuarantinedRow[] = [];
  private readonly counter: Counter<'table' | 'reason'>;

  constructor(private readonly o: QuarantineOptions) {
    const existing = o.registry.getSingleMetric(QUARANTINED_ROWS_TOTAL);
    this.counter =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: QUARANTINED_ROWS_TOTAL,
            help: 'Stored rows that could not be restored (at start, or by an outbox pass) and were quarantined (deactivated or skipped), by table and reason',
            labelNames: ['table', 'reason'],
            registers: [o.registry],
          });
  }

  /** Records one quarantined row: warn log, metric, readiness detail. */
  add(row: Omit<QuarantinedRow, 'message' | 'reason'> & { reason?: QuarantineReason; error: unknown; deactivateError?: string }): QuarantinedRow {
    const message = errorMessage(row.error);
    const q: QuarantinedRow = {
      table: row.table,
      id: truncateText(row.id, MAX_ID),
      reason: row.reason ?? quarantineReasonOf(row.error),
      message,
      action: row.action,
    };
    this.rows.push(q);
    this.counter.inc({ table: q.table, reason: q.reason });
    this.o.logger.warn(
      { table: q.table, id: q.id, reason: q.reason, action: q.action, err: q.message, ...(row.deactivateError !== undefined ? { deactivate_error: row.deactivateError } : {}) },
      'stored row quarantined',
    );
    if (this.rows.length === 1) this.o.readiness.addCheck(QUARANTINE_READINESS_CHECK, () => this.detail());
    return q;
  }

  list(): readonly QuarantinedRow[] {
    return this.rows;
  }

  /** The readiness detail: how many rows, and the first few as `table id (action, reason: message)`. */
  detail(): string {
    const n = this.rows.length;
    const listed = this.rows
      .slice(0, MAX_LISTED)
      .map((r) => `${r.table} ${r.id} (${r.action}, ${r.reason}: ${r.message})`)
      .join('; ');
    const more = n > MAX_LISTED ? `; and ${n - MAX_LISTED} more (see the warn logs)` : '';
    return `${n} stored row${n === 1 ? '' : 's'} quarantined: ${listed}${more}`;
  }
}

export interface RestoreRowsOptions<R, T> {
  table: string;
  quarantine: Quarantine;
  /** The row's key as an operator would look it up. */
  idOf: (row: R) => string;
  /** Turns the stored row into the in-memory thing (validating it); throws when it is not valid. */
  restore: (row: R) => T | Promise<T>;
  /**
   * Clears the row's status/active flag so it is not restored again. Absent when the table has no
   * such flag: the row is then skipped and left as stored. When deactivation fails the row is
   * still skipped (and the failure logged).
   */
  deactivate?: (row: R, reason: string) => Promise<void>;
}

/**
 * Restores every row it can; each row that throws is quarantined instead of aborting the start.
 * Returns the restored values in row order.
 */
export async function restoreRows<R, T>(rows: readonly R[], o: RestoreRowsOptions<R, T>): Promise<T[]> {
  const out: T[] = [];
  for (const row of rows) {
    let id = '(unknown id)';
    try {
      id = o.idOf(row);
      out.push(await o.restore(row));
    } catch (error) {
      // The database being unavailable says nothing about the row: let the start fail and retry.
      if (error instanceof DomainError && error.code === 'UNAVAILABLE') throw error;
      let action: QuarantinedRow['action'] = 'skipped';
      let deactivateError: string | undefined;
      if (o.deactivate) {
        try {
          await o.deactivate(row, errorMessage(error));
          action = 'deactivated';
        } catch (err) {
          deactivateError = errorMessage(err);
        }
      }
      o.quarantine.add({ table: o.table, id, action, error, deactivateError });
    }
  }
  return out;
}

/**
 * MySQL access of risk. It owns risk_events, risk_limits and trading_state
 * (shared/migrations/006_risk.sql).
 */
import { batchInsert, Dec, isDuplicateKeyError, type Database, type OrderSide, type Queryable, type SqlScalar, type TradingStateName } from '@cte/shared';
import type { Decision } from '../engine/types';

export type EventKind = 'check' | 'trading_state' | 'limits';

/** One risk_events row as written. */
export interface EventRow {
  id: string;
  kind: EventKind;
  recommendation_id: string | null;
  /** false: a transient rejection (portfolio_unavailable) that a retry decides again. */
  final: boolean;
  symbol: string | null;
  side: OrderSide | null;
  decision: Decision | null;
  reasons: string[];
  requested_qty: string | null;
  approved_qty: string | null;
  price: string | null;
  equity: string | null;
  reduces_position: boolean | null;
  trading_state: TradingStateName;
  previous_state: TradingStateName | null;
  updated_by: string | null;
  message: string | null;
  trace_id: string | null;
  ts: number;
  day: number | null;
  created_at: number;
}

/** A risk_events row as the API shows it. */
export interface RiskEventView extends EventRow {
  seq: number;
}

const COLUMNS = [
  'id', 'kind', 'recommendation_id', 'final', 'symbol', 'side', 'decision', 'reasons', 'requested_qty', 'approved_qty', 'price',
  'equity', 'reduces_position', 'trading_state', 'previous_state', 'updated_by', 'message', 'trace_id', 'ts', 'day', 'created_at',
] as const;

interface EventDbRow {
  seq: number | string;
  id: string;
  kind: EventKind;
  recommendation_id: string | null;
  final: number;
  symbol: string | null;
  side: OrderSide | null;
  decision: Decision | null;
  reasons: string | string[];
  requested_qty: string | null;
  approved_qty: string | null;
  price: string | null;
  equity: string | null;
  reduces_position: number | null;
  trading_state: TradingStateName;
  previous_state: TradingStateName | null;
  updated_by: string | null;
  message: string | null;
  trace_id: string | null;
  ts: number | string;
  day: number | null;
  created_at: number | string;
}

export interface TradingStateRow {
  state: TradingStateName;
  reason: string;
  updated_at: number;
  updated_by: string;
}

export interface EventQuery {
  limit: number;
  offset: number;
  decision?: Decision | undefined;
  kind?: EventKind | undefined;
  symbol?: string | undefined;
  recommendationId?: string | undefined;
}

function toParams(r: EventRow): SqlScalar[] {
  return [
    r.id, r.kind, r.recommendation_id, r.final ? 1 : 0, r.symbol, r.side, r.decision, JSON.stringify(r.reasons), r.requested_qty, r.approved_qty,
    r.price, r.equity, r.reduces_position === null ? null : r.reduces_position ? 1 : 0, r.trading_state, r.previous_state, r.updated_by, r.message,
    r.trace_id, r.ts, r.day, r.created_at,
  ];
}

const INSERT_ONE = `INSERT INTO risk_events (${COLUMNS.join(',')}) VALUES (${COLUMNS.map(() => '?').join(',')})`;

/** "0.500000000000000000" → "0.5". */
function dec(v: string | null): string | null {
  return v === null ? null : new Dec(v).toFixed();
}

function toView(r: EventDbRow): RiskEventView {
  // Drivers differ in whether they parse JSON columns (mysql2 does for MariaDB's JSON alias).
  let reasons: unknown = r.reasons;
  if (typeof reasons === 'string') {
    try {
      reasons = JSON.parse(reasons);
    } catch {
      reasons = [reasons];
    }
  }
  return {
    seq: Number(r.seq),
    id: r.id,
    kind: r.kind,
    recommendation_id: r.recommendation_id,
    final: Number(r.final) === 1,
    symbol: r.symbol,
    side: r.side,
    decision: r.decision,
    reasons: Array.isArray(reasons) ? reasons.map(String) : [],
    requested_qty: dec(r.requested_qty),
    approved_qty: dec(r.approved_qty),
    price: dec(r.price),
    equity: dec(r.equity),
    reduces_position: r.reduces_position === null ? null : Number(r.reduces_position) === 1,
    trading_state: r.trading_state,
    previous_state: r.previous_state,
    updated_by: r.updated_by,
    message: r.message,
    trace_id: r.trace_id,
    ts: Number(r.ts),
    day: r.day === null ? null : Number(r.day),
    created_at: Number(r.created_at),
  };
}

export class RiskRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts events in one statement per chunk. When a chunk hits a duplicate (a check decided
   * twice for one recommendation_id, which the service prevents), it falls back to row by row
   * and skips the duplicates. Returns the ids skipped.
   */
  async insertEvents(rows: readonly EventRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    try {
      await batchInsert(this.db, 'risk_events', COLUMNS, rows.map(toParams), { chunkSize: 500 });
      return [];
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const skipped: string[] = [];
    // Earlier chunks may have gone in: skip what is already there.
    const present = new Set(
      (await this.db.query<{ id: string }>('SELECT id FROM risk_events WHERE id IN (?)', [rows.map((r) => r.id)])).map((r) => r.id),
    );
    for (const r of rows) {
      if (present.has(r.id)) continue;
      try {
        await this.db.execute(INSERT_ONE, toParams(r));
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        skipped.push(r.id);
      }
    }
    return skipped;
  }

  async insertEvent(tx: Queryable, row: EventRow): Promise<void> {
    await tx.execute(INSERT_ONE, toParams(row));
  }

  /** The final decision stored for a recommendation, if any. */
  async findFinalCheck(recommendationId: string): Promise<RiskEventView | undefined> {
    const rows = await this.db.query<EventDbRow>('SELECT * FROM risk_events WHERE check_key = ? LIMIT 1', [recommendationId]);
    return rows[0] === undefined ? undefined : toView(rows[0]);
  }

  async listEvents(q: EventQuery): Promise<{ events: RiskEventView[]; total: number }> {
    const conds: string[] = [];
    const params: Array<string | number> = [];
    if (q.decision !== undefined) {
      conds.push('decision = ?');
      params.push(q.decision);
    }
    if (q.kind !== undefined) {
      conds.push('kind = ?');
      params.push(q.kind);
    }
    if (q.symbol !== undefined) {
      conds.push('symbol = ?');
      params.push(q.symbol);
    }
    if (q.recommendationId !== undefined) {
      conds.push('recommendation_id = ?');
      params.push(q.recommendationId);
    }
    const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = await this.db.query<EventDbRow>(`SELECT * FROM risk_events ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]);
    const [count] = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM risk_events ${where}`, params);
    return { events: rows.map(toView), total: Number(count?.n ?? 0) };
  }

  /** Approved (and resized) final decisions per day and symbol, for days >= `sinceDay`. */
  async loadTradeCounts(sinceDay: number): Promise<Array<{ day: number; symbol: string; n: number }>> {
    const rows = await this.db.query<{ day: number; symbol: string; n: number | string }>(
      `SELECT day, symbol, COUNT(*) AS n FROM risk_events
        WHERE kind = 'check' AND final = 1 AND decision IN ('APPROVED', 'RESIZED') AND day >= ?
        GROUP BY day, symbol`,
      [sinceDay],
    );
    return rows.map((r) => ({ day: Number(r.day), symbol: r.symbol, n: Number(r.n) }));
  }

  /** The newest day with a check decision, or undefined. */
  async latestCheckDay(): Promise<number | undefined> {
    const [row] = await this.db.query<{ d: number | null }>("SELECT MAX(day) AS d FROM risk_events WHERE kind = 'check'");
    return row?.d === null || row?.d === undefined ? undefined : Number(row.d);
  }

  /** The newest final decisions, newest first. */
  async loadRecentDecisions(limit: number): Promise<RiskEventView[]> {
    const rows = await this.db.query<EventDbRow>('SELECT * FROM risk_events WHERE check_key IS NOT NULL ORDER BY seq DESC LIMIT ?', [limit]);
    return rows.map(toView);
  }

  /** Recommendation ids with a final decision, in seq order after `afterSeq` (for the startup filter). */
  async scanCheckKeys(afterSeq: number, limit: number): Promise<Array<{ seq: number; key: string }>> {
    const rows = await this.db.query<{ seq: number | string; check_key: string }>(
      'SELECT seq, check_key FROM risk_events WHERE seq > ? AND check_key IS NOT NULL ORDER BY seq LIMIT ?',
      [afterSeq, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), key: r.check_key }));
  }

  async countCheckKeys(): Promise<number> {
    const [row] = await this.db.query<{ n: number | string }>('SELECT COUNT(check_key) AS n FROM risk_events');
    return Number(row?.n ?? 0);
  }

  // --- limits -------------------------------------------------------------------------------

  async loadLimitOverrides(): Promise<Array<{ name: string; value: unknown }>> {
    // As text: drivers differ in whether they parse JSON columns; parsed here exactly once.
    const rows = await this.db.query<{ name: string; value: string }>('SELECT name, CAST(value AS CHAR) AS value FROM risk_limits ORDER BY name');
    return rows.map((r) => ({ name: r.name, value: JSON.parse(r.value) as unknown }));
  }

  /** Stores overrides (`set`), drops `reset` ones and records the change, in one transaction. */
  async saveLimits(set: Record<string, string | string[]>, reset: readonly string[], updatedBy: string, now: number, event: EventRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const [name, value] of Object.entries(set)) {
        await tx.execute(
          `INSERT INTO risk_limits (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)`,
          [name, JSON.stringify(value), now, updatedBy],
        );
      }
      if (reset.length > 0) await tx.execute('DELETE FROM risk_limits WHERE name IN (?)', [reset]);
      await this.insertEvent(tx, event);
    });
  }

  // --- trading state ------------------------------------------------------------------------

  async loadTradingState(): Promise<TradingStateRow | undefined> {
    const [row] = await this.db.query<TradingStateRow>('SELECT state, reason, updated_at, updated_by FROM trading_state WHERE id = 1');
    return row === undefined ? undefined : { state: row.state, reason: row.reason, updated_at: Number(row.updated_at), updated_by: row.updated_by };
  }

  /** Stores the state and records the change, in one transaction. */
  async saveTradingState(s: TradingStateRow, event: EventRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO trading_state (id, state, reason, updated_at, updated_by) VALUES (1, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE state = VALUES(state), reason = VALUES(reason), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)`,
        [s.state, s.reason, s.updated_at, s.updated_by],
      );
      await this.insertEvent(tx, event);
    });
  }
}

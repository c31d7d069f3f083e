/**
 * `ml_signals` (owned by signal-generator): every signal of agents and models.
 * UNIQUE (agent_id, symbol, timeframe, bar_time) makes a write idempotent per
 * bar: a replayed bar never doubles a signal, and `insert` reports which
 * signals were new, so only those are published.
 */
import { isDuplicateKeyError, textColumn, type Database, type SignalMessage, type SignalSide, type Timeframe } from '@cte/shared';

export interface SignalQuery {
  symbol?: string | undefined;
  agentId?: string | undefined;
  fromBarTime?: number | undefined;
  toBarTime?: number | undefined;
  limit: number;
  offset: number;
}

export class SignalRepository {
  constructor(private readonly db: Database) {}

  /** Stores the signals; returns those that were new (a duplicate bar of the same source is skipped). */
  async insert(signals: readonly SignalMessage[]): Promise<SignalMessage[]> {
    const fresh: SignalMessage[] = [];
    for (const s of signals) {
      // A plain INSERT: the unique key rejects a second signal of the same source for the same bar.
      // (Not ON DUPLICATE KEY UPDATE: with CLIENT_FOUND_ROWS an unchanged duplicate also reports 1 row.)
      try {
        await this.db.execute(
          `INSERT INTO ml_signals (id, agent_id, source_type, symbol, timeframe, side, confidence, horizon_ms, price, model_version, features_ref, bar_time, created_at, trace_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            s.id,
            s.agent_id,
            s.source_type,
            s.symbol,
            s.timeframe,
            s.side,
            s.confidence.toFixed(8),
            s.horizon_ms,
            s.price,
            s.model_version ?? null,
            s.features_ref ?? null,
            s.bar_time,
            s.created_at,
            s.trace_id,
          ],
        );
      } catch (err) {
        if (isDuplicateKeyError(err)) continue;
        throw err;
      }
      fresh.push(s);
    }
    return fresh;
  }

  /** Newest bar first. */
  async list(q: SignalQuery): Promise<{ signals: SignalMessage[]; total: number }> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.symbol !== undefined) {
      where.push('symbol = ?');
      params.push(q.symbol);
    }
    if (q.agentId !== undefined) {
      where.push('agent_id = ?');
      params.push(q.agentId);
    }
    if (q.fromBarTime !== undefined) {
      where.push('bar_time >= ?');
      params.push(q.fromBarTime);
    }
    if (q.toBarTime !== undefined) {
      where.push('bar_time <= ?');
      params.push(q.toBarTime);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, count] = await Promise.all([
      this.db.query<Record<string, unknown>>(`SELECT * FROM ml_signals ${clause} ORDER BY bar_time DESC, id LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]),
      this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ml_signals ${clause}`, params),
    ]);
    return { signals: rows.map(toSignal), total: Number(count[0]?.n ?? 0) };
  }
}

/** DECIMAL strings without trailing zeros ("101.500000000000000000" → "101.5"). */
function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function toSignal(r: Record<string, unknown>): SignalMessage {
  const s: SignalMessage = {
    id: String(r.id),
    agent_id: String(r.agent_id),
    source_type: String(r.source_type),
    symbol: String(r.symbol),
    timeframe: String(r.timeframe) as Timeframe,
    side: String(r.side) as SignalSide,
    confidence: Number(r.confidence),
    horizon_ms: Number(r.horizon_ms),
    price: trimDecimal(String(r.price)),
    bar_time: Number(r.bar_time),
    created_at: Number(r.created_at),
    trace_id: String(r.trace_id),
  };
  if (r.model_version !== null && r.model_version !== undefined) s.model_version = textColumn(r.model_version, 'ml_signals.model_version');
  if (r.features_ref !== null && r.features_ref !== undefined) s.features_ref = textColumn(r.features_ref, 'ml_signals.features_ref');
  return s;
}

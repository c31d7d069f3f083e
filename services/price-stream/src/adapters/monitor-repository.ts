import { batchInsert, numberToDecimalString, textColumn, type Database } from '@cte/shared';
import type { MonitorSpec } from '../engine/price-monitor';

export interface StoredMonitor extends MonitorSpec {
  active: boolean;
  createdAt: number;
  stoppedAt: number | null;
}

export interface StoredAlert {
  id: string;
  monitorId: string;
  symbol: string;
  direction: 'up' | 'down';
  changePct: number;
  referencePrice: string;
  price: string;
  windowMs: number;
  ts: number;
  traceId: string | null;
}

export interface AlertQuery {
  symbol?: string | undefined;
  monitorId?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  limit: number;
  offset: number;
}

/** `price_monitors` and `price_alerts`, owned by price-stream. */
export class MonitorRepository {
  constructor(private readonly db: Database) {}

  async insertMonitor(m: MonitorSpec, createdAt: number): Promise<void> {
    await this.db.execute(
      'INSERT INTO price_monitors (id, symbol, threshold_pct, window_ms, active, created_at) VALUES (?, ?, ?, ?, 1, ?)',
      [m.id, m.symbol, numberToDecimalString(m.thresholdPct), m.windowMs, createdAt],
    );
  }

  /** Returns false when there was no active monitor with this id. */
  async stopMonitor(id: string, stoppedAt: number): Promise<boolean> {
    const res = await this.db.execute('UPDATE price_monitors SET active = 0, stopped_at = ? WHERE id = ? AND active = 1', [stoppedAt, id]);
    return res.affectedRows === 1;
  }

  async getMonitor(id: string): Promise<StoredMonitor | undefined> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT * FROM price_monitors WHERE id = ?', [id]);
    return rows[0] ? toMonitor(rows[0]) : undefined;
  }

  async listMonitors(includeInactive: boolean): Promise<StoredMonitor[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM price_monitors ${includeInactive ? '' : 'WHERE active = 1'} ORDER BY created_at, id`,
    );
    return rows.map(toMonitor);
  }

  async insertAlerts(alerts: readonly StoredAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await batchInsert(
      this.db,
      'price_alerts',
      ['id', 'monitor_id', 'symbol', 'direction', 'change_pct', 'reference_price', 'price', 'window_ms', 'ts', 'trace_id'],
      alerts.map((a) => [a.id, a.monitorId, a.symbol, a.direction, a.changePct.toFixed(8), a.referencePrice, a.price, a.windowMs, a.ts, a.traceId]),
    );
  }

  async listAlerts(q: AlertQuery): Promise<{ alerts: StoredAlert[]; total: number }> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.symbol !== undefined) {
      where.push('symbol = ?');
      params.push(q.symbol);
    }
    if (q.monitorId !== undefined) {
      where.push('monitor_id = ?');
      params.push(q.monitorId);
    }
    if (q.fromMs !== undefined) {
      where.push('ts >= ?');
      params.push(q.fromMs);
    }
    if (q.toMs !== undefined) {
      where.push('ts <= ?');
      params.push(q.toMs);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, count] = await Promise.all([
      this.db.query<Record<string, unknown>>(`SELECT * FROM price_alerts ${clause} ORDER BY ts DESC, id LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]),
      this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM price_alerts ${clause}`, params),
    ]);
    return { alerts: rows.map(toAlert), total: Number(count[0]?.n ?? 0) };
  }
}

function toMonitor(r: Record<string, unknown>): StoredMonitor {
  return {
    id: String(r.id),
    symbol: String(r.symbol),
    thresholdPct: Number(r.threshold_pct),
    windowMs: Number(r.window_ms),
    active: Number(r.active) === 1,
    createdAt: Number(r.created_at),
    stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
  };
}

function toAlert(r: Record<string, unknown>): StoredAlert {
  return {
    id: String(r.id),
    monitorId: String(r.monitor_id),
    symbol: String(r.symbol),
    direction: r.direction === 'down' ? 'down' : 'up',
    changePct: Number(r.change_pct),
    referencePrice: String(r.reference_price).replace(/\.?0+$/, ''),
    price: String(r.price).replace(/\.?0+$/, ''),
    windowMs: Number(r.window_ms),
    ts: Number(r.ts),
    traceId: r.trace_id === null ? null : textColumn(r.trace_id, 'price_alerts.trace_id'),
  };
}

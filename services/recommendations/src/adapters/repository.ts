/**
 * MySQL access of recommendations. It owns trade_recommendations and recommendation_events
 * (shared/migrations/005_recommendations.sql). Every status change is a compare-and-set on the
 * current status, checked against the state machine, and written in one transaction with its
 * history rows, so concurrent drivers (the flow, order events, the sweeper) never overwrite
 * each other.
 */
import { Dec, isDuplicateKeyError, type Database, type SqlParam } from '@cte/shared';
import { assertTransition, isStatus, type RecommendationStatus } from '../engine/state-machine';
import type { OrderSideName } from '../engine/kelly-sizer';
import type { NewRecommendation, RecommendationRecord, RecommendationSource, StatusChangeRecord } from './records';

const FINAL_ORDER_STATUSES = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'FAILED'];

interface Row {
  id: string;
  symbol: string;
  side: OrderSideName;
  status: RecommendationStatus;
  source: RecommendationSource;
  consensus_id: string | null;
  consensus_ts: number | string | null;
  idempotency_key: string | null;
  confidence: string | null;
  hit_rate: string | null;
  calibration: string | null;
  win_probability: string | null;
  payoff_ratio: string | null;
  kelly_fraction: string | null;
  fraction: string | null;
  equity: string | null;
  qty: string;
  approved_qty: string | null;
  price: string | null;
  notional: string | null;
  atr: string | null;
  stop_loss: string | null;
  take_profit: string | null;
  client_order_id: string | null;
  order_id: string | null;
  order_status: string | null;
  filled_qty: string | null;
  avg_fill_price: string | null;
  risk_event_id: string | null;
  reasons: string | string[] | null;
  note: string | null;
  submit_attempts: number | string;
  trace_id: string;
  created_at: number | string;
  updated_at: number | string;
  checked_at: number | string | null;
}

/** Fields a status change (or an order observation) may set. */
export type RecordPatch = Partial<
  Pick<RecommendationRecord, 'approvedQty' | 'clientOrderId' | 'orderId' | 'orderStatus' | 'filledQty' | 'avgFillPrice' | 'riskEventId' | 'reasons'>
>;

const PATCH_COLUMNS: ReadonlyArray<[keyof RecordPatch, string]> = [
  ['approvedQty', 'approved_qty'],
  ['clientOrderId', 'client_order_id'],
  ['orderId', 'order_id'],
  ['orderStatus', 'order_status'],
  ['filledQty', 'filled_qty'],
  ['avgFillPrice', 'avg_fill_price'],
  ['riskEventId', 'risk_event_id'],
  ['reasons', 'reasons'],
];

export interface TransitionStep {
  to: RecommendationStatus;
  reason: string;
}

export interface ListQuery {
  status?: RecommendationStatus | undefined;
  symbol?: string | undefined;
  limit: number;
  offset: number;
}

/** Work the sweeper looks for. */
export type DueKind = 'pending' | 'unacked' | 'orders';

export class RecommendationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a new recommendation as `pending` (history: null → pending), and when `then` is
   * given moves it on in the same transaction (e.g. → rejected, no_edge). Returns undefined,
   * writing nothing, when its consensus id or idempotency key is already stored.
   */
  async insert(rec: NewRecommendation, reason: string, then?: TransitionStep): Promise<RecommendationRecord | undefined> {
    const status: RecommendationStatus = then ? then.to : 'pending';
    if (then) assertTransition('pending', then.to);
    const cols: Array<[string, SqlParam]> = [
      ['id', rec.id],
      ['symbol', rec.symbol],
      ['side', rec.side],
      ['status', status],
      ['source', rec.source],
      ['consensus_id', rec.consensusId],
      ['consensus_ts', rec.consensusTs],
      ['idempotency_key', rec.idempotencyKey],
      ['confidence', rec.confidence],
      ['hit_rate', rec.hitRate],
      ['calibration', rec.calibration],
      ['win_probability', rec.winProbability],
      ['payoff_ratio', rec.payoffRatio],
      ['kelly_fraction', rec.kellyFraction],
      ['fraction', rec.fraction],
      ['equity', rec.equity],
      ['qty', rec.qty],
      ['approved_qty', then?.to === 'rejected' ? '0' : null],
      ['price', rec.price],
      ['notional', rec.notional],
      ['atr', rec.atr],
      ['stop_loss', rec.stopLoss],
      ['take_profit', rec.takeProfit],
      ['reasons', JSON.stringify(rec.reasons)],
      ['note', rec.note],
      ['trace_id', rec.traceId],
      ['created_at', rec.createdAt],
      ['updated_at', rec.createdAt],
    ];
    try {
      await this.db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO trade_recommendations (${cols.map((c) => c[0]).join(',')}) VALUES (${cols.map(() => '?').join(',')})`, cols.map((c) => c[1]));
        const events: SqlParam[][] = [[rec.id, null, 'pending', reason, rec.createdAt]];
        if (then) events.push([rec.id, 'pending', then.to, then.reason, rec.createdAt]);
        await tx.execute(`INSERT INTO recommendation_events (recommendation_id, from_status, to_status, reason, ts) VALUES ${events.map(() => '(?,?,?,?,?)').join(',')}`, events.flat());
      });
    } catch (err) {
      if (isDuplicateKeyError(err)) return undefined;
      throw err;
    }
    return await this.get(rec.id);
  }

  async get(id: string): Promise<RecommendationRecord | undefined> {
    const rows = await this.db.query<Row>('SELECT * FROM trade_recommendations WHERE id = ?', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async getByIdempotencyKey(key: string): Promise<RecommendationRecord | undefined> {
    const rows = await this.db.query<Row>('SELECT * FROM trade_recommendations WHERE idempotency_key = ?', [key]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async consensusExists(consensusId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 AS x FROM trade_recommendations WHERE consensus_id = ? LIMIT 1', [consensusId]);
    return rows.length > 0;
  }

  async history(id: string): Promise<StatusChangeRecord[]> {
    const rows = await this.db.query<{ from_status: string | null; to_status: string; reason: string; ts: number | string }>(
      'SELECT from_status, to_status, reason, ts FROM recommendation_events WHERE recommendation_id = ? ORDER BY seq',
      [id],
    );
    return rows.map((r) => ({
      from: isStatus(r.from_status) ? r.from_status : null,
      status: r.to_status as RecommendationStatus,
      reason: r.reason,
      ts: Number(r.ts),
    }));
  }

  /** Newest first. */
  async list(q: ListQuery): Promise<{ rows: RecommendationRecord[]; total: number }> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.symbol) {
      where.push('symbol = ?');
      params.push(q.symbol);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.db.query<Row>(`SELECT * FROM trade_recommendations ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]);
    const total = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM trade_recommendations ${clause}`, params);
    return { rows: rows.map(fromRow), total: Number(total[0]?.n ?? 0) };
  }

  /** Is a recommendation for this symbol and side still open (pending, approved, resized, submitted)? */
  async hasOpen(symbol: string, side: OrderSideName): Promise<boolean> {
    const rows = await this.db.query(
      "SELECT 1 AS x FROM trade_recommendations WHERE symbol = ? AND side = ? AND status IN ('pending','approved','resized','submitted') LIMIT 1",
      [symbol, side],
    );
    return rows.length > 0;
  }

  /**
   * Whether a consensus recommendation for `symbol` on `side` at consensus data time `ts` (the same
   * bar close) exists that was not rejected: a consensus of the other side on the same bar (another
   * timeframe) must not trade against it and pay fees twice.
   */
  async hasSideAtConsensusTs(symbol: string, side: OrderSideName, ts: number): Promise<boolean> {
    const rows = await this.db.query(
      "SELECT 1 AS x FROM trade_recommendations WHERE symbol = ? AND side = ? AND source = 'consensus' AND consensus_ts = ? AND status <> 'rejected' LIMIT 1",
      [symbol, side, ts],
    );
    return rows.length > 0;
  }

  /** Data time of the latest consensus recommendation risk approved (or resized) for symbol and side. */
  async lastApprovedConsensusTs(symbol: string, side: OrderSideName): Promise<number | undefined> {
    const rows = await this.db.query<{ ts: number | string | null }>(
      "SELECT MAX(consensus_ts) AS ts FROM trade_recommendations WHERE symbol = ? AND side = ? AND source = 'consensus' AND approved_qty > 0",
      [symbol, side],
    );
    const ts = rows[0]?.ts;
    return ts === null || ts === undefined ? undefined : Number(ts);
  }

  /**
   * Moves `id` from `from` through `steps` (each checked against the state machine) in one
   * transaction, setting `patch`. False, writing nothing, when the recommendation is no longer
   * in `from` (someone else moved it first).
   */
  async transition(id: string, from: RecommendationStatus, steps: readonly TransitionStep[], patch: RecordPatch, now: number): Promise<boolean> {
    if (steps.length === 0) throw new Error('transition needs at least one step');
    let at = from;
    for (const s of steps) {
      assertTransition(at, s.to);
      at = s.to;
    }
    const [sets, params] = patchSql(patch);
    return this.db.transaction(async (tx) => {
      const res = await tx.execute(`UPDATE trade_recommendations SET status = ?, updated_at = ?${sets} WHERE id = ? AND status = ?`, [at, now, ...params, id, from]);
      if (res.affectedRows !== 1) return false;
      let prev = from;
      const events: SqlParam[][] = [];
      for (const s of steps) {
        events.push([id, prev, s.to, s.reason.slice(0, 500), now]);
        prev = s.to;
      }
      await tx.execute(`INSERT INTO recommendation_events (recommendation_id, from_status, to_status, reason, ts) VALUES ${events.map(() => '(?,?,?,?,?)').join(',')}`, events.flat());
      return true;
    });
  }

  /** Sets fields without a status change, if the status (and, when given, the order status) is still as expected. */
  async patch(id: string, status: RecommendationStatus, patch: RecordPatch, expectOrderStatus?: string | null): Promise<boolean> {
    const [sets, params] = patchSql(patch);
    if (sets === '') return true;
    const extra = expectOrderStatus === undefined ? '' : ' AND order_status <=> ?';
    const extraParams = expectOrderStatus === undefined ? [] : [expectOrderStatus];
    const res = await this.db.execute(`UPDATE trade_recommendations SET ${sets.slice(2)} WHERE id = ? AND status = ?${extra}`, [...params, id, status, ...extraParams]);
    return res.affectedRows === 1;
  }

  /** Records that the sweeper looked at it (spaces out retries and polls); optionally counts a submission. */
  async touch(id: string, now: number, submitted = false): Promise<void> {
    await this.db.execute(`UPDATE trade_recommendations SET checked_at = ?${submitted ? ', submit_attempts = submit_attempts + 1' : ''} WHERE id = ?`, [now, id]);
  }

  async countSubmission(id: string): Promise<void> {
    await this.db.execute('UPDATE trade_recommendations SET submit_attempts = submit_attempts + 1 WHERE id = ?', [id]);
  }

  /**
   * Recommendations the sweeper must look at, untouched (no status change, no sweep) since `cutoff`:
   * pending (no risk decision yet), unacked (approved/resized, no order id), orders (submitted or
   * partially filled with an order that may still change).
   */
  async due(kind: DueKind, cutoff: number, limit: number): Promise<RecommendationRecord[]> {
    const idle = 'GREATEST(updated_at, COALESCE(checked_at, 0)) <= ?';
    const sql: Record<DueKind, string> = {
      pending: `status = 'pending' AND ${idle}`,
      unacked: `status IN ('approved','resized') AND order_id IS NULL AND ${idle}`,
      orders: `status IN ('submitted','partially_filled') AND (order_status IS NULL OR order_status NOT IN (${FINAL_ORDER_STATUSES.map(() => '?').join(',')})) AND ${idle}`,
    };
    const params: SqlParam[] = kind === 'orders' ? [...FINAL_ORDER_STATUSES, cutoff, limit] : [cutoff, limit];
    const rows = await this.db.query<Row>(`SELECT * FROM trade_recommendations WHERE ${sql[kind]} ORDER BY seq LIMIT ?`, params);
    return rows.map(fromRow);
  }
}

function patchSql(patch: RecordPatch): [string, SqlParam[]] {
  let sets = '';
  const params: SqlParam[] = [];
  for (const [key, col] of PATCH_COLUMNS) {
    if (!(key in patch) || patch[key] === undefined) continue;
    sets += `, ${col} = ?`;
    params.push(key === 'reasons' ? JSON.stringify(patch.reasons) : patch[key]);
  }
  return [sets, params];
}

const dec = (s: string | null): string | null => (s === null ? null : new Dec(s).toFixed());
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(r: Row): RecommendationRecord {
  let reasons: unknown = r.reasons;
  if (typeof reasons === 'string') {
    try {
      reasons = JSON.parse(reasons);
    } catch {
      reasons = [];
    }
  }
  return {
    id: r.id,
    symbol: r.symbol,
    side: r.side,
    status: r.status,
    source: r.source,
    consensusId: r.consensus_id,
    consensusTs: num(r.consensus_ts),
    idempotencyKey: r.idempotency_key,
    confidence: dec(r.confidence),
    hitRate: dec(r.hit_rate),
    calibration: r.calibration,
    winProbability: dec(r.win_probability),
    payoffRatio: dec(r.payoff_ratio),
    kellyFraction: dec(r.kelly_fraction),
    fraction: dec(r.fraction),
    equity: dec(r.equity),
    qty: new Dec(r.qty).toFixed(),
    approvedQty: dec(r.approved_qty),
    price: dec(r.price),
    notional: dec(r.notional),
    atr: dec(r.atr),
    stopLoss: dec(r.stop_loss),
    takeProfit: dec(r.take_profit),
    clientOrderId: r.client_order_id,
    orderId: r.order_id,
    orderStatus: r.order_status,
    filledQty: dec(r.filled_qty),
    avgFillPrice: dec(r.avg_fill_price),
    riskEventId: r.risk_event_id,
    reasons: Array.isArray(reasons) ? reasons.filter((x): x is string => typeof x === 'string') : [],
    note: r.note,
    submitAttempts: Number(r.submit_attempts),
    traceId: r.trace_id,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    checkedAt: num(r.checked_at),
  };
}

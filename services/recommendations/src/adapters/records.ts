import type { RecommendationStatus } from '../engine/state-machine';
import type { OrderSideName } from '../engine/kelly-sizer';

export type RecommendationSource = 'consensus' | 'rebalance' | 'manual';

/** A stored recommendation. Decimals are plain decimal strings (trailing zeros removed); null = unknown. */
export interface RecommendationRecord {
  id: string;
  symbol: string;
  side: OrderSideName;
  status: RecommendationStatus;
  source: RecommendationSource;
  consensusId: string | null;
  consensusTs: number | null;
  idempotencyKey: string | null;
  confidence: string | null;
  hitRate: string | null;
  calibration: string | null;
  winProbability: string | null;
  payoffRatio: string | null;
  kellyFraction: string | null;
  fraction: string | null;
  equity: string | null;
  qty: string;
  approvedQty: string | null;
  price: string | null;
  notional: string | null;
  atr: string | null;
  stopLoss: string | null;
  takeProfit: string | null;
  clientOrderId: string | null;
  orderId: string | null;
  orderStatus: string | null;
  filledQty: string | null;
  avgFillPrice: string | null;
  riskEventId: string | null;
  reasons: string[];
  note: string | null;
  submitAttempts: number;
  traceId: string;
  createdAt: number;
  updatedAt: number;
  checkedAt: number | null;
}

/** A new recommendation, before its first status. */
export type NewRecommendation = Omit<
  RecommendationRecord,
  'status' | 'approvedQty' | 'clientOrderId' | 'orderId' | 'orderStatus' | 'filledQty' | 'avgFillPrice' | 'riskEventId' | 'submitAttempts' | 'updatedAt' | 'checkedAt'
>;

export interface StatusChangeRecord {
  from: RecommendationStatus | null;
  status: RecommendationStatus;
  reason: string;
  ts: number;
}

/** The REST view (the gRPC message has the same fields, with '' for null). */
export interface RecommendationView {
  id: string;
  symbol: string;
  side: OrderSideName;
  status: RecommendationStatus;
  source: RecommendationSource;
  consensus_id: string | null;
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
  reasons: string[];
  note: string | null;
  idempotency_key: string | null;
  submit_attempts: number;
  created_at: number;
  updated_at: number;
  trace_id: string;
  history?: Array<{ status: RecommendationStatus; from: RecommendationStatus | null; reason: string; ts: number }>;
}

export function toView(r: RecommendationRecord, history?: readonly StatusChangeRecord[]): RecommendationView {
  const v: RecommendationView = {
    id: r.id,
    symbol: r.symbol,
    side: r.side,
    status: r.status,
    source: r.source,
    consensus_id: r.consensusId,
    confidence: r.confidence,
    hit_rate: r.hitRate,
    calibration: r.calibration,
    win_probability: r.winProbability,
    payoff_ratio: r.payoffRatio,
    kelly_fraction: r.kellyFraction,
    fraction: r.fraction,
    equity: r.equity,
    qty: r.qty,
    approved_qty: r.approvedQty,
    price: r.price,
    notional: r.notional,
    atr: r.atr,
    stop_loss: r.stopLoss,
    take_profit: r.takeProfit,
    client_order_id: r.clientOrderId,
    order_id: r.orderId,
    order_status: r.orderStatus,
    filled_qty: r.filledQty,
    avg_fill_price: r.avgFillPrice,
    reasons: r.reasons,
    note: r.note,
    idempotency_key: r.idempotencyKey,
    submit_attempts: r.submitAttempts,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    trace_id: r.traceId,
  };
  if (history) v.history = history.map((h) => ({ status: h.status, from: h.from, reason: h.reason, ts: h.ts }));
  return v;
}

import { randomUUID } from 'node:crypto';
import { describeValue, ConflictError, Dec, InvalidArgumentError, isMessageTraceId, newTraceId, NotFoundError, parseDecimalColumn, parseIdField, parseSideField, parseTraceIdField, type TradableSymbols } from '@cte/shared';
import { isStatus, STATUSES, type RecommendationStatus } from '../engine/state-machine';
import type { OrderSideName } from '../engine/kelly-sizer';
import type { RecommendationFlow } from './flow';
import type { MarketData } from './market-data';
import type { RecommendationsMetrics } from './metrics';
import { toView, type RecommendationRecord, type RecommendationSource, type RecommendationView } from './records';
import type { RecommendationRepository } from './repository';
import { TRADE_RECOMMENDATIONS } from './columns';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
export const MAX_OFFSET = 1_000_000;

export interface RawListQuery {
  status?: unknown;
  symbol?: unknown;
  limit?: unknown;
  offset?: unknown;
}

export interface RawProposal {
  symbol?: unknown;
  side?: unknown;
  qty?: unknown;
  source?: unknown;
  reason?: unknown;
  idempotency_key?: unknown;
  trace_id?: unknown;
  /** Used when trace_id is empty (e.g. the gRPC call's x-trace-id), if it fits the trading path's trace id alphabet. */
  fallback_trace_id?: string;
}

/**
 * The use cases behind REST and gRPC, so validation and errors are the same on both: bad input
 * is InvalidArgumentError (400 / INVALID_ARGUMENT) naming the field, unknown ids NotFoundError,
 * a reused idempotency key with other parameters ConflictError (409 / ALREADY_EXISTS).
 */
export class RecommendationsApi {
  constructor(
    private readonly o: {
      repo: RecommendationRepository;
      flow: RecommendationFlow;
      market: Pick<MarketData, 'latestPrice'>;
      metrics: RecommendationsMetrics;
      /** The fleet's tradable symbols: proposals and queries naming another are refused (400). */
      symbols: TradableSymbols;
      now?: () => number;
    },
  ) {}

  async get(rawId: unknown): Promise<RecommendationView> {
    const id = parseIdField(rawId, 'id');
    const rec = await this.o.repo.get(id);
    if (!rec) throw new NotFoundError(`recommendation ${id} not found`);
    return toView(rec, await this.o.repo.history(rec.id));
  }

  /** Newest first; without history (GET one for that). */
  async list(q: RawListQuery): Promise<{ recommendations: RecommendationView[]; total: number; limit: number; offset: number }> {
    let status: RecommendationStatus | undefined;
    if (q.status !== undefined && q.status !== '') {
      if (!isStatus(q.status)) throw new InvalidArgumentError(`status must be one of ${STATUSES.join(', ')}, got ${describeValue(q.status)}`);
      status = q.status;
    }
    const symbol = q.symbol === undefined || q.symbol === '' ? undefined : this.o.symbols.require(q.symbol);
    const limit = optionalInt(q.limit, 'limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
    const offset = optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0;
    const { rows, total } = await this.o.repo.list({ status, symbol, limit, offset });
    return { recommendations: rows.map((r) => toView(r)), total, limit, offset };
  }

  /**
   * A recommendation that does not come from a consensus (portfolio's rebalancing, operators):
   * the given quantity, no Kelly sizing, through the same risk → execution flow. Idempotent by
   * idempotency_key: the same key returns the same recommendation (in its current state); the
   * same key with a different symbol, side, qty or source is a conflict.
   */
  async propose(raw: RawProposal): Promise<RecommendationView> {
    const p = parseProposal(raw, this.o.symbols);
    const existing = await this.o.repo.getByIdempotencyKey(p.idempotencyKey);
    if (existing) return this.replay(existing, p);
    const now = (this.o.now ?? Date.now)();
    const price = this.o.market.latestPrice(p.symbol);
    const stored = await this.o.repo.insert(
      {
        id: randomUUID(),
        symbol: p.symbol,
        side: p.side,
        source: p.source,
        consensusId: null,
        consensusTs: null,
        idempotencyKey: p.idempotencyKey,
        confidence: null,
        hitRate: null,
        calibration: null,
        winProbability: null,
        payoffRatio: null,
        kellyFraction: null,
        fraction: null,
        equity: null,
        qty: p.qty.toFixed(),
        price: price?.toFixed() ?? null,
        notional: price ? p.qty.times(price).toDecimalPlaces(18).toFixed() : null,
        atr: null,
        stopLoss: null,
        takeProfit: null,
        reasons: [],
        note: p.reason,
        traceId: p.traceId,
        createdAt: now,
      },
      `proposed (${p.source})${p.reason ? `: ${p.reason}` : ''}`,
    );
    if (!stored) {
      // A concurrent Propose with the same key won the insert.
      const winner = await this.o.repo.getByIdempotencyKey(p.idempotencyKey);
      if (!winner) throw new ConflictError('idempotency_key is being used concurrently; retry');
      return this.replay(winner, p);
    }
    this.o.metrics.recommendations.inc({ status: 'pending' });
    await this.o.flow.drive(stored.id);
    return this.get(stored.id);
  }

  private async replay(existing: RecommendationRecord, p: Proposal): Promise<RecommendationView> {
    if (existing.symbol !== p.symbol || existing.side !== p.side || !new Dec(existing.qty).eq(p.qty) || existing.source !== p.source) {
      throw new ConflictError(`idempotency_key ${p.idempotencyKey} was already used for a different proposal (recommendation ${existing.id})`);
    }
    return this.get(existing.id);
  }
}

interface Proposal {
  symbol: string;
  side: OrderSideName;
  qty: Dec;
  source: Exclude<RecommendationSource, 'consensus'>;
  reason: string | null;
  idempotencyKey: string;
  traceId: string;
}

function parseProposal(raw: RawProposal, symbols: TradableSymbols): Proposal {
  const symbol = symbols.require(raw.symbol);
  const side = parseSideField(raw.side);
  if (typeof raw.qty !== 'string') throw new InvalidArgumentError(`qty must be a decimal string > 0, got ${describeValue(raw.qty)}`);
  const qty = parseDecimalColumn(raw.qty, 'qty', TRADE_RECOMMENDATIONS.qty, { positive: true });
  const source = raw.source === undefined || raw.source === '' ? 'manual' : raw.source;
  if (source !== 'rebalance' && source !== 'manual') throw new InvalidArgumentError(`source must be rebalance or manual, got ${describeValue(raw.source)}`);
  const idempotencyKey = parseIdField(raw.idempotency_key, 'idempotency_key');
  let reason: string | null = null;
  if (raw.reason !== undefined && raw.reason !== '') {
    if (typeof raw.reason !== 'string' || raw.reason.length > 500) throw new InvalidArgumentError('reason must be a string of at most 500 characters');
    reason = raw.reason;
  }
  const traceId = parseTraceIdField(raw.trace_id) ?? (isMessageTraceId(raw.fallback_trace_id) ? raw.fallback_trace_id : newTraceId());
  return { symbol, side, qty, source, reason, idempotencyKey, traceId };
}

function optionalInt(raw: unknown, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const s = typeof raw === 'number' ? String(raw) : raw;
  if (typeof s !== 'string' || !/^\d{1,9}$/.test(s)) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${describeValue(raw)}`);
  const n = Number(s);
  if (n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${n}`);
  return n;
}

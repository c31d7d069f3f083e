/**
 * Drives a recommendation through risk and execution:
 *
 *   pending ──Check──► approved | resized (client_order_id persisted) | rejected
 *   approved | resized ──Submit(client_order_id = rec-<id>, market)──► submitted ──► order outcome
 *
 * The decision (with the client order id) is committed BEFORE Submit is called, so a crash or
 * a lost ack leaves an approved recommendation with its client order id; the sweeper then sends
 * the very same client order id again, and execution (idempotent by client order id) returns the
 * existing order instead of creating a second one. Peer failures never throw out of `drive`:
 * what could not be done now is left in its state for the sweeper.
 */
import { ConflictError, Dec, DomainError, FailedPreconditionError, InvalidArgumentError, NotFoundError, type Logger } from '@cte/shared';
import { clientOrderIdFor, isFinalOrderStatus, orderOutcome, orderTransitions } from '../engine/orders';
import type { RecommendationStatus } from '../engine/state-machine';
import type { ExecutionPort, OrderView } from './execution.gateway';
import type { RecommendationsMetrics } from './metrics';
import type { RecommendationRecord } from './records';
import type { RecordPatch, RecommendationRepository, TransitionStep } from './repository';
import type { RiskPort } from './risk.gateway';

export interface FlowOptions {
  repo: RecommendationRepository;
  risk: RiskPort;
  execution: ExecutionPort;
  metrics: RecommendationsMetrics;
  logger: Logger;
  now?: () => number;
}

export interface DriveOptions {
  /** Wall time of the consensus envelope: the decision latency is measured from it. */
  consensusEnvelopeTs?: number;
}

/** A decision later than this after its consensus is not a pipeline latency (e.g. a restart). */
const MAX_PLAUSIBLE_LATENCY_MS = 3_600_000;
const MAX_CAS_RETRIES = 5;

/** Errors after which asking again cannot succeed. */
function isDefinitive(err: unknown): err is DomainError {
  return err instanceof InvalidArgumentError || err instanceof FailedPreconditionError || err instanceof NotFoundError;
}

export class RecommendationFlow {
  private readonly now: () => number;
  /** Recommendations being driven by this process right now (the sweeper leaves them alone). */
  private readonly inflight = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly o: FlowOptions) {
    this.now = o.now ?? Date.now;
  }

  isInflight(id: string): boolean {
    return this.inflight.has(id);
  }

  /** Resolves when every drive started so far has finished (shutdown). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Runs `fn` for `id` unless it is already being driven here; tracked for drain(). */
  async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.inflight.has(id)) return undefined;
    this.inflight.add(id);
    const p = fn();
    this.running.add(p);
    try {
      return await p;
    } finally {
      this.running.delete(p);
      this.inflight.delete(id);
    }
  }

  /** Takes the recommendation as far as it can go now; returns its latest state. */
  async drive(id: string, opts: DriveOptions = {}): Promise<RecommendationRecord | undefined> {
    await this.exclusive(id, async () => {
      for (let step = 0; step < 4; step++) {
        const rec = await this.o.repo.get(id);
        if (!rec) return;
        if (rec.status === 'pending') {
          if (!(await this.decide(rec, opts))) return;
        } else if ((rec.status === 'approved' || rec.status === 'resized') && rec.orderId === null) {
          await this.submit(rec);
          return;
        } else {
          return;
        }
      }
    });
    return this.o.repo.get(id);
  }

  /** Asks risk; true when the recommendation moved on (so driving may continue). */
  private async decide(rec: RecommendationRecord, opts: DriveOptions): Promise<boolean> {
    const log = this.o.logger.child({ trace_id: rec.traceId, recommendation_id: rec.id });
    let decision;
    try {
      decision = await this.o.risk.check({
        recommendationId: rec.id,
        symbol: rec.symbol,
        side: rec.side,
        qty: new Dec(rec.qty),
        price: rec.price === null ? undefined : new Dec(rec.price),
        traceId: rec.traceId,
      });
    } catch (err) {
      this.o.metrics.peerFailures.inc({ peer: 'risk' });
      if (isDefinitive(err)) {
        return this.move(rec, [{ to: 'rejected', reason: `risk_refused: ${err.message}` }], { approvedQty: '0', reasons: [...rec.reasons, 'risk_refused'] });
      }
      log.warn({ err: (err as Error).message }, 'risk check failed; the sweeper retries');
      return false;
    }
    const qty = new Dec(rec.qty);
    let to: RecommendationStatus;
    let approved = decision.approvedQty;
    if (decision.decision === 'REJECTED' || approved.lte(0)) {
      to = 'rejected';
      approved = new Dec(0);
    } else if (decision.decision === 'RESIZED' || approved.lt(qty)) {
      if (approved.gt(qty)) {
        log.error({ approved_qty: approved.toFixed(), qty: rec.qty }, 'risk resized above the proposed quantity; the sweeper asks again');
        return false;
      }
      to = 'resized';
    } else {
      to = 'approved';
      approved = qty;
    }
    const reasons = [...new Set([...rec.reasons, ...decision.reasons])];
    const why = `risk ${decision.decision}${decision.reasons.length ? `: ${decision.reasons.join(', ')}` : ''}`;
    const patch: RecordPatch = { approvedQty: approved.toFixed(), riskEventId: decision.eventId || null, reasons };
    if (to !== 'rejected') patch.clientOrderId = clientOrderIdFor(rec.id);
    const moved = await this.move(rec, [{ to, reason: why }], patch);
    if (moved && opts.consensusEnvelopeTs !== undefined) {
      const ms = this.now() - opts.consensusEnvelopeTs;
      if (ms >= 0 && ms <= MAX_PLAUSIBLE_LATENCY_MS) this.o.metrics.pipelineLatency.observe({ stage: 'decision' }, ms / 1000);
    }
    log.info({ decision: decision.decision, approved_qty: approved.toFixed(), reasons: decision.reasons }, 'risk decision');
    return moved;
  }

  /**
   * Sends the order of an approved/resized recommendation (its client order id is already
   * stored). Used for the first submission and by the sweeper's retries alike.
   */
  async submit(rec: RecommendationRecord): Promise<void> {
    const log = this.o.logger.child({ trace_id: rec.traceId, recommendation_id: rec.id });
    const clientOrderId = rec.clientOrderId ?? clientOrderIdFor(rec.id);
    if (rec.approvedQty === null) throw new Error(`recommendation ${rec.id} is ${rec.status} without approved_qty`);
    await this.o.repo.countSubmission(rec.id);
    let order: OrderView;
    try {
      order = await this.o.execution.submit({
        clientOrderId,
        recommendationId: rec.id,
        symbol: rec.symbol,
        side: rec.side,
        qty: rec.approvedQty,
        traceId: rec.traceId,
        // The consensus's data time (its bar's close), stored with the recommendation, so a retry
        // after a restart sends the same one and the paper venue fills it the same way.
        ...(rec.consensusTs !== null ? { dataTime: rec.consensusTs } : {}),
      });
    } catch (err) {
      this.o.metrics.peerFailures.inc({ peer: 'execution' });
      if (err instanceof ConflictError) {
        // The client order id exists at execution: adopt that order rather than guess.
        await this.adoptByClientOrderId(rec);
        return;
      }
      if (isDefinitive(err)) {
        await this.move(rec, [{ to: 'failed', reason: `submit_refused: ${err.message}` }], { reasons: [...rec.reasons, 'submit_refused'] });
        log.warn({ err: err.message }, 'execution refused the order');
        return;
      }
      log.warn({ err: (err as Error).message, client_order_id: clientOrderId }, 'submit not acknowledged; the sweeper re-submits the same client order id');
      return;
    }
    await this.observeOrder(rec.id, order, 'submit');
  }

  /**
   * For an approved recommendation past its TTL: the order exists → follow it; execution says
   * there is none → expired. Any other answer leaves it for the next sweep (never expire what
   * may be live).
   */
  async expireOrAdopt(rec: RecommendationRecord): Promise<void> {
    const clientOrderId = rec.clientOrderId ?? clientOrderIdFor(rec.id);
    let order: OrderView;
    try {
      order = await this.o.execution.getOrder({ clientOrderId }, rec.traceId);
    } catch (err) {
      if (err instanceof NotFoundError) {
        await this.move(rec, [{ to: 'expired', reason: 'not_submitted_within_ttl' }], { reasons: [...rec.reasons, 'expired'] });
        return;
      }
      this.o.metrics.peerFailures.inc({ peer: 'execution' });
      this.o.logger.warn({ err: (err as Error).message, recommendation_id: rec.id }, 'cannot verify the order of an expiring recommendation; retrying later');
      return;
    }
    await this.observeOrder(rec.id, order, 'poll');
  }

  async expirePending(rec: RecommendationRecord): Promise<void> {
    await this.move(rec, [{ to: 'expired', reason: 'not_submitted_within_ttl: no risk decision' }], { reasons: [...rec.reasons, 'expired'] });
  }

  /** Polls execution for the order of a submitted recommendation. */
  async poll(rec: RecommendationRecord): Promise<void> {
    let order: OrderView;
    try {
      order = await this.o.execution.getOrder(rec.orderId ? { id: rec.orderId } : { clientOrderId: rec.clientOrderId ?? clientOrderIdFor(rec.id) }, rec.traceId);
    } catch (err) {
      this.o.metrics.peerFailures.inc({ peer: 'execution' });
      this.o.logger.warn({ err: (err as Error).message, recommendation_id: rec.id }, 'GetOrder failed; retrying later');
      return;
    }
    await this.observeOrder(rec.id, order, 'poll');
  }

  private async adoptByClientOrderId(rec: RecommendationRecord): Promise<void> {
    try {
      const order = await this.o.execution.getOrder({ clientOrderId: rec.clientOrderId ?? clientOrderIdFor(rec.id) }, rec.traceId);
      await this.observeOrder(rec.id, order, 'poll');
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, recommendation_id: rec.id }, 'cannot read the existing order; retrying later');
    }
  }

  /**
   * Applies what execution says about the order of a recommendation (Submit's answer, an
   * `events.orders` event or a GetOrder poll). Idempotent and monotonic: an older view of the
   * order (e.g. a late ack after the fill event) changes nothing.
   */
  async observeOrder(id: string, order: OrderView, via: 'submit' | 'event' | 'poll'): Promise<RecommendationRecord | undefined> {
    const outcome = orderOutcome(order.status, order.filledQty, order.reason);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const rec = await this.o.repo.get(id);
      if (!rec) return undefined;
      if (rec.clientOrderId === null || (order.clientOrderId !== '' && order.clientOrderId !== rec.clientOrderId)) {
        this.o.logger.warn({ recommendation_id: id, client_order_id: order.clientOrderId }, 'order does not belong to this recommendation; ignored');
        return rec;
      }
      if (rec.orderId !== null && rec.orderId !== order.id) {
        this.o.logger.warn({ recommendation_id: id, order_id: order.id, known: rec.orderId }, 'a different order id for this recommendation; ignored');
        return rec;
      }
      const patch: RecordPatch = {};
      if (isProgress(rec, order)) {
        patch.orderStatus = order.status;
        patch.filledQty = new Dec(order.filledQty).toFixed();
        if (order.avgFillPrice !== '') patch.avgFillPrice = order.avgFillPrice;
      }
      if (rec.orderId === null) patch.orderId = order.id;
      const statuses = orderTransitions(rec.status, outcome.status);
      if (statuses.length === 0) {
        if (Object.keys(patch).length === 0) return rec;
        if (await this.o.repo.patch(id, rec.status, patch, rec.orderStatus)) return this.o.repo.get(id);
        continue;
      }
      const steps: TransitionStep[] = statuses.map((s) => ({
        to: s,
        reason: s === 'submitted' ? `order ${order.id} acknowledged (${via})` : `${outcome.reason} (${via})`,
      }));
      if (outcome.status === 'failed' || outcome.status === 'expired') patch.reasons = [...new Set([...rec.reasons, outcome.reason.split(':')[0] as string])];
      if (await this.move(rec, steps, patch)) return this.o.repo.get(id);
    }
    this.o.logger.warn({ recommendation_id: id }, 'order observation lost repeated races; the sweeper polls again');
    return undefined;
  }

  /** One compare-and-set transition, counted in the metrics. */
  private async move(rec: RecommendationRecord, steps: TransitionStep[], patch: RecordPatch): Promise<boolean> {
    const ok = await this.o.repo.transition(rec.id, rec.status, steps, patch, this.now());
    if (ok) for (const s of steps) this.o.metrics.recommendations.inc({ status: s.to });
    return ok;
  }
}

const RANK: Readonly<Record<string, number>> = { NEW: 0, SUBMITTED: 1, PARTIALLY_FILLED: 2 };

/** Is `order` newer than what the recommendation knows (status further on, or more filled)? */
function isProgress(rec: RecommendationRecord, order: OrderView): boolean {
  if (rec.orderStatus === null) return true;
  if (isFinalOrderStatus(rec.orderStatus)) return false;
  const rank = (s: string) => (isFinalOrderStatus(s) ? 3 : (RANK[s] ?? 0));
  if (rank(order.status) !== rank(rec.orderStatus)) return rank(order.status) > rank(rec.orderStatus);
  return new Dec(order.filledQty).gt(rec.filledQty ?? '0');
}

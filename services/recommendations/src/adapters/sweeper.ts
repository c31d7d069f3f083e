import { DomainError, type Logger, type Quarantine } from '@cte/shared';
import type { RecommendationFlow } from './flow';
import type { RecommendationsMetrics } from './metrics';
import type { RecommendationRecord } from './records';
import type { RecommendationRepository } from './repository';

export interface SweeperOptions {
  repo: RecommendationRepository;
  flow: RecommendationFlow;
  metrics: RecommendationsMetrics;
  logger: Logger;
  intervalMs: number;
  /** Not submitted within this long after creation → expired. */
  ttlMs: number;
  /** Idle this long in pending/approved/resized → re-driven (Check again / Submit again). */
  retryAfterMs: number;
  /** Idle this long in submitted/partially_filled with a live order → GetOrder. */
  orderPollAfterMs: number;
  batch?: number;
  now?: () => number;
  /**
   * Where a recommendation goes that fails to be driven for another reason than an unavailable
   * database (a stored row the flow cannot handle): counted and shown in /ready once, skipped by
   * this pass, never a reason for the rest of the pass not to run.
   */
  quarantine?: Quarantine;
}

/**
 * The outbox sweeper. Every interval, for recommendations idle for a while:
 * - pending (no risk decision stored: risk was down, or the process died): Check again (risk's
 *   Check is idempotent per recommendation id); past REC_TTL_MS → expired;
 * - approved/resized without an order id (Submit not acknowledged: lost ack, execution down,
 *   crash between persisting the decision and the ack): Submit again with the SAME client order
 *   id (execution returns the existing order instead of creating one); past REC_TTL_MS, GetOrder
 *   by client order id decides: the order exists → follow it, NOT_FOUND → expired;
 * - submitted/partially_filled with an order not yet final: GetOrder (order events are pub/sub,
 *   so they can be lost).
 * Recommendations being driven by this process at the moment are skipped. One replica: two
 * replicas would both re-submit, which stays safe (same client order id) but wastes calls.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly quarantined = new Set<string>();

  constructor(private readonly o: SweeperOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => {
      if (this.current || this.stopped) return;
      this.current = this.sweep()
        .catch((err: unknown) => this.o.logger.error({ err }, 'sweep failed'))
        .finally(() => (this.current = undefined));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.current;
  }

  /** Runs one recommendation's step; a failure other than an unavailable database skips just that one. */
  private async isolated(id: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'UNAVAILABLE') throw error;
      if (this.quarantined.has(id)) {
        this.o.logger.debug({ recommendation_id: id, err: (error as Error).message }, 'quarantined recommendation failed again; skipped');
        return;
      }
      this.quarantined.add(id);
      if (this.o.quarantine) this.o.quarantine.add({ table: 'trade_recommendations', id, action: 'skipped', error });
      else this.o.logger.warn({ recommendation_id: id, err: (error as Error).message }, 'recommendation could not be driven; skipped');
    }
  }

  /** One pass over everything due. */
  async sweep(): Promise<void> {
    const { repo, flow, metrics } = this.o;
    const batch = this.o.batch ?? 100;
    const now = this.now();
    const expired = (r: RecommendationRecord) => now - r.createdAt >= this.o.ttlMs;

    for (const due of await repo.due('pending', now - this.o.retryAfterMs, batch)) {
      if (this.stopped) return;
      if (flow.isInflight(due.id)) continue;
      await repo.touch(due.id, now);
      await this.isolated(due.id, async () => {
        if (expired(due)) {
          await flow.exclusive(due.id, async () => {
            const rec = await repo.get(due.id);
            if (rec?.status === 'pending') await flow.expirePending(rec);
          });
        } else {
          this.o.logger.info({ recommendation_id: due.id }, 'no risk decision stored; checking again');
          await flow.drive(due.id);
        }
      });
    }

    for (const due of await repo.due('unacked', now - this.o.retryAfterMs, batch)) {
      if (this.stopped) return;
      await this.isolated(due.id, () => flow.exclusive(due.id, async () => {
        const rec = await repo.get(due.id);
        if (!rec || (rec.status !== 'approved' && rec.status !== 'resized') || rec.orderId !== null) return;
        await repo.touch(rec.id, now);
        if (expired(rec)) {
          await flow.expireOrAdopt(rec);
          return;
        }
        metrics.submitRetries.inc();
        this.o.logger.info({ recommendation_id: rec.id, client_order_id: rec.clientOrderId, attempts: rec.submitAttempts }, 're-submitting an unacknowledged order');
        await flow.submit(rec);
      }));
    }

    for (const due of await repo.due('orders', now - this.o.orderPollAfterMs, batch)) {
      if (this.stopped) return;
      await this.isolated(due.id, () => flow.exclusive(due.id, async () => {
        const rec = await repo.get(due.id);
        if (!rec || (rec.status !== 'submitted' && rec.status !== 'partially_filled')) return;
        await repo.touch(rec.id, now);
        await flow.poll(rec);
      }));
    }
  }
}

import { ID_RE, type Bus, type Envelope, type Logger, type Subscription } from '@cte/shared';
import { isOrderStatus, recommendationIdOf } from '../engine/orders';
import type { OrderView } from './execution.gateway';
import type { RecommendationFlow } from './flow';
import type { RecommendationsMetrics } from './metrics';

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * The `events.orders` subscriber: moves submitted recommendations to filled / partially_filled /
 * failed / expired as execution reports. Matched by recommendation_id, else by our client order
 * id (`rec-<id>`); events of other orders are counted as unknown. Pub/sub is lossy: the sweeper
 * also polls GetOrder for recommendations that stay without a final status.
 */
export class OrderEvents {
  private sub: Subscription | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      bus: Pick<Bus, 'subscribe'>;
      channel: string;
      flow: RecommendationFlow;
      metrics: RecommendationsMetrics;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    this.sub = await this.o.bus.subscribe(this.o.channel, (env) => {
      const p = this.handle(env).finally(() => this.running.delete(p));
      this.running.add(p);
    });
  }

  async stop(): Promise<void> {
    await this.sub?.unsubscribe();
    this.sub = undefined;
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async handle(env: Envelope<unknown>): Promise<void> {
    const { metrics, logger } = this.o;
    const d = env.data as Record<string, unknown> | null;
    const str = (k: string): string | undefined => {
      const v = d?.[k];
      return typeof v === 'string' ? v : undefined;
    };
    const orderId = str('order_id');
    const clientOrderId = str('client_order_id') ?? '';
    const status = d?.status;
    const filled = str('filled_qty') ?? '0';
    if (!orderId || !ID_RE.test(orderId) || !isOrderStatus(status) || !DECIMAL.test(filled) || (clientOrderId !== '' && !ID_RE.test(clientOrderId))) {
      metrics.orderEvents.inc({ outcome: 'invalid' });
      logger.warn({ trace_id: env.trace_id }, 'ignored malformed order event');
      return;
    }
    const recId = str('recommendation_id') || recommendationIdOf(clientOrderId);
    if (!recId || !ID_RE.test(recId)) {
      metrics.orderEvents.inc({ outcome: 'unknown' });
      return;
    }
    const avg = str('avg_fill_price') ?? '';
    const order: OrderView = {
      id: orderId,
      clientOrderId,
      status,
      filledQty: filled,
      avgFillPrice: DECIMAL.test(avg) ? avg : '',
      reason: (str('reason') ?? '').slice(0, 200),
    };
    try {
      const rec = await this.o.flow.observeOrder(recId, order, 'event');
      metrics.orderEvents.inc({ outcome: rec ? 'applied' : 'unknown' });
    } catch (err) {
      metrics.orderEvents.inc({ outcome: 'failed' });
      logger.error({ err, trace_id: env.trace_id, recommendation_id: recId }, 'applying an order event failed');
    }
  }
}

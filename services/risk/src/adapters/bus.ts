/**
 * Bus wiring: price ticks (pub/sub `data.ticks.*`) into the price book, fills (durable stream
 * `events.fills`, consumer group `risk`, acked after the handler) to drop the cached exposure,
 * order events (pub/sub `events.orders`) to free pending exposure of orders that ended unfilled,
 * feed statuses (pub/sub `data.feeds`) into the feed book,
 * and the trading state out on `commands.trading_state`.
 */
import { parseFillMessage, type Bus, type Consumer, type Logger, type Subscription, type TradingStateMessage } from '@cte/shared';
import type { RiskService } from './risk-service';

export interface RiskBusOptions {
  bus: Bus;
  service: RiskService;
  logger: Logger;
  ticksPattern: string;
  fillsStream: string;
  ordersChannel: string;
  /** Feed statuses from price-stream; undefined = not subscribed. */
  feedsChannel?: string | undefined;
  consumerGroup: string;
  consumerName: string;
}

export class RiskBus {
  private subs: Subscription[] = [];
  private consumer: Consumer | undefined;
  private malformedFills = 0;

  constructor(private readonly o: RiskBusOptions) {}

  /** Subscribes to ticks and order events (before serving, so prices are there early). */
  async subscribe(): Promise<void> {
    const { bus, service } = this.o;
    this.subs.push(await bus.subscribe(this.o.ticksPattern, (env) => void service.onTick(env.data)));
    this.subs.push(await bus.subscribe(this.o.ordersChannel, (env) => service.onOrderEvent(env.data)));
    if (this.o.feedsChannel !== undefined) this.subs.push(await bus.subscribe(this.o.feedsChannel, (env) => void service.onFeedStatus(env.data)));
  }

  /** Joins the consumer group on the fills stream. */
  async consumeFills(): Promise<void> {
    this.consumer = await this.o.bus.consume(this.o.fillsStream, this.o.consumerGroup, this.o.consumerName, async (env) => {
      let fill;
      try {
        fill = parseFillMessage(env.data);
      } catch (err) {
        // Not ours to repair (the ledger's input); a fill we cannot read still changed the portfolio.
        this.malformedFills++;
        this.o.logger.warn({ err: (err as Error).message, trace_id: env.trace_id }, 'malformed fill on the fills stream; exposure dropped anyway');
        this.o.service.onFill({ ts: env.ts });
        return;
      }
      this.o.service.onFill(fill);
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await Promise.all(this.subs.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
  }

  get malformed(): number {
    return this.malformedFills;
  }
}

export function tradingStatePublisher(bus: Bus, channel: string): (msg: TradingStateMessage) => Promise<void> {
  return (msg) => bus.publish(channel, { type: 'trading_state', data: msg });
}

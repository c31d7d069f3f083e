/**
 * Marks from price-stream's conflated ticks (`data.ticks.*`, Redis pub/sub, `PriceMessage`). Pub/sub
 * is lossy and that is fine here: a missed tick only means a slightly older mark until the next one.
 * A tick's `ts` is data time: it drives the portfolio's UTC day (see Portfolio).
 * Malformed messages are counted and dropped.
 */
import { parseSymbol, symbolToChannelKey, type Bus, type Envelope, type Logger, type Subscription } from '@cte/shared';
import { Exact, fitsColumn, round18, type Decimal } from '../engine/money';
import type { Portfolio } from '../engine/portfolio';
import type { PortfolioMetrics } from './metrics';

export const TICK_PATTERN = 'data.ticks.*';

const POSITIVE_DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;

interface TickData {
  symbol?: unknown;
  price?: unknown;
  ts?: unknown;
}

export interface PriceFeedOptions {
  bus: Pick<Bus, 'subscribe'>;
  portfolio: Portfolio;
  metrics: PortfolioMetrics;
  logger: Logger;
}

export class PriceFeed {
  private sub: Subscription | undefined;
  private dropped = 0;

  constructor(private readonly o: PriceFeedOptions) {}

  async start(): Promise<void> {
    this.sub = await this.o.bus.subscribe<TickData>(TICK_PATTERN, (env, channel) => this.onTick(env, channel));
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.unsubscribe();
  }

  onTick(env: Envelope<TickData>, channel: string): void {
    const d = env.data;
    let symbol: string;
    try {
      symbol = parseSymbol(d?.symbol);
    } catch {
      return this.drop(channel, 'bad symbol');
    }
    if (!channel.endsWith(`.${symbolToChannelKey(symbol)}`)) return this.drop(channel, 'symbol does not match the channel');
    const raw = d.price;
    if (typeof raw !== 'string' || raw.length > 60 || !POSITIVE_DECIMAL.test(raw)) return this.drop(channel, 'bad price');
    const price: Decimal = round18(new Exact(raw));
    if (!price.gt(0) || !fitsColumn(price)) return this.drop(channel, 'price out of range');
    const ts = d.ts;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return this.drop(channel, 'bad time');
    this.o.portfolio.onPrice(symbol, price, ts);
    this.o.metrics.ticks.inc();
  }

  private drop(channel: string, reason: string): void {
    this.o.metrics.ticksDropped.inc();
    // One warning per 1,000 drops: a misbehaving publisher must not flood the log.
    if (this.dropped++ % 1000 === 0) this.o.logger.warn({ channel, reason, dropped: this.dropped }, 'dropped malformed price message');
  }
}

import { Dec, parseSymbol, symbolToChannelKey, type Bus, type Envelope, type Logger, type Subscription, type Symbol, type TradableSymbols } from '@cte/shared';
import type { TraceTimes } from '@cte/shared';

export const TICK_PATTERN = 'data.ticks.*';
export const BAR_PATTERN = 'data.bars.*';

export interface PriceFeedOptions {
  bus: Bus;
  logger: Logger;
  traceTimes: TraceTimes;
  /** Ticks of other symbols are ignored (the venue only prices what the fleet trades). */
  symbols: TradableSymbols;
  /** A valid price: symbol, price, data time. */
  onPrice(symbol: Symbol, price: Dec, ts: number): void;
}

const PRICE = /^\d+(\.\d+)?$/;

/**
 * price-stream's conflated ticks (`data.ticks.{BASE-QUOTE}`, pub/sub) drive the mock venue. Bars
 * (`data.bars.*`) are only noted for their trace ids, so a fill can be timed from the bar its
 * order's decision came from (signals carry the bar's trace id). Malformed messages are dropped.
 */
export class PriceFeed {
  private subs: Subscription[] = [];
  private dropped = 0;

  constructor(private readonly o: PriceFeedOptions) {}

  async start(): Promise<void> {
    this.subs.push(await this.o.bus.subscribe<unknown>(TICK_PATTERN, (env, channel) => this.onTick(env, channel)));
    this.subs.push(await this.o.bus.subscribe<unknown>(BAR_PATTERN, (env) => this.o.traceTimes.note(env.trace_id, env.ts)));
  }

  async stop(): Promise<void> {
    const subs = this.subs;
    this.subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => undefined)));
  }

  onTick(env: Envelope<unknown>, channel: string): void {
    const d = (typeof env.data === 'object' && env.data !== null ? env.data : {}) as { symbol?: unknown; price?: unknown; ts?: unknown };
    let symbol: Symbol;
    try {
      symbol = parseSymbol(d.symbol);
    } catch {
      return this.drop(channel, 'bad symbol');
    }
    if (channel !== `data.ticks.${symbolToChannelKey(symbol)}`) return this.drop(channel, 'symbol does not match the channel');
    if (!this.o.symbols.has(symbol)) return;
    if (typeof d.price !== 'string' || !PRICE.test(d.price)) return this.drop(channel, 'bad price');
    const price = new Dec(d.price);
    if (!price.gt(0)) return this.drop(channel, 'price must be > 0');
    if (typeof d.ts !== 'number' || !Number.isSafeInteger(d.ts) || d.ts <= 0) return this.drop(channel, 'bad ts');
    this.o.traceTimes.note(env.trace_id, env.ts);
    this.o.onPrice(symbol, price, d.ts);
  }

  private drop(channel: string, reason: string): void {
    if (this.dropped++ % 1000 === 0) this.o.logger.warn({ channel, reason, dropped: this.dropped }, 'dropped malformed price message');
  }
}

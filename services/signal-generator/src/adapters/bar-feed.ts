import { parseBarMessage, type Bar, type Bus, type Envelope, type Logger, type Subscription, type Timeframe } from '@cte/shared';

/** Where a bar came from: its envelope's trace id and publish time (for pipeline latency). */
export interface BarOrigin {
  traceId: string;
  publishedAt: number;
}

/**
 * Closed bars from price-stream (`data.bars.{tf}.*` pub/sub). Bars of one (exchange, symbol,
 * timeframe) are handled strictly one after another, in arrival order; different keys run
 * concurrently. Malformed bars are counted and dropped.
 */
export class BarFeed {
  private subs: Subscription[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly o: {
      bus: Bus;
      timeframes: readonly Timeframe[];
      logger: Logger;
      onBar: (bar: Bar, origin: BarOrigin) => Promise<void>;
      onRejected?: (reason: string) => void;
      /** Symbols followed (tradable, and in SYMBOLS when set); bars of others are ignored. */
      follows?: (symbol: string) => boolean;
    },
  ) {}

  async start(): Promise<void> {
    for (const tf of this.o.timeframes) {
      this.subs.push(await this.o.bus.subscribe(`data.bars.${tf}.*`, (env) => this.accept(env)));
    }
  }

  private accept(env: Envelope<unknown>): void {
    if (this.stopped) return;
    let bar: Bar;
    const origin: BarOrigin = { traceId: env.trace_id, publishedAt: env.ts };
    try {
      bar = parseBarMessage(env.data);
    } catch (err) {
      this.o.onRejected?.((err as Error).message);
      this.o.logger.warn({ err: (err as Error).message }, 'bar rejected');
      return;
    }
    if (this.o.follows !== undefined && !this.o.follows(bar.symbol)) return;
    const key = `${bar.exchange}|${bar.symbol}|${bar.timeframe}`;
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(() => this.o.onBar(bar, origin))
      .catch((err: Error) => this.o.logger.error({ err: err.message, symbol: bar.symbol, timeframe: bar.timeframe }, 'bar handling failed'));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Stops taking bars and waits for the ones in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.subs.map((s) => s.unsubscribe()));
    this.subs = [];
    await Promise.all([...this.chains.values()]);
  }
}

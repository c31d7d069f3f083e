import { parseBarMessage, type Bar, type Bus, type Logger, type Subscription, type Timeframe } from '@cte/shared';

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
      onBar: (bar: Bar) => Promise<void>;
      onRejected?: (reason: string) => void;
    },
  ) {}

  async start(): Promise<void> {
    for (const tf of this.o.timeframes) {
      this.subs.push(await this.o.bus.subscribe(`data.bars.${tf}.*`, (env) => this.accept(env.data)));
    }
  }

  private accept(raw: unknown): void {
    if (this.stopped) return;
    let bar: Bar;
    try {
      bar = parseBarMessage(raw);
    } catch (err) {
      this.o.onRejected?.((err as Error).message);
      this.o.logger.warn({ err: (err as Error).message }, 'bar rejected');
      return;
    }
    const key = `${bar.exchange}|${bar.symbol}|${bar.timeframe}`;
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(() => this.o.onBar(bar))
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

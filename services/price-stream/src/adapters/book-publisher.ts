import { BOOK_TOP_TYPE, type BookTopMessage, type Bus, type Logger, type Symbol } from '@cte/shared';
import { BookTopConflator } from '../engine/book-top';
import { bookChannel } from './channels';
import type { BookTopSink } from './sources/ccxt-book';

export interface BookTopPublisherOptions {
  bus: Bus;
  logger: Logger;
  /** Flush period: at most one top per (exchange, symbol) per period (TICK_CONFLATE_MS, as for prices). */
  conflateMs: number;
}

/**
 * Publishes book tops on `data.book.{BASE-QUOTE}`, conflated per (exchange, symbol) and flushed on a
 * timer like prices. A top the book feed invalidates (a gap found after it) is dropped unpublished.
 * A failed publish is logged; the next change publishes the book's state anyway.
 */
export class BookTopPublisher implements BookTopSink {
  private readonly conflator = new BookTopConflator();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: BookTopPublisherOptions) {}

  top(msg: BookTopMessage): void {
    this.conflator.add(msg);
  }

  invalidate(exchange: string, symbol: Symbol): void {
    this.conflator.discard(exchange, symbol);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.o.conflateMs);
  }

  /** Stops the timer, publishes what is pending and waits for publishes in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Publishes the pending tops now (the timer's job; public for tests). */
  flush(): void {
    for (const msg of this.conflator.drain()) {
      const p = this.o.bus
        .publish(bookChannel(msg.symbol), { type: BOOK_TOP_TYPE, data: msg })
        .catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message, exchange: msg.exchange, symbol: msg.symbol }, 'book top publish failed'))
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }
}

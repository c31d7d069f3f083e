import type { Bar, Logger } from '@cte/shared';

/** Where closed bars end up; implemented by the MySQL repository. Must be idempotent per bar key. */
export interface BarStore {
  upsertBars(bars: readonly Bar[]): Promise<void>;
}

export interface BarWriterOptions {
  store: BarStore;
  logger: Logger;
  batchSize: number;
  flushMs: number;
  /** Above this many pending bars, `enqueue` returns false and producers should await `whenWritable`. */
  maxQueue: number;
  onBatchWritten?: (bars: number, seconds: number) => void;
  onWriteFailed?: (err: Error) => void;
}

interface Pending {
  bar: Bar;
  enqueuedAt: number;
}

/**
 * A bounded write-behind queue for closed bars. Bars leave the queue only after the store
 * has committed them, so a failed or slow database never loses a bar: the queue grows,
 * producers get backpressure, and readiness reports the lag.
 */
export class BarWriter {
  private queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private waiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly opts: BarWriterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  /** Accepts the bar (never drops it); returns false when the producer should slow down. */
  enqueue(bar: Bar): boolean {
    this.queue.push({ bar, enqueuedAt: Date.now() });
    if (this.pending() >= this.opts.batchSize) void this.flush();
    return this.pending() < this.opts.maxQueue;
  }

  pending(): number {
    return this.queue.length - this.head;
  }

  /** Resolves once the queue is below its bound. */
  whenWritable(): Promise<void> {
    if (this.pending() < this.opts.maxQueue) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Age in ms of the oldest bar not yet committed (0 when none). */
  lagMs(now = Date.now()): number {
    const oldest = this.queue[this.head];
    return oldest ? now - oldest.enqueuedAt : 0;
  }

  /** Writes one batch if any is due; concurrent calls share the same in-flight write. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending() === 0 || Date.now() < this.retryAt) return Promise.resolve();
    this.flushing = this.writeBatch().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes everything pending, retrying until `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.pending() > 0) {
      if (Date.now() > deadline) {
        throw new Error(`${this.pending()} closed bar(s) not persisted before the shutdown deadline`);
      }
      this.retryAt = 0;
      await this.flush();
      if (this.failures > 0) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
  }

  private async writeBatch(): Promise<void> {
    const end = Math.min(this.queue.length, this.head + this.opts.batchSize);
    const batch = this.queue.slice(this.head, end).map((p) => p.bar);
    const started = process.hrtime.bigint();
    try {
      await this.opts.store.upsertBars(batch);
    } catch (err) {
      this.failures++;
      // Exponential backoff capped at 5 s; the bars stay queued.
      this.retryAt = Date.now() + Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
      this.opts.onWriteFailed?.(err as Error);
      this.opts.logger.warn({ err: (err as Error).message, pending: this.pending(), failures: this.failures }, 'bar batch write failed; will retry');
      return;
    }
    if (this.failures > 0) this.opts.logger.info({ failures: this.failures }, 'bar writes recovered');
    this.failures = 0;
    this.head = end;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.opts.onBatchWritten?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    this.releaseWaiters();
    if (!this.stopped && this.pending() >= this.opts.batchSize) setImmediate(() => void this.flush());
  }

  private releaseWaiters(): void {
    if (this.pending() >= this.opts.maxQueue || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

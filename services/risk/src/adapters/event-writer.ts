/**
 * Write-behind of check decisions into risk_events: a bounded queue flushed in batches (one
 * multi-row INSERT per batch) every `flushMs` or as soon as `batchSize` rows wait, retried with
 * backoff while MySQL fails, drained on shutdown. `enqueue` returns a promise that settles when
 * the row is committed, so a caller that must be durable awaits it (group commit), and one that
 * must be fast does not. While a row waits, `pendingCheck` finds it by recommendation_id, so the
 * idempotency lookup never misses a decision that is not in MySQL yet.
 */
import { UnavailableError, type Logger } from '@cte/shared';
import type { EventRow } from './repository';

export interface EventStore {
  /** Inserts rows; returns the ids skipped as duplicates. */
  insertEvents(rows: readonly EventRow[]): Promise<string[]>;
}

export interface EventWriterOptions {
  store: EventStore;
  logger: Logger;
  flushMs: number;
  batchSize: number;
  maxQueue: number;
  onWriteFailed?: () => void;
  onDuplicate?: (ids: string[]) => void;
}

interface Item {
  row: EventRow;
  resolve: () => void;
  reject: (err: Error) => void;
}

const MAX_BACKOFF_MS = 2000;

export class EventWriter {
  private queue: Item[] = [];
  private readonly byRecommendation = new Map<string, EventRow>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly o: EventWriterOptions) {}

  /** Rows waiting (not yet committed). */
  pending(): number {
    return this.queue.length;
  }

  capacity(): number {
    return this.o.maxQueue;
  }

  hasRoom(): boolean {
    return !this.stopped && this.queue.length < this.o.maxQueue;
  }

  /** A final check row still waiting for MySQL. */
  pendingCheck(recommendationId: string): EventRow | undefined {
    return this.byRecommendation.get(recommendationId);
  }

  /**
   * Queues a row. Throws UnavailableError when the queue is full or the writer has stopped (the
   * caller then makes no decision). The promise settles when the row is committed; it never
   * needs to be awaited (it does not reject unhandled).
   */
  enqueue(row: EventRow): Promise<void> {
    if (this.stopped) throw new UnavailableError('risk is shutting down');
    if (this.queue.length >= this.o.maxQueue) throw new UnavailableError(`risk event queue is full (${this.o.maxQueue} rows waiting for MySQL)`);
    let item!: Item;
    const done = new Promise<void>((resolve, reject) => {
      item = { row, resolve, reject };
    });
    done.catch(() => undefined);
    this.queue.push(item);
    if (row.kind === 'check' && row.final && row.recommendation_id !== null) this.byRecommendation.set(row.recommendation_id, row);
    if (this.queue.length >= this.o.batchSize) this.kick(0);
    else this.kick(this.o.flushMs);
    return done;
  }

  /** Writes everything queued now (and whatever arrives meanwhile); rejects when MySQL fails. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.flushing) await this.flushing.catch(() => undefined);
      if (this.queue.length === 0) return;
      await this.runFlush();
    }
  }

  /** Stops taking rows and writes what is queued, for up to `graceMs`; what is left is logged and dropped. */
  async drain(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + graceMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      try {
        await this.flush();
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
      }
    }
    if (this.queue.length > 0) {
      this.o.logger.error({ dropped: this.queue.length }, 'risk events not written before shutdown');
      for (const it of this.queue.splice(0)) it.reject(new UnavailableError('risk event not written: shutdown'));
      this.byRecommendation.clear();
    }
  }

  private kick(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runFlush().catch(() => undefined);
    }, delayMs);
  }

  private runFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.writeBatch().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.stopped) this.kick(this.failures > 0 ? Math.min(MAX_BACKOFF_MS, this.o.flushMs * 2 ** this.failures) : 0);
    });
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.slice(0, this.o.batchSize);
    if (batch.length === 0) return;
    try {
      const skipped = await this.o.store.insertEvents(batch.map((i) => i.row));
      if (skipped.length > 0) {
        this.o.logger.error({ ids: skipped }, 'risk events skipped as duplicates');
        this.o.onDuplicate?.(skipped);
      }
    } catch (err) {
      this.failures++;
      this.o.onWriteFailed?.();
      this.o.logger.warn({ err: (err as Error).message, rows: batch.length, failures: this.failures }, 'writing risk events failed; retrying');
      throw err;
    }
    this.failures = 0;
    this.queue.splice(0, batch.length);
    for (const it of batch) {
      const rec = it.row.recommendation_id;
      if (rec !== null && this.byRecommendation.get(rec) === it.row) this.byRecommendation.delete(rec);
      it.resolve();
    }
  }
}

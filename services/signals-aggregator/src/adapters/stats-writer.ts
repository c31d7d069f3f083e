import type { Logger } from '@cte/shared';
import type { ScoredSignal, SourceRecord } from '../engine/track-record';

export interface ScoreStore {
  saveScores(scored: readonly ScoredSignal[], stats: readonly SourceRecord[], now: number): Promise<void>;
}

export interface StatsWriterOptions {
  store: ScoreStore;
  /** Current absolute counts of a source (from the engine's track record). */
  statsOf(agentId: string): SourceRecord | undefined;
  logger: Logger;
  flushMs: number;
  onWriteFailed?: (err: Error) => void;
}

/**
 * Write-behind for scoring outcomes. Each flush takes every queued outcome together with the
 * absolute counts of the sources involved, read at the same instant, and commits them in one
 * transaction: the stored counts always equal the stored outcomes, so a crash can lose recent
 * scorings (they are scored again after restart, the signals being still `pending` in MySQL)
 * but never count one twice. Failed flushes keep the outcomes queued and retry with backoff.
 */
export class StatsWriter {
  private queue: ScoredSignal[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;

  constructor(private readonly o: StatsWriterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  enqueue(scored: readonly ScoredSignal[]): void {
    for (const s of scored) this.queue.push(s);
  }

  pending(): number {
    return this.queue.length;
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0 || Date.now() < this.retryAt) return Promise.resolve();
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes everything queued, retrying until `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.flushing) {
      if (Date.now() > deadline) throw new Error(`${this.queue.length} scoring outcome(s) not persisted before the shutdown deadline`);
      this.retryAt = 0;
      await this.flush();
      if (this.failures > 0) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
  }

  private async write(): Promise<void> {
    // Synchronously: the batch and the counts that include exactly it (and nothing unqueued).
    const batch = this.queue;
    this.queue = [];
    const agents = [...new Set(batch.map((s) => s.agentId))];
    const stats = agents.map((a) => this.o.statsOf(a)).filter((r): r is SourceRecord => r !== undefined);
    try {
      await this.o.store.saveScores(batch, stats, Date.now());
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.failures++;
      this.retryAt = Date.now() + Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
      this.o.onWriteFailed?.(err as Error);
      this.o.logger.warn({ err: (err as Error).message, queued: this.queue.length, failures: this.failures }, 'scoring outcomes write failed; will retry');
      return;
    }
    if (this.failures > 0) this.o.logger.info({ failures: this.failures }, 'scoring outcome writes recovered');
    this.failures = 0;
  }
}

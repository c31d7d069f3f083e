import { TRADING_CHANNELS, type Bus, type Logger } from '@cte/shared';
import type { ExecutionRepository } from './repository';

export interface OutboxRelayOptions {
  repo: ExecutionRepository;
  bus: Bus;
  logger: Logger;
  /** How often pending rows are looked for when nobody wakes the relay. */
  pollMs: number;
  batchSize: number;
  /** Sent rows older than this are deleted (0 = keep forever). */
  retainMs: number;
  stream?: string;
  clock?: () => number;
  onAppended?: (n: number) => void;
  onAppendFailed?: () => void;
}

const PURGE_EVERY_MS = 60_000;

/**
 * The transactional outbox relay: appends committed fills (execution_outbox rows with
 * sent_at NULL) to the durable stream events.fills in commit order, then marks each sent.
 * At-least-once: a crash between the append and the mark appends that fill again on restart
 * (consumers dedupe by fill_id); a crash before the append loses nothing, the row is still pending.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private lastPurge = 0;
  private failures = 0;
  /** Wall time of the oldest fill not yet appended, as of the last pass (undefined = none). */
  private oldestPendingAt: number | undefined;

  constructor(private readonly o: OutboxRelayOptions) {}

  private get now(): number {
    return (this.o.clock ?? Date.now)();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops polling after a final pass (so fills committed during the drain still go out). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.pass().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'final outbox pass failed; the rows stay pending for the next start'));
  }

  /** A fill was committed: append it now rather than at the next poll. */
  wake(committedAt?: number): void {
    if (committedAt !== undefined && this.oldestPendingAt === undefined) this.oldestPendingAt = committedAt;
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Seconds since the oldest unsent fill was committed; 0 when everything is on the stream. */
  lagSeconds(): number {
    return this.oldestPendingAt === undefined ? 0 : Math.max(0, (this.now - this.oldestPendingAt) / 1000);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (!this.started) return;
        const again = this.again;
        this.again = false;
        // Back off while the database or Redis is failing.
        this.schedule(again ? 0 : this.failures > 0 ? Math.min(this.o.pollMs * 2 ** Math.min(this.failures, 5), 5_000) : this.o.pollMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    try {
      // Keep going while full batches come back.
      while (this.started && (await this.pass()) === this.o.batchSize);
      this.failures = 0;
      if (this.o.retainMs > 0 && this.now - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = this.now;
        await this.o.repo.purgeSent(this.now - this.o.retainMs);
      }
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) this.o.logger.warn({ err: (err as Error).message, failures: this.failures }, 'outbox relay pass failed; retrying');
    }
  }

  /** Appends one batch of pending fills; resolves with how many were appended. */
  async pass(): Promise<number> {
    const entries = await this.o.repo.pendingOutbox(this.o.batchSize);
    this.oldestPendingAt = entries[0]?.createdAt;
    let n = 0;
    for (const e of entries) {
      try {
        await this.o.bus.append(this.o.stream ?? TRADING_CHANNELS.fills, { type: 'fill', data: e.payload, trace_id: e.traceId });
      } catch (err) {
        this.o.onAppendFailed?.();
        await this.o.repo.markAttemptFailed(e.id).catch(() => undefined);
        if (n > 0) this.o.onAppended?.(n);
        throw err;
      }
      await this.o.repo.markSent(e.id, this.now);
      n++;
      this.oldestPendingAt = entries[n]?.createdAt;
    }
    if (n > 0) this.o.onAppended?.(n);
    if (entries.length === this.o.batchSize) this.oldestPendingAt = await this.o.repo.oldestPending();
    return n;
  }
}

/**
 * The `events.fills` stream handler (consumer group `portfolio`). Per entry:
 *   validate (parseFillMessage + ledger limits) → Ledger.plan → one MySQL transaction
 *   (fence, applied_fills, balances, position) → Ledger.commit → return (the bus acks).
 *
 * - The ack comes only after the commit, so a crash at any point leaves the entry pending and it is
 *   delivered again; the applied_fills primary key turns a second delivery of a committed fill into
 *   a skipped duplicate. Every fill is applied exactly once.
 * - Fills are applied in stream order: a failing commit (MySQL down, a lock timeout...) is retried
 *   inside the handler until it succeeds, so no later fill overtakes it. At shutdown the retry is
 *   abandoned and the entry stays pending for the next start.
 * - A fill that can never be applied (fails validation, or an amount would overflow DECIMAL(36,18))
 *   is counted, logged, copied to the dead-letter stream `<stream>.dlq` (type `fill_rejected`) and
 *   acked: it changes nothing.
 * - When the fence reports that another writer moved the books, the books are reloaded from MySQL
 *   and the fill is planned again (this also resolves a commit whose outcome was unknown).
 */
import {
  dlqName,
  InvalidArgumentError,
  UnavailableError,
  type Bus,
  type DeliveryMeta,
  type Envelope,
  type FillMessage,
  type Logger,
} from '@cte/shared';
import { parseLedgerFill } from '../engine/fill';
import { LedgerRejection, type LedgerFill } from '../engine/ledger';
import type { Portfolio } from '../engine/portfolio';
import type { PortfolioMetrics, RejectReason } from './metrics';
import type { PortfolioRepository } from './repository';
import type { Serial } from './serial';

export interface FillIntakeOptions {
  portfolio: Portfolio;
  repo: Pick<PortfolioRepository, 'applyFill' | 'load'>;
  bus: Pick<Bus, 'append'>;
  /** The fills stream (unprefixed); rejects go to its `.dlq`. */
  stream: string;
  group: string;
  consumer: string;
  serial: Serial;
  metrics: PortfolioMetrics;
  logger: Logger;
  /** Aborted at shutdown: a handler retrying a commit gives up and leaves its entry pending. */
  shutdown: AbortSignal;
  now?: () => number;
}

export type FillOutcome = 'applied' | 'duplicate' | 'rejected';

/** Latencies beyond this are not wall-clock latencies (a replay stamping data time). */
const MAX_PLAUSIBLE_LATENCY_MS = 3_600_000;

export class FillIntake {
  private readonly now: () => number;
  private readonly outcomeListeners = new Set<(outcome: FillOutcome, fillId: string | undefined) => void>();

  constructor(private readonly o: FillIntakeOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Observes each handled entry (tests, and anything that wants to wait for a fill). */
  onOutcome(fn: (outcome: FillOutcome, fillId: string | undefined) => void): () => void {
    this.outcomeListeners.add(fn);
    return () => this.outcomeListeners.delete(fn);
  }

  readonly handle = async (env: Envelope<unknown>, meta: DeliveryMeta): Promise<void> => {
    const started = process.hrtime.bigint();
    let parsed: { message: FillMessage; fill: LedgerFill };
    try {
      parsed = parseLedgerFill(env.data);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      await this.reject('invalid', err.message, env, meta);
      this.emit('rejected', fillIdOf(env.data));
      return;
    }
    const outcome = await this.o.serial.run(() => this.apply(parsed, env, meta));
    if (outcome === 'applied') {
      const now = this.now();
      this.o.metrics.applySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      const ms = now - parsed.message.ts;
      if (ms >= 0 && ms <= MAX_PLAUSIBLE_LATENCY_MS) this.o.metrics.pipelineLatency.observe({ stage: 'portfolio' }, ms / 1000);
    }
    this.emit(outcome, parsed.message.fill_id);
  };

  private async apply(parsed: { message: FillMessage; fill: LedgerFill }, env: Envelope<unknown>, meta: DeliveryMeta): Promise<FillOutcome> {
    const { portfolio, repo, metrics, logger } = this.o;
    const { message, fill } = parsed;
    const log = logger.child({ trace_id: message.trace_id, fill_id: message.fill_id });
    for (let attempt = 1; ; attempt++) {
      try {
        let update;
        try {
          update = portfolio.planFill(fill);
        } catch (err) {
          if (!(err instanceof LedgerRejection)) throw err;
          await this.reject('overflow', err.message, env, meta);
          return 'rejected';
        }
        const result = await repo.applyFill(update, { message, streamId: meta.id, watermarks: portfolio.watermarks(), now: this.now() });
        if (result.kind === 'stale') {
          metrics.staleReloads.inc();
          log.warn({ seq: portfolio.ledger.seq }, 'the books moved in MySQL (another writer, or an unacknowledged commit): reloading');
          await this.reload();
          continue;
        }
        if (result.kind === 'duplicate') {
          metrics.duplicates.inc({ key: result.key });
          log.info({ entry: meta.id, deliveries: meta.deliveries, key: result.key }, 'fill already applied; skipped');
          return 'duplicate';
        }
        portfolio.commitFill(update);
        metrics.applied.inc();
        log.debug({ seq: update.seq, symbol: fill.symbol, side: fill.side, qty: message.qty, price: message.price, realized: update.realized.toFixed() }, 'fill applied');
        return 'applied';
      } catch (err) {
        metrics.applyFailures.inc();
        if (this.o.shutdown.aborted) throw new UnavailableError('shutting down; fill left pending');
        const delay = Math.min(5000, 50 * 2 ** Math.min(attempt, 7));
        if (attempt === 1 || attempt % 10 === 0) log.error({ err: (err as Error).message, attempt, retryInMs: delay }, 'could not commit fill; retrying (later fills wait)');
        await sleep(delay, this.o.shutdown);
        if (this.o.shutdown.aborted) throw new UnavailableError('shutting down; fill left pending');
      }
    }
  }

  /** Reloads the books and watermarks from MySQL (marks stay). */
  private async reload(): Promise<void> {
    const stored = await this.o.repo.load();
    if (!stored) throw new Error('portfolio_state is missing');
    this.o.portfolio.load(stored.ledger, stored.watermarks);
  }

  private async reject(reason: RejectReason, error: string, env: Envelope<unknown>, meta: DeliveryMeta): Promise<void> {
    const { metrics, logger, bus, stream } = this.o;
    logger.error({ trace_id: env.trace_id, entry: meta.id, reason, error, fill_id: fillIdOf(env.data) }, 'fill refused; moved to the dead-letter stream');
    await bus.append(dlqName(stream), {
      type: 'fill_rejected',
      trace_id: env.trace_id,
      data: { reason, error, stream, entry_id: meta.id, group: this.o.group, consumer: this.o.consumer, rejected_at: this.now(), fill: env.data },
    });
    metrics.rejected.inc({ reason });
  }

  private emit(outcome: FillOutcome, fillId: string | undefined): void {
    for (const fn of this.outcomeListeners) fn(outcome, fillId);
  }
}

function fillIdOf(raw: unknown): string | undefined {
  const id = typeof raw === 'object' && raw !== null ? (raw as { fill_id?: unknown }).fill_id : undefined;
  return typeof id === 'string' ? id.slice(0, 128) : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

import { randomUUID } from 'node:crypto';
import {
  isDbConnectionError,
  isValidTraceId,
  UnavailableError,
  type Bus,
  type DeliveryMeta,
  type Envelope,
  type Logger,
  type SignalMessage,
} from '@cte/shared';
import type { ConsensusEngine } from '../engine/consensus-engine';
import type { ConsensusBoard } from './consensus-board';
import type { AggregatorMetrics } from './metrics';
import { toConsensusMessage, type ConsensusRecord } from './records';
import type { AggregatorRepository } from './repository';
import type { TraceTimes } from '@cte/shared';

export interface SignalIntakeOptions {
  engine: ConsensusEngine;
  repo: Pick<AggregatorRepository, 'signalExists' | 'storeSignal'>;
  bus: Pick<Bus, 'publish'>;
  board: ConsensusBoard;
  metrics: AggregatorMetrics;
  logger: Logger;
  consensusChannel: string;
  traceTimes: TraceTimes;
  /** Aborted at shutdown: a handler waiting for MySQL gives up and leaves its entry pending. */
  shutdown: AbortSignal;
  now?: () => number;
}

/** Latencies beyond this are not wall-clock latencies (e.g. a replay stamping data time). */
const MAX_PLAUSIBLE_LATENCY_MS = 3_600_000;

/**
 * The `signals.raw` stream handler. Per entry:
 *   validate → duplicate check → engine.apply (consensus) → one MySQL transaction (signal +
 *   consensus) → start scoring → publish on `signals.consensus` → return (the bus acks).
 * A bad signal is counted, logged and acked (returning normally), never retried. A MySQL
 * outage is waited out inside the handler (the entry stays unacked, nothing else is read);
 * at shutdown the wait is abandoned and the entry stays pending for the next start.
 */
export class SignalIntake {
  private readonly now: () => number;

  constructor(private readonly o: SignalIntakeOptions) {
    this.now = o.now ?? Date.now;
  }

  readonly handle = async (env: Envelope<unknown>, meta: DeliveryMeta): Promise<void> => {
    const { engine, metrics, logger } = this.o;
    const raw = env.data;
    metrics.received.inc({ source_type: metrics.sourceTypeLabel(raw) });
    const v = engine.validate(raw, this.now());
    if (!v.ok) {
      metrics.rejected.inc({ reason: v.reason });
      logger.warn({ trace_id: env.trace_id, entry: meta.id, reason: v.reason, error: v.message, signal_id: idOf(raw) }, 'rejected signal');
      return;
    }
    const signal = v.signal;
    const log = logger.child({ trace_id: signal.trace_id, signal_id: signal.id });
    if (await this.withDb('duplicate check', () => this.o.repo.signalExists(signal.id))) {
      metrics.rejected.inc({ reason: 'duplicate' });
      log.info({ entry: meta.id, deliveries: meta.deliveries }, 'duplicate signal ignored');
      return;
    }

    const started = process.hrtime.bigint();
    const result = engine.apply(signal);
    metrics.consensusSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);

    const record: ConsensusRecord = {
      ...result.consensus,
      id: randomUUID(),
      trace_id: signal.trace_id,
      created_at: this.now(),
    };
    const stored = await this.withDb('store', () =>
      this.o.repo.storeSignal({ signal, receivedAt: record.created_at, consensus: record, newSource: result.newSource }),
    );
    if (!stored) {
      metrics.rejected.inc({ reason: 'duplicate' });
      log.info('duplicate signal ignored');
      return;
    }
    engine.track(signal);
    metrics.consensus.inc({ side: record.side });
    this.o.board.post(record);
    log.debug({ symbol: record.symbol, side: record.side, confidence: record.confidence, agreement: record.agreement, sources: record.sources, reason: record.reason }, 'consensus');
    await this.publish(record, signal);
  };

  private async publish(record: ConsensusRecord, signal: SignalMessage): Promise<void> {
    try {
      await this.o.bus.publish(this.o.consensusChannel, { type: 'consensus', data: toConsensusMessage(record), trace_id: record.trace_id });
    } catch (err) {
      // Pub/sub is best effort: the consensus is in MySQL and on the API; do not redeliver for this.
      this.o.logger.warn({ err: (err as Error).message, trace_id: record.trace_id }, 'consensus publish failed');
      return;
    }
    const now = this.now();
    const from = this.o.traceTimes.get(signal.trace_id) ?? signal.created_at;
    const ms = now - from;
    if (ms >= 0 && ms <= MAX_PLAUSIBLE_LATENCY_MS) this.o.metrics.pipelineLatency.observe({ stage: 'consensus' }, ms / 1000);
  }

  /** Runs a MySQL step, waiting out connection failures until it succeeds or shutdown begins. */
  private async withDb<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isDbConnectionError(err) || this.o.shutdown.aborted) throw err;
        const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
        if (attempt === 1 || attempt % 10 === 0) this.o.logger.warn({ err: (err as Error).message, what, attempt, retryInMs: delay }, 'mysql unavailable; signal waits');
        await sleep(delay, this.o.shutdown);
        if (this.o.shutdown.aborted) throw new UnavailableError('shutting down; signal left pending');
      }
    }
  }
}

function idOf(raw: unknown): string | undefined {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && isValidTraceId(id) ? id : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

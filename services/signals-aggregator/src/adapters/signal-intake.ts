import { createHash, randomUUID } from 'node:crypto';
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
import type { BarDecider, ReadyBar } from '../engine/bar-decider';
import type { ConsensusEngine } from '../engine/consensus-engine';
import type { ScoredSignal } from '../engine/track-record';
import type { ConsensusBoard } from './consensus-board';
import type { AggregatorMetrics } from './metrics';
import { toConsensusMessage, type ConsensusRecord } from './records';
import type { AggregatorRepository } from './repository';
import type { TraceTimes } from '@cte/shared';

export interface SignalIntakeOptions {
  engine: ConsensusEngine;
  /**
   * One decision per (symbol, timeframe, bar) (CONSENSUS_DECISION=bar, the default). Absent
   * (CONSENSUS_DECISION=signal): the older mode, a consensus per accepted signal, whose result
   * depends on arrival timing.
   */
  decider?: BarDecider | undefined;
  repo: Pick<AggregatorRepository, 'signalExists' | 'storeSignal' | 'storeConsensus'>;
  /** Signals scored while deciding a bar (its price at its close). */
  onScored?(scored: ScoredSignal[]): void;
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
 *   validate → duplicate check → store the signal (MySQL) → start scoring it → BarDecider: a
 *   signal for a bar already decided is `late` (stored, scored, counted, never decided on);
 *   otherwise it joins its bar, and every bar that became decidable is decided once, in bar
 *   order: engine.decide → store the decision (unique per symbol, timeframe and bar) → publish
 *   on `signals.consensus` → return (the bus acks).
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
    // No data-time window against the price feed here: whether a signal is too late is decided by
    // its bar (BarDecider), not by how far pub/sub prices happened to have run ahead.
    const decider = this.o.decider;
    const v = engine.validate(raw, this.now(), decider === undefined);
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
    if (!decider) return this.perSignal(signal, log);
    const newSource = engine.trackRecord.observe(signal.agent_id, signal.source_type);
    const stored = await this.withDb('store', () => this.o.repo.storeSignal({ signal, receivedAt: this.now(), newSource }));
    if (!stored) {
      metrics.rejected.inc({ reason: 'duplicate' });
      log.info('duplicate signal ignored');
      return;
    }
    engine.track(signal);
    const { status, ready } = decider.add(signal);
    if (status === 'late') {
      metrics.late.inc();
      log.info({ symbol: signal.symbol, timeframe: signal.timeframe, bar_time: signal.bar_time, agent_id: signal.agent_id }, 'late signal: its bar is already decided; stored and scored only');
      return;
    }
    await this.decide(ready, signal);
  };

  /** CONSENSUS_DECISION=signal: apply, store the signal with the consensus it triggered, publish. */
  private async perSignal(signal: SignalMessage, log: Logger): Promise<void> {
    const { engine, metrics } = this.o;
    const started = process.hrtime.bigint();
    const result = engine.apply(signal);
    metrics.consensusSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    const record: ConsensusRecord = { ...result.consensus, id: randomUUID(), trace_id: signal.trace_id, created_at: this.now() };
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
  }

  /** Decides bars (in order), stores each decision once and publishes it. */
  async decide(bars: readonly ReadyBar[], trigger?: SignalMessage): Promise<void> {
    for (const bar of bars) await this.decideOne(bar, trigger);
  }

  private async decideOne(bar: ReadyBar, trigger: SignalMessage | undefined): Promise<void> {
    const { engine, metrics } = this.o;
    const started = process.hrtime.bigint();
    const { consensus, scored } = engine.decide(bar);
    metrics.consensusSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (scored.length > 0) this.o.onScored?.(scored);
    const traceId = bar.signals[0]?.trace_id ?? trigger?.trace_id;
    if (traceId === undefined) return;
    const record: ConsensusRecord = { ...consensus, id: decisionId(bar), trace_id: traceId, created_at: this.now() };
    const log = this.o.logger.child({ trace_id: traceId });
    if (!(await this.withDb('store consensus', () => this.o.repo.storeConsensus(record)))) {
      log.info({ symbol: bar.symbol, timeframe: bar.timeframe, bar_time: bar.barTime }, 'bar already decided; not deciding it again');
      return;
    }
    metrics.decisions.inc({ reason: bar.reason });
    metrics.consensus.inc({ side: record.side });
    this.o.board.post(record);
    log.debug({ symbol: record.symbol, timeframe: bar.timeframe, bar_time: bar.barTime, side: record.side, confidence: record.confidence, agreement: record.agreement, sources: record.sources, reason: record.reason, closed_by: bar.reason }, 'consensus');
    await this.publish(record, bar.signals[0] ?? trigger);
  }

  private async publish(record: ConsensusRecord, signal: SignalMessage | undefined): Promise<void> {
    try {
      await this.o.bus.publish(this.o.consensusChannel, { type: 'consensus', data: toConsensusMessage(record), trace_id: record.trace_id });
    } catch (err) {
      // Pub/sub is best effort: the consensus is in MySQL and on the API; do not redeliver for this.
      this.o.logger.warn({ err: (err as Error).message, trace_id: record.trace_id }, 'consensus publish failed');
      return;
    }
    const now = this.now();
    const from = this.o.traceTimes.get(record.trace_id) ?? signal?.created_at ?? now;
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

/** The decision's id, derived from its bar: the same bar always gets the same id (a UUID-shaped hash). */
export function decisionId(bar: Pick<ReadyBar, 'symbol' | 'timeframe' | 'barTime'>): string {
  const h = createHash('sha256').update(`consensus|${bar.symbol}|${bar.timeframe}|${bar.barTime}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
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

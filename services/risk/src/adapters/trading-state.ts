/**
 * The fleet-wide trading state (kill switch): held in memory for the hot path, persisted in
 * trading_state (one row) with a risk_events row per change, and broadcast on
 * `commands.trading_state` (TradingStateMessage) on every change and every `broadcastMs`, because
 * pub/sub is lossy and a late subscriber should hear it without asking.
 *
 * An operator's change is persisted first, then applied and broadcast (a failed write changes
 * nothing and reports 503). A circuit-breaker trip is applied and broadcast first (fail safe:
 * trading stops even when MySQL is down), then persisted, retried until it succeeds or a later
 * change supersedes it.
 */
import { randomUUID } from 'node:crypto';
import { TRADING_STATES, type Logger, type TradingStateMessage, type TradingStateName } from '@cte/shared';
import type { EventRow, TradingStateRow } from './repository';

export interface TradingStatePersistence {
  loadTradingState(): Promise<TradingStateRow | undefined>;
  saveTradingState(s: TradingStateRow, event: EventRow): Promise<void>;
}

export interface TradingStateStoreOptions {
  repo: TradingStatePersistence;
  publish: (msg: TradingStateMessage) => Promise<void>;
  logger: Logger;
  broadcastMs: number;
  onChange?: (state: TradingStateName) => void;
  now?: () => number;
  retryMs?: number;
}

export const INITIAL_STATE: TradingStateMessage = { state: 'ACTIVE', reason: 'initial state', updated_at: 0, updated_by: 'system' };

export class TradingStateStore {
  private current: TradingStateMessage = INITIAL_STATE;
  private chain: Promise<unknown> = Promise.resolve();
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: TradingStateStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  get(): TradingStateMessage {
    return this.current;
  }

  get state(): TradingStateName {
    return this.current.state;
  }

  /** Loads the persisted state (ACTIVE when none was ever set). */
  async load(): Promise<TradingStateMessage> {
    const row = await this.o.repo.loadTradingState();
    if (row && (TRADING_STATES as readonly string[]).includes(row.state)) this.current = { ...row };
    this.o.onChange?.(this.current.state);
    return this.current;
  }

  startBroadcast(): void {
    void this.broadcast();
    if (this.o.broadcastMs > 0) {
      this.timer = setInterval(() => void this.broadcast(), this.o.broadcastMs);
      this.timer.unref();
    }
  }

  stopBroadcast(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** An operator's change: persisted, then applied and broadcast. Serialized with other changes. */
  set(state: TradingStateName, reason: string, updatedBy: string): Promise<TradingStateMessage> {
    // Supersedes a trip still retrying its write (the operator's decision is newer).
    this.version++;
    const run = async (): Promise<TradingStateMessage> => {
      const next: TradingStateMessage = { state, reason, updated_at: this.now(), updated_by: updatedBy };
      await this.o.repo.saveTradingState(next, this.eventRow(next, this.current.state));
      this.apply(next);
      return next;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * A circuit-breaker trip: applied and broadcast at once (a no-op when already HALTED), then
   * persisted with retries. Resolves once persisted (or superseded).
   */
  trip(reason: string): Promise<void> {
    if (this.current.state === 'HALTED') return Promise.resolve();
    const previous = this.current.state;
    const next: TradingStateMessage = { state: 'HALTED', reason, updated_at: this.now(), updated_by: 'circuit_breaker' };
    const version = ++this.version;
    this.apply(next);
    this.o.logger.warn({ reason, previous }, 'circuit breaker tripped: trading HALTED');
    const event = this.eventRow(next, previous);
    const persist = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        if (this.version !== version) return;
        try {
          await this.o.repo.saveTradingState(next, event);
          return;
        } catch (err) {
          this.o.logger.error({ err: (err as Error).message, attempt }, 'persisting the circuit-breaker HALT failed; retrying');
          await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000));
        }
      }
    };
    const p = this.chain.then(persist, persist);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Waits for pending state writes (shutdown). */
  async settle(): Promise<void> {
    await this.chain;
  }

  private apply(next: TradingStateMessage): void {
    this.current = next;
    this.o.onChange?.(next.state);
    void this.broadcast();
  }

  private async broadcast(): Promise<void> {
    try {
      await this.o.publish(this.current);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'broadcasting the trading state failed (re-sent periodically)');
    }
  }

  private eventRow(next: TradingStateMessage, previous: TradingStateName): EventRow {
    return {
      id: randomUUID(),
      kind: 'trading_state',
      recommendation_id: null,
      final: true,
      symbol: null,
      side: null,
      decision: null,
      reasons: [],
      requested_qty: null,
      approved_qty: null,
      price: null,
      equity: null,
      reduces_position: null,
      trading_state: next.state,
      previous_state: previous,
      updated_by: next.updated_by,
      message: next.reason,
      trace_id: null,
      ts: next.updated_at,
      day: null,
      created_at: next.updated_at,
    };
  }
}

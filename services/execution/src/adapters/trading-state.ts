/**
 * What execution knows of the fleet-wide trading state (risk's kill switch), so it can obey it
 * even when a caller bypasses risk.
 *
 * Sources, newest `updated_at` wins:
 * - risk's gRPC `Risk.GetTradingState` (RISK_GRPC_ADDR): at start, then every
 *   TRADING_STATE_REFRESH_MS (pub/sub can drop messages, the poll repairs that);
 * - risk's pub/sub `commands.trading_state`, applied as it arrives;
 * - the last state stored in `execution_trading_state` (every change is persisted).
 *
 * Fail safe: until a state is known, execution reports not-ready and refuses orders. At start the
 * stored state counts as known only when it is HALTED or REDUCING: a restart while risk is down
 * keeps a halt (or reducing-only) in force, but never resumes full trading on a possibly outdated
 * ACTIVE — that needs risk itself (gRPC or a bus message). Once known, a failing refresh keeps the
 * last state (logged, counted); the gRPC answer always replaces a state that only came from storage.
 */
import { describeValue, TRADING_CHANNELS, TRADING_STATES, type Bus, type Envelope, type Logger, type Subscription, type TradingStateMessage, type TradingStateName } from '@cte/shared';
import type { ExecutionRepository, StoredTradingState } from './repository';

export type TradingStateSource = 'risk_grpc' | 'bus' | 'stored';

export interface KnownTradingState {
  state: TradingStateName;
  reason: string;
  updatedAt: number;
  updatedBy: string;
  source: TradingStateSource;
}

/** Risk.GetTradingState, behind a function so tests and the service share the guard. */
export type FetchTradingState = () => Promise<TradingStateMessage>;

export interface TradingStateGuardOptions {
  repo: ExecutionRepository;
  bus: Bus;
  fetch: FetchTradingState;
  logger: Logger;
  refreshMs: number;
  channel?: string;
  clock?: () => number;
  onChange?: (next: KnownTradingState, prev: KnownTradingState | undefined) => void;
}

export function parseTradingState(raw: unknown): TradingStateMessage {
  if (typeof raw !== 'object' || raw === null) throw new Error('trading state must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.state !== 'string' || !(TRADING_STATES as readonly string[]).includes(r.state)) throw new Error(`unknown trading state ${describeValue(r.state)}`);
  const updatedAt = typeof r.updated_at === 'string' && /^\d+$/.test(r.updated_at) ? Number(r.updated_at) : r.updated_at;
  if (typeof updatedAt !== 'number' || !Number.isSafeInteger(updatedAt) || updatedAt < 0) throw new Error('trading state updated_at must be epoch ms');
  return {
    state: r.state as TradingStateName,
    reason: typeof r.reason === 'string' ? r.reason.slice(0, 256) : '',
    updated_at: updatedAt,
    updated_by: typeof r.updated_by === 'string' ? r.updated_by.slice(0, 64) : '',
  };
}

export class TradingStateGuard {
  private current: KnownTradingState | undefined;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastFetchError = '';
  private persisting: Promise<void> = Promise.resolve();

  constructor(private readonly o: TradingStateGuardOptions) {}

  get state(): KnownTradingState | undefined {
    return this.current;
  }

  /** Subscribes, loads the stored state, asks risk once, and keeps refreshing in the background. */
  async start(): Promise<void> {
    this.sub = await this.o.bus.subscribe<unknown>(this.o.channel ?? TRADING_CHANNELS.tradingState, (env) => this.onMessage(env));
    let stored: StoredTradingState | undefined;
    try {
      stored = await this.o.repo.loadTradingState();
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'could not read the stored trading state');
    }
    if (stored && stored.state !== 'ACTIVE') {
      this.apply({ state: stored.state, reason: stored.reason, updated_at: stored.updatedAt, updated_by: stored.updatedBy }, 'stored', false);
    } else if (stored) {
      this.o.logger.info({ stored: stored.state }, 'stored trading state is ACTIVE: waiting for risk to confirm before taking orders');
    }
    await this.refresh();
    this.scheduleRefresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sub?.unsubscribe().catch(() => undefined);
    await this.persisting;
  }

  /** For readiness: throws while the state is unknown. */
  check(): void {
    if (!this.current) throw new Error(`trading state unknown (risk not reachable${this.lastFetchError ? `: ${this.lastFetchError}` : ''})`);
  }

  /** Asks risk now; false when risk could not be reached. */
  async refresh(): Promise<boolean> {
    try {
      const msg = parseTradingState(await this.o.fetch());
      this.lastFetchError = '';
      this.apply(msg, 'risk_grpc');
      return true;
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== this.lastFetchError) this.o.logger.warn({ err: reason, known: this.current?.state ?? 'unknown' }, 'could not get the trading state from risk');
      this.lastFetchError = reason;
      return false;
    }
  }

  /** Applies a state; false when it is older than the one known. Persists every change. */
  apply(msg: TradingStateMessage, source: TradingStateSource, persist = true): boolean {
    const prev = this.current;
    const authoritativeOverStored = source === 'risk_grpc' && prev?.source === 'stored';
    if (prev && !authoritativeOverStored && msg.updated_at < prev.updatedAt) return false;
    const next: KnownTradingState = { state: msg.state, reason: msg.reason, updatedAt: msg.updated_at, updatedBy: msg.updated_by, source };
    this.current = next;
    const changed = !prev || prev.state !== next.state || prev.updatedAt !== next.updatedAt || prev.reason !== next.reason;
    if (!changed) return true;
    if (!prev || prev.state !== next.state) this.o.logger.info({ state: next.state, reason: next.reason, updated_by: next.updatedBy, source }, 'trading state');
    if (persist) this.persist(next);
    this.o.onChange?.(next, prev);
    return true;
  }

  private onMessage(env: Envelope<unknown>): void {
    let msg: TradingStateMessage;
    try {
      msg = parseTradingState(env.data);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, trace_id: env.trace_id }, 'dropped malformed trading state message');
      return;
    }
    this.apply(msg, 'bus');
  }

  private persist(s: KnownTradingState): void {
    const now = (this.o.clock ?? Date.now)();
    this.persisting = this.persisting
      .then(() => this.o.repo.saveTradingState({ state: s.state, reason: s.reason, updatedAt: s.updatedAt, updatedBy: s.updatedBy, source: s.source, recordedAt: now }))
      .catch((err: Error) => this.o.logger.warn({ err: err.message, state: s.state }, 'could not persist the trading state'));
  }

  private scheduleRefresh(): void {
    if (this.stopped) return;
    // Faster while unknown, so the service becomes ready soon after risk does.
    const ms = this.current ? this.o.refreshMs : Math.min(this.o.refreshMs, 1000);
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.scheduleRefresh());
    }, ms);
    this.timer.unref();
  }
}

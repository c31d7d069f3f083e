/**
 * ExecutionService: the order path around the pure OrderManager. It validates, enforces the
 * trading state, persists every order before the venue sees it, talks to the venue, records fills
 * (trade + order + outbox in one transaction), publishes order events, and reconciles with the
 * venue at start. REST and gRPC both call it.
 *
 * Serialisation: everything that changes one order (submission, fills, cancel, reconciliation)
 * runs on that order's queue, so a fill that arrives while its order is being submitted is
 * applied after SUBMITTED is stored. The trading-state gate and the insert run on the symbol's
 * queue, so two REDUCING orders cannot both pass against the same position.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Counter } from 'prom-client';
import {
  describeValue,
  ConflictError,
  Dec,
  DomainError,
  FailedPreconditionError,
  ID_RE,
  InvalidArgumentError,
  isDuplicateKeyError,
  messageTraceId,
  NotFoundError,
  restoreRows,
  TRADING_CHANNELS,
  UnavailableError,
  type Bus,
  type Logger,
  type OrderEventMessage,
  type Quarantine,
  type Symbol,
  type TradableSymbols,
} from '@cte/shared';
import { OrderManager, reduces, type Exposure } from '../engine/order-manager';
import { isOrderStatus, isTerminal, ORDER_STATUSES } from '../engine/order-state';
import { EVENT_FOR_STATUS, type Fill, type Order, type OrderEventName } from '../engine/types';
import { checkStoredOrder } from '../engine/stored-order';
import { sameOrder, validateOrderRequest, type OrderRequest, type ValidationContext } from '../engine/validation';
import { applyStatusUpdate, REASON_NO_SUCH_ORDER, UNCONFIRMED_PREFIX, type UpdateOutcome } from '../engine/venue-update';
import type { VenueAccountBalances } from '../engine/venue-balances';
import { KeyedQueue } from './keyed-queue';
import type { ExecutionMetrics } from './metrics';
import type { OutboxRelay } from './outbox-relay';
import type { ExecutionRepository, OrderFilter, TradeFilter, TradeRecord } from './repository';
import type { TraceTimes } from '@cte/shared';
import type { KnownTradingState, TradingStateGuard } from './trading-state';
import type { OpenOrderSnapshot, Venue, VenueOrderRef, VenueOrderUpdate } from './venue';

/** Carries a non-data failure through restoreRows, which would otherwise quarantine the order. */
class RetryReconcile extends DomainError {
  constructor(readonly original: unknown) {
    super('UNAVAILABLE', 'reconciliation failed; retried');
  }
}

export interface ExecutionServiceOptions {
  repo: ExecutionRepository;
  venue: Venue;
  bus: Bus;
  relay: OutboxRelay;
  tradingState: TradingStateGuard;
  validation: ValidationContext;
  metrics: ExecutionMetrics;
  traceTimes: TraceTimes;
  logger: Logger;
  /** On HALTED, cancel resting orders that would open or grow a position. */
  haltCancelsOpeningOrders: boolean;
  /** cte_execution_venue_order_updates_total (createVenueUpdateMetrics in ccxt-venue-metrics.ts); not counted when absent. */
  venueUpdates?: VenueUpdateCounter;
  clock?: () => number;
  newId?: () => string;
}

/** Venue order updates by venue, reported status and outcome (applied, ignored, stale, unknown_order, failed). */
export type VenueUpdateCounter = Counter<'venue' | 'status' | 'outcome'>;

export interface SubmitResult {
  order: Order;
  /** false when the client_order_id already existed (the stored order is returned). */
  created: boolean;
}

export interface OrderRefInput {
  id?: string | undefined;
  client_order_id?: string | undefined;
}

/** What in-process listeners get: the bus message and the full order it describes. */
export interface OrderEventNotice {
  message: OrderEventMessage;
  order: Order;
}

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
const NO_EXPOSURE: Exposure = { position: new Dec(0), openBuy: new Dec(0), openSell: new Dec(0) };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ExecutionService {
  /** 'order' events (OrderEventNotice) for in-process streams (gRPC StreamOrderEvents). */
  readonly events = new EventEmitter();
  readonly manager: OrderManager;
  private readonly orderQueue = new KeyedQueue();
  private readonly symbolQueue = new KeyedQueue();
  private readonly inflight = new Map<string, Promise<SubmitResult>>();
  private readonly publishes = new Set<Promise<void>>();
  private reconciled = false;
  private closing = false;

  /** The fleet's tradable symbols, for every symbol a request names. */
  get symbols(): TradableSymbols {
    return this.o.validation.symbols;
  }

  constructor(private readonly o: ExecutionServiceOptions) {
    this.events.setMaxListeners(0);
    this.manager = new OrderManager(o.venue.name);
    o.venue.onFill((fill) => {
      void this.orderQueue.run(fill.orderId, () => this.recordFill(fill)).catch((err: Error) => {
        this.o.logger.error({ err: err.message, order_id: fill.orderId, venue_trade_id: fill.venueTradeId }, 'fill could not be recorded');
      });
    });
    o.venue.onOrderUpdate((u) => {
      // Behind the order's fills and submission: a fill the venue sent first is applied first.
      void this.orderQueue.run(u.orderId, () => this.applyVenueUpdate(u)).catch((err: Error) => {
        o.venueUpdates?.inc({ venue: o.venue.name, status: u.status, outcome: 'failed' });
        this.o.logger.error({ err: err.message, order_id: u.orderId, status: u.status }, 'venue order update could not be applied');
      });
    });
  }

  private get now(): number {
    return (this.o.clock ?? Date.now)();
  }

  private newId(): string {
    return (this.o.newId ?? randomUUID)();
  }

  get isReconciled(): boolean {
    return this.reconciled;
  }

  /** Readiness: reconciled with the venue. */
  checkReconciled(): void {
    if (!this.reconciled) throw new Error('reconciliation with the venue pending');
  }

  // ------------------------------------------------------------------ submit

  async submit(raw: unknown, edgeTraceId: string, strict = false): Promise<SubmitResult> {
    const end = this.o.metrics.submitSeconds.startTimer();
    try {
      const req = validateOrderRequest(raw, this.o.validation, strict);
      const existing = await this.o.repo.findByClientOrderId(req.clientOrderId);
      if (existing) return { order: this.sameOrThrow(existing, req), created: false };
      const running = this.inflight.get(req.clientOrderId);
      if (running) {
        const r = await running;
        return { order: this.sameOrThrow(r.order, req), created: false };
      }
      this.assertAccepting();
      const traceId = req.traceId ?? messageTraceId(edgeTraceId);
      const p = this.create(req, traceId).finally(() => this.inflight.delete(req.clientOrderId));
      this.inflight.set(req.clientOrderId, p);
      return await p;
    } finally {
      end();
    }
  }

  private sameOrThrow(existing: Order, req: OrderRequest): Order {
    if (!sameOrder(existing, req)) {
      throw new ConflictError(`client_order_id ${req.clientOrderId} is already used by a different order (${existing.side} ${existing.qty.toFixed()} ${existing.symbol} ${existing.type})`, {
        field: 'client_order_id',
        order_id: existing.id,
      });
    }
    return existing;
  }

  private assertAccepting(): void {
    if (this.closing) throw new UnavailableError('execution is shutting down');
    if (!this.reconciled) throw new UnavailableError('execution is reconciling with the venue; retry shortly');
    if (!this.o.tradingState.state) throw new UnavailableError('trading state unknown (risk not reachable yet); orders are refused until it is known');
  }

  private async create(req: OrderRequest, traceId: string): Promise<SubmitResult> {
    const now = this.now;
    let order = this.manager.create(req, this.newId(), traceId, now);
    // Gate and insert on the symbol's queue: the REDUCING check sees every order stored before it.
    const stored = await this.symbolQueue.run(req.symbol, async (): Promise<Order | undefined> => {
      const st = this.o.tradingState.state;
      if (!st) throw new UnavailableError('trading state unknown');
      if (st.state !== 'ACTIVE') {
        const exposure = st.state === 'REDUCING' ? await this.o.repo.exposure(req.symbol) : NO_EXPOSURE;
        const decision = this.manager.gate(st.state, req, exposure);
        if (!decision.ok) order = this.manager.rejected(order, decision.reason, now);
      }
      try {
        await this.o.repo.insertOrder(order);
        return undefined;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Another replica stored this client_order_id first: return its order, send nothing.
        const other = await this.o.repo.findByClientOrderId(req.clientOrderId);
        if (!other) throw err;
        return other;
      }
    });
    if (stored) return { order: this.sameOrThrow(stored, req), created: false };
    this.o.metrics.orders.inc({ status: order.status });
    this.publish(order, order.status === 'NEW' ? 'created' : EVENT_FOR_STATUS[order.status]);
    if (order.status !== 'NEW') {
      this.o.logger.info({ trace_id: traceId, order_id: order.id, client_order_id: order.clientOrderId, reason: order.reason }, 'order rejected by the trading state');
      return { order, created: true };
    }
    await this.orderQueue.run(order.id, () => this.sendToVenue(order));
    // A marketable order's fills were queued behind its submission: let them land first.
    await this.orderQueue.idle(order.id);
    return { order: (await this.o.repo.findOrder(order.id)) ?? order, created: true };
  }

  private async sendToVenue(created: Order): Promise<void> {
    // Canceled while queued? Then it never goes out.
    const order = (await this.o.repo.findOrder(created.id)) ?? created;
    if (order.status !== 'NEW') return;
    let next: (o: Order) => Order;
    try {
      const ack = await this.o.venue.submit({
        orderId: order.id,
        clientOrderId: order.clientOrderId,
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        qty: order.qty,
        limitPrice: order.limitPrice,
        ...(order.dataTime !== undefined ? { dataTime: order.dataTime } : {}),
      });
      next = ack.accepted ? (o) => this.manager.submitted(o, ack.venueOrderId, this.now) : (o) => this.manager.rejected(o, ack.reason, this.now);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message, order_id: order.id, trace_id: order.traceId }, 'venue submit failed');
      next = (o) => this.manager.failed(o, 'venue_error', this.now);
    }
    await this.change(order.id, next);
  }

  /** Applies an engine transition to the stored order and announces it. */
  private async change(orderId: string, next: (o: Order) => Order): Promise<Order> {
    const [before, after] = await this.persistently(() => this.o.repo.mutateOrder(orderId, next), 'order update');
    if (after.status !== before.status) {
      this.o.metrics.orders.inc({ status: after.status });
      this.publish(after, EVENT_FOR_STATUS[after.status]);
    }
    return after;
  }

  // ------------------------------------------------------------------ fills

  /** Records a venue fill (idempotent per venue trade id). Runs on the order's queue. */
  private async recordFill(fill: Fill): Promise<void> {
    const now = this.now;
    const res = await this.persistently(
      () => this.o.repo.recordFill(fill, this.newId(), now, (o) => this.manager.applyFill(o, fill, now)),
      'fill',
    );
    if (res.duplicate) {
      this.o.logger.debug({ venue_trade_id: fill.venueTradeId }, 'fill already recorded');
      return;
    }
    this.o.relay.wake(res.committedAt);
    this.o.metrics.fills.inc();
    const { before, order } = res;
    if (res.anomaly) this.o.logger.warn({ order_id: order.id, venue_trade_id: fill.venueTradeId, anomaly: res.anomaly, status: before.status }, 'fill does not fit its order; recorded anyway');
    if (order.status !== before.status) this.o.metrics.orders.inc({ status: order.status });
    const origin = this.o.traceTimes.get(order.traceId);
    if (origin !== undefined) this.o.metrics.pipelineLatency.observe({ stage: 'fill' }, Math.max(0, (Date.now() - origin) / 1000));
    if (!res.anomaly) this.publish(order, EVENT_FOR_STATUS[order.status]);
    this.o.logger.info(
      { trace_id: order.traceId, order_id: order.id, qty: fill.qty.toFixed(), price: fill.price.toFixed(), fee: fill.fee.toFixed(), liquidity: fill.liquidity, status: order.status },
      'fill',
    );
  }

  // ------------------------------------------------------------------ venue order updates

  /**
   * A status the venue reports (engine/venue-update.ts): persisted and announced like any other
   * transition (a venue-side cancel or expiry reaches risk on events.orders, which releases the
   * order's pending exposure). Runs on the order's queue.
   */
  private async applyVenueUpdate(u: VenueOrderUpdate): Promise<void> {
    const venue = this.o.venue.name;
    const known = await this.o.repo.findOrder(u.orderId);
    if (!known) {
      this.o.venueUpdates?.inc({ venue, status: u.status, outcome: 'unknown_order' });
      this.o.logger.warn({ order_id: u.orderId, client_order_id: u.clientOrderId, status: u.status }, 'venue order update for an order execution does not know');
      return;
    }
    // Decided on the stored order first, so a repeat costs no write; then again under the row lock.
    const r: { outcome: UpdateOutcome } = { outcome: applyStatusUpdate(this.manager, known, u, this.now).outcome };
    const before = known;
    let after = known;
    if (r.outcome === 'applied') {
      after = await this.change(u.orderId, (o) => {
        const res = applyStatusUpdate(this.manager, o, u, this.now);
        r.outcome = res.outcome;
        return res.order;
      });
    }
    const outcome = r.outcome;
    this.o.venueUpdates?.inc({ venue, status: u.status, outcome });
    const log = { trace_id: after.traceId, order_id: after.id, venue_order_id: after.venueOrderId, status: after.status, venue_status: u.status, source: u.source, outcome };
    if (outcome === 'applied') this.o.logger.info({ ...log, from: before.status, from_venue_order_id: before.venueOrderId, reason: after.reason }, 'order updated from the venue');
    else if (u.status === 'filled' && !after.filledQty.eq(after.qty)) this.o.logger.info({ ...log, venue_filled_qty: u.filledQty.toFixed(), filled_qty: after.filledQty.toFixed() }, 'venue reports the order filled; waiting for its fills');
    else this.o.logger.debug(log, 'venue order update changes nothing');
  }

  // ------------------------------------------------------------------ cancel / read

  async cancel(ref: OrderRefInput, reason = 'canceled'): Promise<Order> {
    if (this.closing) throw new UnavailableError('execution is shutting down');
    if (!this.reconciled) throw new UnavailableError('execution is reconciling with the venue; retry shortly');
    const order = await this.getOrder(ref);
    return this.orderQueue.run(order.id, async () => {
      const cur = (await this.o.repo.findOrder(order.id)) ?? order;
      if (isTerminal(cur.status)) throw new FailedPreconditionError(`order ${cur.id} is ${cur.status} and cannot be canceled`, { order_id: cur.id, status: cur.status });
      if (cur.status !== 'NEW') {
        const canceled = await this.o.venue.cancel(this.refOf(cur));
        if (!canceled) throw new FailedPreconditionError(`order ${cur.id} is no longer open at the venue`, { order_id: cur.id, status: cur.status });
      }
      return this.change(cur.id, (o) => this.manager.canceled(o, reason, this.now));
    });
  }

  async getOrder(ref: OrderRefInput): Promise<Order> {
    const id = ref.id?.trim() ?? '';
    const cid = ref.client_order_id?.trim() ?? '';
    if (id === '' && cid === '') throw new InvalidArgumentError('id or client_order_id is required', { field: 'id' });
    if (id.length > 128 || cid.length > 128) throw new InvalidArgumentError('id is too long', { field: 'id' });
    const order = id !== '' ? ((await this.o.repo.findOrder(id)) ?? (cid === '' ? await this.o.repo.findByClientOrderId(id) : undefined)) : await this.o.repo.findByClientOrderId(cid);
    if (!order) throw new NotFoundError(`order ${id || cid} not found`);
    return order;
  }

  async listOrders(q: { status?: unknown; symbol?: unknown; limit?: unknown; offset?: unknown }): Promise<{ orders: Order[]; total: number }> {
    const f: OrderFilter = { ...page(q.limit, q.offset) };
    if (!absent(q.status)) {
      const s = typeof q.status === 'string' ? q.status.toUpperCase() : q.status;
      if (!isOrderStatus(s)) throw new InvalidArgumentError(`status must be one of ${ORDER_STATUSES.join(', ')}, got ${describeValue(q.status)}`, { field: 'status' });
      f.status = s;
    }
    if (!absent(q.symbol)) f.symbol = this.symbols.require(q.symbol, 'symbol');
    return this.o.repo.listOrders(f);
  }

  /** The live venues' account balances (none in paper mode: the paper venue holds no account). */
  async venueBalances(): Promise<VenueAccountBalances[]> {
    return this.o.venue.accountBalances ? this.o.venue.accountBalances() : [];
  }

  async listTrades(q: { symbol?: unknown; order_id?: unknown; limit?: unknown; offset?: unknown }): Promise<{ trades: TradeRecord[]; total: number }> {
    const f: TradeFilter = { ...page(q.limit, q.offset) };
    if (!absent(q.symbol)) f.symbol = this.symbols.require(q.symbol, 'symbol');
    if (!absent(q.order_id)) {
      if (typeof q.order_id !== 'string' || q.order_id.length > 36 || !ID_RE.test(q.order_id)) throw new InvalidArgumentError('order_id is invalid', { field: 'order_id' });
      f.orderId = q.order_id;
    }
    return this.o.repo.listTrades(f);
  }

  async positions(): Promise<Array<{ symbol: Symbol; qty: string }>> {
    return [...(await this.o.repo.positions())].map(([symbol, qty]) => ({ symbol, qty: qty.toFixed() }));
  }

  // ------------------------------------------------------------------ restart

  /**
   * Start-up reconciliation, before the service reports ready: re-register our open orders with a
   * venue that needs it (the mock venue keeps resting orders in memory only), then compare each
   * open order with what the venue says, applying fills it reports and final states.
   *
   * An open order that is not a valid order is quarantined (marked FAILED, reason 'quarantined'); one
   * whose reconciliation fails on its own data (a domain error) is quarantined as skipped (left open
   * for the next start). Venue, network and database failures are rethrown, so the start is retried.
   * Without `quarantine` (tests), any failure throws.
   */
  async reconcile(quarantine?: Quarantine): Promise<{ open: number; changed: number }> {
    const stored = await this.o.repo.openOrders();
    const open = quarantine
      ? await restoreRows(stored, {
          table: 'orders',
          quarantine,
          idOf: (o) => o.id,
          restore: checkStoredOrder,
          deactivate: (o) => this.o.repo.quarantineOrder(o.id, this.now),
        })
      : stored;
    if (this.o.venue.restoreOpenOrders) {
      const counts = await this.o.repo.fillCounts(open.map((o) => o.id));
      const snapshots: OpenOrderSnapshot[] = open
        .filter((o) => o.status !== 'NEW' && o.venueOrderId !== null)
        .map((o) => ({
          orderId: o.id,
          clientOrderId: o.clientOrderId,
          symbol: o.symbol,
          side: o.side,
          type: o.type,
          qty: o.qty,
          limitPrice: o.limitPrice,
          venueOrderId: o.venueOrderId as string,
          filledQty: o.filledQty,
          fillCount: counts.get(o.id) ?? 0,
          ...(o.dataTime !== undefined ? { dataTime: o.dataTime } : {}),
        }));
      await this.o.venue.restoreOpenOrders(snapshots);
    }
    let changed = 0;
    const reconcileOne = async (o: Order): Promise<void> => {
      const after = await this.orderQueue.run(o.id, () => this.reconcileOne(o));
      if (after.status !== o.status || !after.filledQty.eq(o.filledQty)) changed++;
    };
    // Only a domain error (the order's data) quarantines it; a venue or network failure is retried
    // by the caller like before, so a live order is never left unreconciled because of a blip.
    const reconcileOrRethrow = async (o: Order): Promise<void> => {
      try {
        await reconcileOne(o);
      } catch (err) {
        if (err instanceof DomainError && err.code !== 'UNAVAILABLE' && err.code !== 'INTERNAL') throw err;
        throw new RetryReconcile(err);
      }
    };
    try {
      if (quarantine) await restoreRows(open, { table: 'orders', quarantine, idOf: (o) => o.id, restore: reconcileOrRethrow });
      else for (const o of open) await reconcileOne(o);
    } catch (err) {
      throw err instanceof RetryReconcile ? err.original : err;
    }
    const known = new Set(open.map((o) => o.id));
    for (const v of await this.o.venue.fetchOpenOrders()) {
      if (!known.has(v.orderId)) this.o.logger.warn({ venue_order_id: v.venueOrderId, client_order_id: v.clientOrderId }, 'open order at the venue that execution does not know');
    }
    this.reconciled = true;
    this.o.logger.info({ open: open.length, changed }, 'reconciled with the venue');
    const st = this.o.tradingState.state;
    if (st?.state === 'HALTED') void this.onHalt();
    return { open: open.length, changed };
  }

  private async reconcileOne(o: Order): Promise<Order> {
    const v = await this.o.venue.fetchOrder(this.refOf(o));
    if (!v) {
      // Never reached the venue (NEW), or the venue lost it.
      if (o.status === 'NEW') return this.change(o.id, (x) => this.manager.failed(x, 'not_submitted_before_restart', this.now));
      // An ambiguous submission the venue does not have was never placed.
      if (o.status === 'SUBMITTED' && o.venueOrderId?.startsWith(UNCONFIRMED_PREFIX)) return this.change(o.id, (x) => this.manager.rejected(x, REASON_NO_SUCH_ORDER, this.now));
      return this.change(o.id, (x) => this.manager.expired(x, 'unknown_at_venue', this.now));
    }
    if (o.status === 'NEW') await this.change(o.id, (x) => this.manager.submitted(x, v.venueOrderId, this.now));
    for (const f of v.fills) await this.recordFill(f);
    let cur = (await this.o.repo.findOrder(o.id)) ?? o;
    if (isTerminal(cur.status)) return cur;
    // The same rules as a live update (a final status ends it; fills alone fill it).
    if (v.status === 'canceled' || v.status === 'rejected' || v.status === 'expired') {
      cur = await this.change(o.id, (x) => applyStatusUpdate(this.manager, x, { status: v.status, venueOrderId: v.venueOrderId, reason: '' }, this.now).order);
    } else if (v.status === 'filled' && !cur.filledQty.eq(cur.qty)) this.o.logger.warn({ order_id: o.id }, 'venue reports the order filled but not every fill is known');
    return cur;
  }

  // ------------------------------------------------------------------ trading state

  /** Called by the trading-state guard on every change. */
  onTradingState(next: KnownTradingState, prev: KnownTradingState | undefined): void {
    this.o.metrics.setTradingState(next.state);
    if (next.state === 'HALTED' && prev?.state !== 'HALTED' && this.reconciled) void this.onHalt();
  }

  /** HALTED: cancel resting orders that would open or grow a position (reducing ones stay). */
  private async onHalt(): Promise<void> {
    if (!this.o.haltCancelsOpeningOrders) return;
    try {
      const [open, positions] = await Promise.all([this.o.repo.openOrders(), this.o.repo.positions()]);
      for (const o of open) {
        const position = positions.get(o.symbol) ?? new Dec(0);
        if (reduces(o.side, this.manager.remaining(o), { position, openBuy: new Dec(0), openSell: new Dec(0) })) continue;
        await this.cancel({ id: o.id }, 'trading_halted').catch((err: Error) => this.o.logger.info({ order_id: o.id, err: err.message }, 'not canceled on halt'));
      }
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'canceling opening orders on halt failed');
    }
  }

  // ------------------------------------------------------------------ events, shutdown

  private publish(order: Order, event: OrderEventName): void {
    const msg: OrderEventMessage = { ...toEventMessage(order, event), ts: this.now };
    const notice: OrderEventNotice = { message: msg, order };
    this.events.emit('order', notice);
    const p = this.o.bus
      .publish(TRADING_CHANNELS.orders, { type: 'order', data: msg, trace_id: order.traceId })
      .catch((err: Error) => this.o.logger.warn({ err: err.message, order_id: order.id }, 'order event not published'))
      .finally(() => this.publishes.delete(p));
    this.publishes.add(p);
  }

  /** Refuse new orders from now on. */
  stopIntake(): void {
    this.closing = true;
  }

  /** Waits for in-flight order work and event publishes. */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((p) => p.catch(() => undefined)));
    await this.orderQueue.drain();
    await Promise.all([...this.publishes]);
  }

  private refOf(o: Order): VenueOrderRef {
    return { orderId: o.id, clientOrderId: o.clientOrderId, venueOrderId: o.venueOrderId, symbol: o.symbol };
  }

  /** Retries a database write while the database is unavailable (a fill is a fact: do not drop it on a blip). */
  private async persistently<T>(fn: () => Promise<T>, what: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof UnavailableError) || attempt >= 30) throw err;
        if (attempt === 1) this.o.logger.warn({ err: err.message, what }, 'database unavailable; retrying');
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }
}

function toEventMessage(o: Order, event: OrderEventName): Omit<OrderEventMessage, 'ts'> {
  return {
    event,
    order_id: o.id,
    client_order_id: o.clientOrderId,
    recommendation_id: o.recommendationId,
    symbol: o.symbol,
    side: o.side,
    status: o.status,
    qty: o.qty.toFixed(),
    filled_qty: o.filledQty.toFixed(),
    avg_fill_price: o.avgFillPrice?.toFixed() ?? '',
    reason: o.reason,
    trace_id: o.traceId,
  };
}

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function intParam(v: unknown, field: string, def: number, min: number, max: number): number {
  if (absent(v)) return def;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${field} must be an integer in [${min}, ${max}], got ${describeValue(v)}`, { field });
  return n;
}

function page(limit: unknown, offset: unknown): { limit: number; offset: number } {
  // gRPC sends 0 for an unset limit.
  const l = limit === 0 ? DEFAULT_PAGE : intParam(limit, 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
  return { limit: l, offset: intParam(offset, 'offset', 0, 0, 10_000_000) };
}


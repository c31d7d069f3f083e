/**
 * CcxtVenue: a live venue (Binance.US, Coinbase Advanced, KuCoin) through ccxt, behind the same
 * `Venue` interface as the paper venue. One instance per configured venue.
 *
 * - Before sending, an order is checked against the venue's market rules from loadMarkets (lot
 *   step, min/max quantity, price tick, min notional: engine/venue-rules.ts); one the venue would
 *   refuse is rejected here with the reason.
 * - The order's client order id (stored before the send) goes out in the venue's own field
 *   (Binance newClientOrderId, Coinbase client_order_id, KuCoin clientOid), mapped
 *   deterministically when the venue's format is narrower than ours.
 * - An ambiguous outcome (timeout, reset, 5xx) is never retried blind: the order is looked up by
 *   client order id first, and only an order the venue provably does not have is sent again
 *   (engine/venue-outcome.ts). Rejections are final with the venue's reason.
 * - Fills come from the user data stream (watchMyTrades, or watchOrders plus REST where the venue
 *   has no trade stream) and are reconciled over REST (fetchOrder + fetchOrderTrades/fetchMyTrades)
 *   after every reconnect, every `reconcileMs` and at start (the service's fetchOrder). The service
 *   stores a fill once per (venue, venue_trade_id), so a fill seen twice or out of order counts once.
 * - Status changes the venue makes on its own (a cancel or expiry at the venue, an ambiguous
 *   submission resolved by a later lookup) reach the service through `onOrderUpdate`: from the
 *   user stream's order updates (watchOrders, next to watchMyTrades) and from every REST
 *   reconciliation, each status once per order. A final status whose fills were not all seen is
 *   sent after them (REST), so the service records the fills before it ends the order.
 * - Credentials never leave: every error text passes the secret redactor before it is logged,
 *   stored or thrown, and metrics carry only fixed labels.
 */
import { createHash } from 'node:crypto';
import * as ccxt from 'ccxt';
import { newProExchange, type ProExchange } from '@cte/shared/ccxt';
import { Dec, InvalidArgumentError, rebaseUrls, Sleeper, truncateText, type Logger, type RateBudget, type Symbol } from '@cte/shared';
import { callBudget } from '../engine/rate-costs';
import type { LiveVenueConfig, LiveVenueId } from '../config';
import { quoteOf } from '../engine/precision';
import { secretRedactor } from '../engine/redact';
import { afterLookup, afterSend, classifyVenueError, type LookupOutcome, type SendOutcome, type SubmitDecision, type SubmitPolicy, type VenueErrorKind } from '../engine/venue-outcome';
import { checkOrder, marketRulesFrom, venueClientOrderId, type MarketRules } from '../engine/venue-rules';
import { clientIdOf, fillFromTrade, parseAckReply, parseVenueOrder, reconnectDelayMs, tradeOrderIdOf, type ParsedVenueOrder } from '../engine/venue-trades';
import type { CcxtVenueMetrics } from './ccxt-venue-metrics';
import type { Fill } from '../engine/types';
import { parseVenueBalances, type VenueAccountBalances, type VenueBalance } from '../engine/venue-balances';
import { REASON_NO_SUCH_ORDER, UNCONFIRMED_PREFIX, type VenueOrderStatus } from '../engine/venue-update';
import type { FillHandler, OrderUpdateHandler, Venue, VenueAck, VenueOrderRef, VenueOrderRequest, VenueOrderState } from './venue';

export type { ProExchange };

/** Spot markets only; Binance may list open orders without a symbol (we always pass one anyway). */
const CCXT_OPTIONS: Record<LiveVenueId, Record<string, unknown>> = {
  binanceus: { warnOnFetchOpenOrdersWithoutSymbol: false },
  coinbase: {},
  kucoin: { fetchMarkets: { types: ['spot'] } },
};

/** The metrics' `call` label of a lookup by client order id (after an ambiguous send, or of an unconfirmed order). */
export const LOOKUP_CALL = 'lookupByClientId';

/**
 * The createOrder param that carries our client order id, in each venue's own field: ccxt's
 * coinbase createOrder ignores the unified `clientOrderId` (it sends `ccxt-<uuid>` instead).
 */
const CLIENT_ID_PARAM: Record<LiveVenueId, string> = {
  binanceus: 'newClientOrderId',
  coinbase: 'client_order_id',
  kucoin: 'clientOid',
};

/** A ccxt.pro client with the venue's credentials, pointed at `baseUrl` when given. */
export async function createCcxtExchange(cfg: LiveVenueConfig, timeoutMs: number): Promise<ProExchange> {
  const c = cfg.credentials;
  const ex = newProExchange(cfg.id, {
    apiKey: c.apiKey.reveal(),
    secret: c.secret.reveal(),
    ...(c.password ? { password: c.password.reveal() } : {}),
    enableRateLimit: true,
    timeout: timeoutMs,
    options: CCXT_OPTIONS[cfg.id],
  });
  if (cfg.baseUrl !== undefined) {
    ex.urls['api'] = rebaseUrls(ex.urls['api'], new URL(cfg.baseUrl)) as (typeof ex.urls)['api'];
    // ccxt refuses plain ws:// until it has an http agent (the emulator or a non-TLS proxy).
    if (cfg.baseUrl.startsWith('http:')) await ex.loadHttpProxyAgent();
  }
  return ex;
}

export interface CcxtVenueOptions {
  id: LiveVenueId;
  exchange: ProExchange;
  /** The fleet symbols this venue trades. */
  symbols: readonly Symbol[];
  /** Every credential of this venue, for the redactor. */
  secrets: readonly string[];
  policy: SubmitPolicy;
  /** Period of the REST reconciliation of open orders. 0 = only after reconnects. */
  reconcileMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  logger: Logger;
  metrics?: CcxtVenueMetrics;
  /** The latest price of a symbol (price-stream's ticks), for market orders' notional check. */
  referencePrice?: (symbol: Symbol) => Dec | undefined;
  random?: () => number;
  /** The cluster-wide rate-limit budget of this venue's API key; every REST call waits for it. */
  budget?: RateBudget;
}

/** An order of ours the venue may have. */
interface Tracked {
  orderId: string;
  clientOrderId: string;
  /** The id the venue knows it by (= clientOrderId when that fits the venue's format). */
  venueClientId: string;
  symbol: Symbol;
  venueOrderId: string | undefined;
  /** Sent (or found at the venue) and not seen final by a reconciliation. */
  open: boolean;
  /** Ordered quantity, when known (submitted by this process), and what its fills add up to. */
  qty: Dec | undefined;
  filled: Dec;
  /** Being submitted by this process: the reconciliations leave it to the submission. */
  submitting: boolean;
  /** The last status handed to the service, and under which venue order id. */
  reported: VenueOrderStatus | undefined;
  reportedVenueId: string | null | undefined;
}

/** Trades of orders not (yet) known by venue order id, waiting for the order's acknowledgement. */
const MAX_PENDING_TRADES = 10_000;
/** Trade ids already handed to the service (it dedupes too; this saves the database the repeats). */
const SEEN_WINDOW = 50_000;
/** Closed orders kept for late stream events (looked up by client or venue order id), oldest forgotten first. */
const CLOSED_WINDOW = 10_000;

/** ccxt's error classes the decision table knows, subclasses before their parents. */
const CCXT_ERRORS = [
  'OrderNotFound',
  'DuplicateOrderId',
  'OrderImmediatelyFillable',
  'OrderNotFillable',
  'InvalidOrder',
  'InsufficientFunds',
  'BadSymbol',
  'BadRequest',
  'ArgumentsRequired',
  'NotSupported',
  'MarketClosed',
  'RestrictedLocation',
  'OperationRejected',
  'AccountNotEnabled',
  'PermissionDenied',
  'AccountSuspended',
  'AuthenticationError',
  'RequestTimeout',
  'ExchangeNotAvailable',
  'RateLimitExceeded',
  'DDoSProtection',
  'InvalidNonce',
  'NetworkError',
  'BadResponse',
  'OperationFailed',
  'ExchangeError',
] as const;

/** The ccxt classes an error is an instance of, most specific first (what classifyVenueError reads). */
export function ccxtErrorChain(err: unknown): string[] {
  const lib = ccxt as unknown as Record<string, unknown>;
  return CCXT_ERRORS.filter((name) => {
    const C = lib[name];
    return typeof C === 'function' && err instanceof (C as new (...args: never[]) => object);
  });
}

export function clientIdHash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export class CcxtVenue implements Venue {
  readonly name: string;
  private handler: FillHandler | undefined;
  private updates: OrderUpdateHandler | undefined;
  private readonly rules = new Map<Symbol, MarketRules>();
  private readonly byClientId = new Map<string, Tracked>();
  private readonly byVenueOrderId = new Map<string, Tracked>();
  private readonly closedOrders = new Set<Tracked>();
  private readonly pending = new Map<string, unknown[]>();
  private pendingCount = 0;
  private readonly seen = new Set<string>();
  /** Orders a reconnect's reconciliation passed over while they were being submitted: reconciled once submitted. */
  private readonly missedRepairs = new Set<Tracked>();
  private readonly redact: (text: string) => string;
  private readonly sleeper = new Sleeper();
  private closed = false;
  private streamLoops: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private readonly random: () => number;

  constructor(private readonly o: CcxtVenueOptions) {
    this.name = o.id;
    this.redact = secretRedactor(o.secrets);
    this.random = o.random ?? Math.random;
  }

  get ex(): ProExchange {
    return this.o.exchange;
  }

  /** Market rules of a symbol (after start). */
  marketRules(symbol: Symbol): MarketRules | undefined {
    return this.rules.get(symbol);
  }

  /** Loads the venue's markets (every configured symbol must be listed and active), then starts the user stream and the periodic reconciliation. */
  async start(): Promise<void> {
    const markets = (await this.call('loadMarkets', () => this.ex.loadMarkets())) as Record<string, unknown>;
    const missing: string[] = [];
    for (const s of this.o.symbols) {
      const m = markets[s];
      if (m === undefined) {
        missing.push(s);
        continue;
      }
      const r = marketRulesFrom(m, Number(this.ex.precisionMode));
      if (!r.active) missing.push(`${s} (inactive)`);
      this.rules.set(s, r);
    }
    if (missing.length > 0) throw new InvalidArgumentError(`LIVE_SYMBOLS_${this.o.id.toUpperCase()}: ${this.o.id} lists no active market ${missing.slice(0, 10).join(', ')}`);
    const useTrades = Boolean(this.ex.has['watchMyTrades']);
    // Order updates (cancels, expiries at the venue) come on the same user stream as the trades.
    const streams: Array<'trades' | 'orders'> = useTrades ? (this.ex.has['watchOrders'] ? ['trades', 'orders'] : ['trades']) : ['orders'];
    this.streamLoops = streams.map((kind) => this.runStream(kind));
    if (this.o.reconcileMs > 0) {
      this.timer = setInterval(() => void this.reconcileOpen('periodic'), this.o.reconcileMs);
      this.timer.unref();
    }
    this.o.logger.info({ venue: this.name, symbols: this.o.symbols, streams: streams.map((k) => (k === 'trades' ? 'watchMyTrades' : 'watchOrders')) }, 'live venue ready');
  }

  onFill(handler: FillHandler): void {
    this.handler = handler;
  }

  onOrderUpdate(handler: OrderUpdateHandler): void {
    this.updates = handler;
  }

  // ------------------------------------------------------------------ submit

  async submit(order: VenueOrderRequest): Promise<VenueAck> {
    const rules = this.rules.get(order.symbol);
    if (!rules) return { accepted: false, reason: truncateText(`no_market: ${this.name} does not trade ${order.symbol}`, 64) };
    const checked = checkOrder(rules, order, order.type === 'market' ? this.o.referencePrice?.(order.symbol) : undefined);
    if (!checked.ok) {
      this.o.logger.info({ venue: this.name, order_id: order.orderId, client_order_id: order.clientOrderId, reason: checked.reason, detail: checked.detail }, 'order rejected by the venue rules before sending');
      this.o.metrics?.rejectedLocally.inc({ venue: this.name });
      return { accepted: false, reason: checked.reason };
    }
    const t = this.track(order.orderId, order.clientOrderId, order.symbol);
    t.qty = checked.qty;
    t.submitting = true;
    try {
      return await this.place(t, order, checked.qty, checked.limitPrice);
    } finally {
      t.submitting = false;
      // Their fills may have gone with the dropped stream, and no reconciliation is due.
      if (this.missedRepairs.delete(t) && t.open) void this.reconcileOne(t).catch((err: unknown) => this.o.logger.warn({ venue: this.name, order_id: t.orderId, err: this.describe(err) }, 'order not reconciled after its submission; retried next time'));
    }
  }

  private async place(t: Tracked, order: VenueOrderRequest, qty: Dec, limitPrice: Dec | null): Promise<VenueAck> {
    const progress = { sends: 0, lookups: 0 };
    let decision: SubmitDecision = { do: 'send' };
    for (;;) {
      switch (decision.do) {
        case 'send':
          progress.sends++;
          progress.lookups = 0;
          decision = afterSend(await this.send(t, order, qty, limitPrice), this.o.policy);
          break;
        case 'lookup':
          if (decision.afterMs > 0) await this.sleep(decision.afterMs);
          progress.lookups++;
          decision = afterLookup(await this.lookup(t), progress, this.o.policy);
          break;
        case 'accept':
          this.acknowledged(t, decision.venueOrderId);
          return { accepted: true, venueOrderId: decision.venueOrderId };
        case 'reject':
          this.retire(t);
          this.o.logger.info({ venue: this.name, order_id: t.orderId, client_order_id: t.clientOrderId, reason: decision.reason }, 'order rejected by the venue');
          return { accepted: false, reason: decision.reason };
        case 'unresolved':
          if (t.venueOrderId !== undefined && !t.venueOrderId.startsWith(UNCONFIRMED_PREFIX)) {
            // The user stream showed the order (by its client order id) while the lookups failed.
            this.o.logger.warn({ venue: this.name, order_id: t.orderId, client_order_id: t.clientOrderId, venue_order_id: t.venueOrderId }, 'order outcome resolved by the user stream; every lookup failed');
            return { accepted: true, venueOrderId: t.venueOrderId };
          }
          // Unknown after every lookup: keep it open under a provisional id. Fills still arrive by
          // client order id, and the reconciliations keep looking it up.
          this.o.logger.error({ venue: this.name, order_id: t.orderId, client_order_id: t.clientOrderId, why: this.redact(decision.why) }, 'order outcome unknown at the venue; kept open and looked up again later');
          this.o.metrics?.unresolved.inc({ venue: this.name });
          t.venueOrderId = `${UNCONFIRMED_PREFIX}${t.venueClientId}`;
          return { accepted: true, venueOrderId: t.venueOrderId };
      }
    }
  }

  private async send(t: Tracked, order: VenueOrderRequest, qty: Dec, limitPrice: Dec | null): Promise<SendOutcome> {
    const params: Record<string, unknown> = { [CLIENT_ID_PARAM[this.o.id]]: t.venueClientId };
    if (this.o.id === 'coinbase' && order.type === 'market' && order.side === 'buy') {
      // ccxt sizes a Coinbase market buy in quote (qty × a price), which fills a different base
      // quantity than ordered. Coinbase also takes base_size on market buys: sent as ordered.
      params['createMarketBuyOrderRequiresPrice'] = false;
      params['order_configuration'] = { market_market_ioc: { base_size: qty.toFixed() } };
    }
    return this.sendOrder(order, qty, limitPrice, params);
  }

  private async sendOrder(order: VenueOrderRequest, qty: Dec, price: Dec | null, params: Record<string, unknown>): Promise<SendOutcome> {
    try {
      const placed = await this.call('createOrder', () =>
        this.ex.createOrder(order.symbol, order.type, order.side, Number(qty.toFixed()), price === null ? undefined : Number(price.toFixed()), params),
      );
      const parsed = parseAckReply(placed, order.symbol);
      if (!parsed) return { ok: false, kind: 'ambiguous', message: 'the venue acknowledged without an order id' };
      return { ok: true, venueOrderId: parsed.venueOrderId };
    } catch (err) {
      return { ok: false, kind: this.kindOf(err), message: this.describe(err) };
    }
  }

  /** The venue's order with our client order id: found, provably absent, or the lookup failed. */
  private async lookup(t: Tracked): Promise<LookupOutcome> {
    try {
      const v = await this.fetchByClientId(t);
      return v ? { found: true, venueOrderId: v.venueOrderId } : { found: false };
    } catch (err) {
      return { error: this.kindOf(err), message: this.describe(err) };
    }
  }

  private async fetchByClientId(t: Tracked): Promise<ParsedVenueOrder | undefined> {
    if (this.o.id === 'coinbase') {
      // Coinbase looks orders up by its own id; by client id only through its order list (every
      // status, newest first: an order canceled or expired since must still count as found).
      const list = await this.call(LOOKUP_CALL, () => this.ex.fetchOrders(t.symbol, undefined, 1000));
      for (const raw of list) {
        const v = parseVenueOrder(raw);
        if (v && v.clientId === t.venueClientId) return v;
      }
      return undefined;
    }
    const params = this.o.id === 'binanceus' ? { origClientOrderId: t.venueClientId } : { clientOid: t.venueClientId };
    const raw = await this.call(LOOKUP_CALL, () => this.ex.fetchOrder(t.venueOrderId ?? '', t.symbol, params));
    return parseVenueOrder(raw);
  }

  // ------------------------------------------------------------------ cancel, reconciliation reads

  async cancel(ref: VenueOrderRef): Promise<boolean> {
    const t = this.track(ref.orderId, ref.clientOrderId, ref.symbol, ref.venueOrderId);
    let known = t.venueOrderId !== undefined && !t.venueOrderId.startsWith(UNCONFIRMED_PREFIX);
    if (!known && this.o.id === 'coinbase') {
      // Coinbase cancels by its own order id only: the order is looked up by client order id first.
      const v = await this.safely('cancelOrder', () => this.fetchByClientId(t));
      if (!v) return false;
      this.acknowledged(t, v.venueOrderId);
      known = true;
    }
    const params = known ? {} : this.o.id === 'binanceus' ? { origClientOrderId: t.venueClientId } : { clientOid: t.venueClientId };
    try {
      await this.call('cancelOrder', () => this.ex.cancelOrder(known ? (t.venueOrderId as string) : '', t.symbol, params));
      return true;
    } catch (err) {
      if (this.kindOf(err) === 'not_found') {
        // Filled or gone: its fills (if any) come in through the reconciliation.
        void this.reconcileOne(t).catch(() => undefined);
        return false;
      }
      if (this.o.id === 'coinbase' && known && ccxtErrorChain(err)[0] === 'BadRequest') {
        // Coinbase refuses to cancel an order it no longer has open with success:false, which
        // ccxt raises as a bare BadRequest (the reason dropped): the order's state says which.
        await this.reconcileOne(t).catch(() => undefined);
        if (!t.open) return false;
      }
      throw new Error(`${this.name} cancelOrder failed: ${this.describe(err)}`);
    }
  }

  async fetchOpenOrders(symbol?: Symbol): Promise<VenueOrderState[]> {
    return this.safely('fetchOpenOrders', () => this.openOrders(symbol));
  }

  async accountBalances(): Promise<VenueAccountBalances[]> {
    try {
      return [{ venue: this.name, balances: await this.fetchBalances() }];
    } catch (err) {
      return [{ venue: this.name, balances: [], error: err instanceof Error ? err.message : 'fetchBalance failed' }];
    }
  }

  /** The account's non-zero balances (free + used per asset), for portfolio's reconciliation. */
  async fetchBalances(): Promise<VenueBalance[]> {
    return this.safely('fetchBalance', async () => parseVenueBalances(await this.call('fetchBalance', () => this.ex.fetchBalance())));
  }

  private async openOrders(symbol?: Symbol): Promise<VenueOrderState[]> {
    const out: VenueOrderState[] = [];
    for (const s of symbol ? [symbol] : this.o.symbols) {
      const list = await this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders(s));
      for (const raw of list) {
        const v = parseVenueOrder(raw);
        if (!v) continue;
        const t = (v.clientId !== undefined ? this.byClientId.get(v.clientId) : undefined) ?? this.byVenueOrderId.get(v.venueOrderId);
        out.push({ venueOrderId: v.venueOrderId, orderId: t?.orderId ?? '', clientOrderId: t?.clientOrderId ?? v.clientId ?? '', symbol: v.symbol, status: v.status, filledQty: v.filledQty, fills: [] });
      }
    }
    return out;
  }

  /** Reconciliation at start: the order by client order id, with every fill the venue reports. */
  async fetchOrder(ref: VenueOrderRef): Promise<VenueOrderState | undefined> {
    return this.safely('fetchOrder', () => this.orderWithFills(ref));
  }

  private async orderWithFills(ref: VenueOrderRef): Promise<VenueOrderState | undefined> {
    const t = this.track(ref.orderId, ref.clientOrderId, ref.symbol, ref.venueOrderId ?? undefined);
    let v: ParsedVenueOrder | undefined;
    try {
      v = await this.fetchByClientId(t);
    } catch (err) {
      if (this.kindOf(err) !== 'not_found') throw err;
    }
    if (!v) {
      this.retire(t);
      return undefined;
    }
    this.acknowledged(t, v.venueOrderId);
    const fills = v.filledQty.gt(0) ? await this.fillsOf(t) : [];
    if (v.status !== 'open') this.retire(t);
    // The service applies this status itself: not reported again.
    t.reported = statusOf(v);
    t.reportedVenueId = v.venueOrderId;
    return { venueOrderId: v.venueOrderId, orderId: t.orderId, clientOrderId: t.clientOrderId, symbol: t.symbol, status: v.status, filledQty: v.filledQty, fills };
  }

  /** The order's trades over REST, as fills. */
  private async fillsOf(t: Tracked): Promise<Fill[]> {
    const id = t.venueOrderId;
    if (id === undefined) return [];
    const trades = this.ex.has['fetchOrderTrades']
      ? await this.call('fetchOrderTrades', () => this.ex.fetchOrderTrades(id, t.symbol))
      : // Coinbase: its fills list filtered by order id (the filter param is the venue's own).
        (await this.call('fetchMyTrades', () => this.ex.fetchMyTrades(t.symbol, undefined, undefined, this.o.id === 'coinbase' ? { order_ids: id } : {}))).filter((x) => tradeOrderIdOf(x) === id);
    const out: Fill[] = [];
    for (const raw of trades) {
      const f = this.toFill(raw, t);
      if (f) out.push(f);
    }
    return out;
  }

  // ------------------------------------------------------------------ the user stream

  /** One user-stream subscription: trades (fills) or orders (statuses; fills too where the venue has no trade stream). */
  private async runStream(kind: 'trades' | 'orders'): Promise<void> {
    const useTrades = kind === 'trades';
    let attempt = 0;
    let repair = false;
    while (!this.closed) {
      try {
        const watching: Promise<unknown[]> = useTrades ? this.ex.watchMyTrades() : this.ex.watchOrders();
        if (repair) {
          // The subscription is on its way: what filled while the stream was down comes over REST.
          watching.catch(() => undefined);
          repair = false;
          await this.reconcileOpen('reconnect');
        }
        const items = await watching;
        attempt = 0;
        if (useTrades) for (const raw of items) this.onStreamTrade(raw);
        else for (const raw of items) this.onStreamOrder(raw);
      } catch (err) {
        if (this.closed) break;
        const delay = reconnectDelayMs(attempt++, this.o.reconnectBaseMs, this.o.reconnectMaxMs, this.random());
        this.o.metrics?.streamReconnects.inc({ venue: this.name });
        this.o.logger.warn({ venue: this.name, stream: kind, attempt, delay_ms: delay, err: this.describe(err) }, 'user data stream lost; reconnecting');
        repair = true;
        await this.sleep(delay);
      }
    }
  }

  private onStreamTrade(raw: unknown): void {
    const t = this.owner(raw);
    if (!t) {
      const vid = tradeOrderIdOf(raw);
      if (vid !== undefined) this.park(vid, raw);
      return;
    }
    const f = this.toFill(raw, t);
    if (f) this.emit([f], t);
  }

  /**
   * watchOrders: a status change is reported to the service. A fill shows as a higher filled
   * quantity; its trades come over REST where the venue has no trade stream, and for a final
   * status whose fills were not all seen (they are emitted first, then the status).
   */
  private onStreamOrder(raw: unknown): void {
    let v: ParsedVenueOrder | undefined;
    try {
      v = parseVenueOrder(raw);
    } catch (err) {
      this.o.logger.warn({ venue: this.name, err: this.describe(err) }, 'malformed order update dropped');
      return;
    }
    if (!v) return;
    const t = (v.clientId !== undefined ? this.byClientId.get(v.clientId) : undefined) ?? this.byVenueOrderId.get(v.venueOrderId);
    if (!t) return;
    if (t.venueOrderId === undefined || t.venueOrderId.startsWith(UNCONFIRMED_PREFIX)) this.acknowledged(t, v.venueOrderId);
    const unseenFills = v.filledQty.gt(t.filled) && (!this.ex.has['watchMyTrades'] || v.status !== 'open');
    if (unseenFills) {
      void this.reconcileOne(t).catch((err: unknown) => this.o.logger.warn({ venue: this.name, order_id: t.orderId, err: this.describe(err) }, 'fills of an order update not fetched; the next reconciliation retries'));
      return;
    }
    this.report(t, v, 'stream');
    if (v.status !== 'open') this.retire(t);
  }

  /** Hands a status to the service when it differs from the last one it got for this order. */
  private report(t: Tracked, v: ParsedVenueOrder | undefined, source: 'stream' | 'rest'): void {
    const status: VenueOrderStatus = v ? statusOf(v) : 'rejected';
    const venueOrderId = v ? v.venueOrderId : null;
    if (t.reported === status && t.reportedVenueId === venueOrderId) return;
    t.reported = status;
    t.reportedVenueId = venueOrderId;
    this.o.metrics?.orderUpdates.inc({ venue: this.name, status, source });
    this.updates?.({
      orderId: t.orderId,
      clientOrderId: t.clientOrderId,
      venueOrderId,
      symbol: t.symbol,
      status,
      filledQty: v?.filledQty ?? new Dec(0),
      reason: v ? '' : REASON_NO_SUCH_ORDER,
      source,
      ts: Date.now(),
    });
  }

  /** Our order a trade belongs to: by the client order id it echoes, else by venue order id. */
  private owner(raw: unknown): Tracked | undefined {
    const cid = clientIdOf(raw);
    const byCid = cid !== undefined ? this.byClientId.get(cid) : undefined;
    if (byCid) return byCid;
    const vid = tradeOrderIdOf(raw);
    return vid !== undefined ? this.byVenueOrderId.get(vid) : undefined;
  }

  private park(venueOrderId: string, raw: unknown): void {
    if (this.pendingCount >= MAX_PENDING_TRADES) {
      const [oldest] = this.pending.keys();
      if (oldest !== undefined) {
        this.pendingCount -= this.pending.get(oldest)?.length ?? 0;
        this.pending.delete(oldest);
      }
    }
    const list = this.pending.get(venueOrderId) ?? [];
    list.push(raw);
    this.pending.set(venueOrderId, list);
    this.pendingCount++;
  }

  private toFill(raw: unknown, t: Tracked): Fill | undefined {
    try {
      const p = fillFromTrade(raw, { venue: this.name, orderId: t.orderId, clientOrderId: t.clientOrderId, defaultFeeCurrency: quoteOf(t.symbol) });
      if (p.rebate) this.o.logger.warn({ venue: this.name, venue_trade_id: p.fill.venueTradeId }, 'negative fee (rebate) recorded as 0');
      return p.fill;
    } catch (err) {
      this.o.logger.warn({ venue: this.name, order_id: t.orderId, err: this.describe(err) }, 'malformed trade dropped');
      return undefined;
    }
  }

  /** Hands new fills to the service; an order of ours whose fills reach its quantity needs no more reconciliation. */
  private emit(fills: readonly Fill[], t: Tracked): number {
    let n = 0;
    for (const f of fills) {
      if (this.seen.has(f.venueTradeId)) continue;
      t.filled = t.filled.plus(f.qty);
      this.seen.add(f.venueTradeId);
      if (this.seen.size > SEEN_WINDOW) {
        const [oldest] = this.seen;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
      n++;
      this.handler?.(f);
    }
    if (t.open && t.qty !== undefined && t.filled.gte(t.qty)) this.retire(t);
    return n;
  }

  // ------------------------------------------------------------------ REST reconciliation

  /** Every open order of ours: its state and trades over REST (after a reconnect, and periodically). One pass at a time. */
  reconcileOpen(why: 'reconnect' | 'periodic' | 'manual'): Promise<void> {
    if (this.reconciling) return this.reconciling;
    const run = async (): Promise<void> => {
      let fills = 0;
      // A periodic pass comes again; a reconnect's does not.
      if (why === 'reconnect') for (const t of [...this.byClientId.values()].filter((x) => x.open && x.submitting)) this.missedRepairs.add(t);
      for (const t of [...this.byClientId.values()].filter((x) => x.open && !x.submitting)) {
        if (this.closed) return;
        try {
          fills += await this.reconcileOne(t);
        } catch (err) {
          this.o.logger.warn({ venue: this.name, order_id: t.orderId, why, err: this.describe(err) }, 'order not reconciled; retried next time');
        }
      }
      if (fills > 0) this.o.logger.info({ venue: this.name, why, fills }, 'fills recovered over REST');
    };
    this.reconciling = run().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  /** One order: looked up by client order id; its REST trades are emitted, then its status reported. Returns how many fills were new. */
  private async reconcileOne(t: Tracked): Promise<number> {
    let v: ParsedVenueOrder | undefined;
    try {
      v = await this.fetchByClientId(t);
    } catch (err) {
      if (this.kindOf(err) !== 'not_found') throw err;
    }
    if (!v) {
      if (t.venueOrderId?.startsWith(UNCONFIRMED_PREFIX)) {
        // Looked up long after the venue could still act on the lost request: provably never placed.
        this.o.logger.error({ venue: this.name, order_id: t.orderId, client_order_id: t.clientOrderId }, `order never reached the venue; REJECTED (${REASON_NO_SUCH_ORDER})`);
        this.report(t, undefined, 'rest');
      } else {
        this.o.logger.warn({ venue: this.name, order_id: t.orderId, venue_order_id: t.venueOrderId }, 'open order not found at the venue; the next start marks it EXPIRED (unknown_at_venue)');
      }
      this.retire(t);
      return 0;
    }
    if (t.venueOrderId === undefined || t.venueOrderId.startsWith(UNCONFIRMED_PREFIX)) this.acknowledged(t, v.venueOrderId);
    const n = v.filledQty.gt(0) ? this.emit(await this.fillsOf(t), t) : 0;
    if (n > 0) this.o.metrics?.reconciledFills.inc({ venue: this.name }, n);
    this.report(t, v, 'rest');
    if (v.status !== 'open') this.retire(t);
    return n;
  }

  // ------------------------------------------------------------------ bookkeeping

  private track(orderId: string, clientOrderId: string, symbol: Symbol, venueOrderId?: string | null): Tracked {
    const venueClientId = venueClientOrderId(this.o.id, clientOrderId, clientIdHash);
    let t = this.byClientId.get(venueClientId);
    if (!t) {
      t = { orderId, clientOrderId, venueClientId, symbol, venueOrderId: undefined, open: true, qty: undefined, filled: new Dec(0), submitting: false, reported: undefined, reportedVenueId: undefined };
      this.byClientId.set(venueClientId, t);
    }
    if (venueOrderId) this.acknowledged(t, venueOrderId);
    return t;
  }

  /** Final at the venue (or never there): no more reconciliation; remembered a while for late stream events. */
  private retire(t: Tracked): void {
    t.open = false;
    this.closedOrders.add(t);
    while (this.closedOrders.size > CLOSED_WINDOW) {
      const [old] = this.closedOrders;
      if (!old) break;
      this.closedOrders.delete(old);
      if (this.byClientId.get(old.venueClientId) === old) this.byClientId.delete(old.venueClientId);
      if (old.venueOrderId !== undefined && this.byVenueOrderId.get(old.venueOrderId) === old) this.byVenueOrderId.delete(old.venueOrderId);
    }
  }

  private acknowledged(t: Tracked, venueOrderId: string): void {
    if (venueOrderId.startsWith(UNCONFIRMED_PREFIX)) {
      // Never hides the real id once known.
      if (t.venueOrderId === undefined) t.venueOrderId = venueOrderId;
      return;
    }
    t.venueOrderId = venueOrderId;
    this.byVenueOrderId.set(venueOrderId, t);
    const parked = this.pending.get(venueOrderId);
    if (parked) {
      this.pending.delete(venueOrderId);
      this.pendingCount -= parked.length;
      for (const raw of parked) this.onStreamTrade(raw);
    }
  }

  private kindOf(err: unknown): VenueErrorKind {
    return classifyVenueError(ccxtErrorChain(err));
  }

  /** An error as text that is safe to log, store and return. */
  describe(err: unknown): string {
    const name = err instanceof Error ? err.constructor.name : 'Error';
    const msg = err instanceof Error ? err.message : String(err);
    return truncateText(this.redact(`${name}: ${msg}`), 500);
  }

  /** Runs a public operation; a failure leaves as an Error whose message passed the redactor. */
  private async safely<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new Error(`${this.name} ${what} failed: ${this.describe(err)}`);
    }
  }

  /** A venue call, after waiting for the key's shared rate budget (when one is given), counted by outcome. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.o.budget) {
      const { cost, priority } = callBudget(this.o.id, what);
      await this.o.budget.take(cost, priority);
    }
    try {
      const r = await fn();
      this.o.metrics?.calls.inc({ venue: this.name, call: what, outcome: 'ok' });
      return r;
    } catch (err) {
      this.o.metrics?.calls.inc({ venue: this.name, call: what, outcome: this.kindOf(err) });
      throw err;
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handler = undefined;
    this.updates = undefined;
    if (this.timer) clearInterval(this.timer);
    this.sleeper.wakeAll();
    await this.ex.close().catch(() => undefined);
    await Promise.all(this.streamLoops.map((l) => l.catch(() => undefined)));
  }
}

/** The status to report: an open order with fills is partially filled. */
function statusOf(v: ParsedVenueOrder): VenueOrderStatus {
  return v.status === 'open' && v.filledQty.gt(0) ? 'partially_filled' : v.status;
}

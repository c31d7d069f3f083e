/**
 * The private side of one venue: accounts with balances, orders matched against the replayed
 * book, fills with fees, and the user events each change produces. Pure: time is passed in, and
 * the book is read from the venue state the replay maintains.
 *
 * Matching model:
 * - On arrival an order takes the replayed book's opposite levels that cross its limit (all of
 *   them for a market order), best first, at each level's price (taker fee). Liquidity it takes
 *   is remembered per level, so the next order does not take it again, until the replay changes
 *   that level.
 * - What is left of a GTC limit order rests, invisible to the public book. It fills at its own
 *   price (maker fee) when a replayed trade prints at or through it (up to the trade's size), or
 *   when the replayed book's opposite side crosses it (up to those levels' sizes).
 * - IOC and market remainders expire; a FOK order that cannot fill completely expires unfilled;
 *   a LIMIT_MAKER order that would take is rejected.
 * - Funds are reserved on acceptance (quote for a buy, base for a sell) and released as fills
 *   consume them or when the order ends. The buyer pays the fee in base, the seller in quote;
 *   with `feeInQuote` (Coinbase) both pay it in quote, and a buy reserves its fee too.
 * - A client order id may not repeat among the account's open orders (Binance.US), or with
 *   `uniqueClientOrderIds: 'all'` among all its remembered orders (Coinbase, KuCoin).
 */
import { decAdd, decCmp, decDiv, decMul, decNorm, decSub } from '../decimal';
import type { VenueState, VenueUpdate } from '../market-state';
import type { Level } from '../types';
import { ceilPlaces, decMin, floorTo, isPositive } from './dec';
import { checkOrder } from './rules';
import type { BalanceLine, ExecType, Fill, MarketRules, Order, OrderRequest, RejectReason, UserEvent } from './types';

export interface AccountSpec {
  apiKey: string;
  secret: string;
  balances: Readonly<Record<string, string>>;
  /** Fee rates as fractions ('0.001' = 0.1 %). */
  makerRate?: string;
  takerRate?: string;
}

export interface Account {
  readonly id: number;
  readonly apiKey: string;
  readonly secret: string;
  readonly makerRate: string;
  readonly takerRate: string;
  readonly balances: Map<string, { free: string; locked: string }>;
  updateTime: number;
  readonly orders: Map<number, Order>;
  /** Client order id → the latest remembered order with it. */
  readonly clientIds: Map<string, number>;
  readonly trades: Fill[];
}

export type SubmitResult = { ok: true; order: Order; fills: Fill[]; events: UserEvent[] } | { ok: false; reason: RejectReason };
export type CancelResult = { ok: true; orders: Order[]; events: UserEvent[] } | { ok: false; reason: RejectReason };
export type OrderRef = { orderId: number } | { clientOrderId: string };

/** How a venue's engine differs. */
export interface ExchangeOptions {
  /** Charge both sides' fees in quote (Coinbase); default: the buyer pays in base. */
  feeInQuote?: boolean;
  /** Where a client order id must be new: among open orders (default) or all remembered orders. */
  uniqueClientOrderIds?: 'open' | 'all';
}

/** Orders and trades remembered per account (oldest forgotten first). */
const HISTORY = 10_000;
const FEE_PLACES = 8;
const DEFAULT_RATE = '0.001';

interface Taken {
  bids: Map<string, string>;
  asks: Map<string, string>;
}

export class PrivateExchange {
  private readonly accounts = new Map<string, Account>();
  /** Resting orders per symbol in time priority (across accounts). */
  private readonly resting = new Map<string, Order[]>();
  private readonly taken = new Map<string, Taken>();
  private readonly tradeIds = new Map<string, number>();
  /** Market orders by quote amount that the book cannot fill completely (they end EXPIRED). */
  private readonly shortQuote = new Set<number>();
  private nextOrderId = 100_000_001;
  private nextAccountId = 1;

  constructor(
    private readonly state: VenueState,
    private readonly rules: ReadonlyMap<string, MarketRules>,
    private readonly options: ExchangeOptions = {},
  ) {}

  market(symbol: string): MarketRules | undefined {
    return this.rules.get(symbol);
  }

  createAccount(spec: AccountSpec, now: number): Account {
    if (this.accounts.has(spec.apiKey)) throw new Error('an account with this API key exists');
    const balances = new Map<string, { free: string; locked: string }>();
    for (const [asset, amount] of Object.entries(spec.balances)) balances.set(asset, { free: decNorm(amount), locked: '0' });
    const a: Account = {
      id: this.nextAccountId++,
      apiKey: spec.apiKey,
      secret: spec.secret,
      makerRate: spec.makerRate ?? DEFAULT_RATE,
      takerRate: spec.takerRate ?? DEFAULT_RATE,
      balances,
      updateTime: now,
      orders: new Map(),
      clientIds: new Map(),
      trades: [],
    };
    this.accounts.set(spec.apiKey, a);
    return a;
  }

  account(apiKey: string): Account | undefined {
    return this.accounts.get(apiKey);
  }

  balances(a: Account): BalanceLine[] {
    return [...a.balances.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([asset, b]) => ({ asset, free: b.free, locked: b.locked }));
  }

  /** Last trade price, else the opposite best of the book (what a market order would hit first). */
  referencePrice(symbol: string, side: 'BUY' | 'SELL'): string | undefined {
    const m = this.state.market(symbol);
    if (!m) return undefined;
    const last = m.ticker().last;
    if (last !== undefined) return last;
    const { bid, ask } = m.book.best();
    return (side === 'BUY' ? ask : bid)?.[0];
  }

  submit(a: Account, req: OrderRequest, now: number): SubmitResult {
    const r = this.rules.get(req.symbol);
    if (!r) return { ok: false, reason: { kind: 'unknown_symbol' } };
    if (this.options.uniqueClientOrderIds === 'all' && a.clientIds.has(req.clientOrderId)) return { ok: false, reason: { kind: 'duplicate_order' } };
    const open = this.resting.get(req.symbol) ?? [];
    const problem = checkOrder(r, req, this.referencePrice(req.symbol, req.side), open.filter((o) => o.accountId === a.id).length);
    if (problem) return { ok: false, reason: problem };
    if (open.some((o) => o.accountId === a.id && o.clientOrderId === req.clientOrderId)) return { ok: false, reason: { kind: 'duplicate_order' } };

    const { levels: plan, complete } = this.plan(r, req);
    const planQty = plan.reduce((s, l) => decAdd(s, l[1]), '0');
    const planCost = plan.reduce((s, [p, q]) => decAdd(s, decMul(p, q)), '0');
    if (req.type === 'LIMIT_MAKER' && plan.length > 0) return { ok: false, reason: { kind: 'would_take' } };
    const fok = req.type === 'LIMIT' && req.timeInForce === 'FOK' && decCmp(planQty, req.qty ?? '0') < 0;

    // Funds reserved up front: what the order can spend at most.
    const buy = req.side === 'BUY';
    const asset = buy ? r.quote : r.base;
    let reserve: string;
    if (req.type === 'MARKET') reserve = buy ? this.withFee(a, req.quoteQty ?? planCost) : (req.qty ?? planQty);
    else reserve = buy ? this.withFee(a, decMul(req.price ?? '0', req.qty ?? '0')) : (req.qty ?? '0');
    const bal = this.balance(a, asset);
    if (decCmp(reserve, bal.free) > 0) return { ok: false, reason: { kind: 'insufficient_balance' } };

    const order: Order = {
      id: this.nextOrderId++,
      accountId: a.id,
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      timeInForce: req.timeInForce,
      // A market order by quote amount gets the quantity the book gives it (as Binance reports it).
      origQty: req.qty ?? planQty,
      origQuoteQty: req.quoteQty ?? '0',
      price: req.price ?? '0',
      executedQty: '0',
      cumQuote: '0',
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: now,
      locked: reserve,
    };
    bal.free = decSub(bal.free, reserve);
    bal.locked = decAdd(bal.locked, reserve);
    if (req.quoteQty !== undefined && !complete) this.shortQuote.add(order.id);
    this.remember(a, order);
    const events: UserEvent[] = [this.exec(order, 'NEW', undefined, now)];
    const fills: Fill[] = [];
    if (!fok) {
      const taken = this.takenOf(req.symbol);
      for (const [price, qty] of plan) {
        const side = buy ? taken.asks : taken.bids;
        side.set(price, decAdd(side.get(price) ?? '0', qty));
        fills.push(this.fill(a, r, order, price, qty, false, now, events));
      }
    }
    if (order.status !== 'FILLED') {
      if (req.type === 'MARKET' || req.timeInForce !== 'GTC' || fok) this.close(a, order, 'EXPIRED', now, events);
      else this.restingOf(req.symbol).push(order);
    }
    this.shortQuote.delete(order.id);
    events.push(this.balanceEvent(a, [r.base, r.quote], now));
    return { ok: true, order: { ...order }, fills, events };
  }

  cancel(a: Account, symbol: string, ref: OrderRef, now: number, cancelClientOrderId?: string): CancelResult {
    const o = this.find(a, symbol, ref);
    if (!o || (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED')) return { ok: false, reason: { kind: 'unknown_order' } };
    const events: UserEvent[] = [];
    this.close(a, o, 'CANCELED', now, events, cancelClientOrderId);
    const r = this.rules.get(symbol) as MarketRules;
    events.push(this.balanceEvent(a, [r.base, r.quote], now));
    return { ok: true, orders: [{ ...o }], events };
  }

  cancelAll(a: Account, symbol: string, now: number, cancelClientOrderId?: (o: Order) => string): CancelResult {
    const mine = (this.resting.get(symbol) ?? []).filter((o) => o.accountId === a.id);
    if (mine.length === 0) return { ok: false, reason: { kind: 'unknown_order' } };
    const events: UserEvent[] = [];
    for (const o of mine) this.close(a, o, 'CANCELED', now, events, cancelClientOrderId?.(o));
    const r = this.rules.get(symbol) as MarketRules;
    events.push(this.balanceEvent(a, [r.base, r.quote], now));
    return { ok: true, orders: mine.map((o) => ({ ...o })), events };
  }

  /** The latest remembered order with this client id, on any symbol. */
  byClientOrderId(a: Account, clientOrderId: string): Order | undefined {
    const id = a.clientIds.get(clientOrderId);
    return id === undefined ? undefined : a.orders.get(id);
  }

  /** The order by venue id or (most recent with that) client id, on `symbol`. */
  find(a: Account, symbol: string, ref: OrderRef): Order | undefined {
    if ('orderId' in ref) {
      const o = a.orders.get(ref.orderId);
      return o?.symbol === symbol ? o : undefined;
    }
    let found: Order | undefined;
    for (const o of a.orders.values()) if (o.symbol === symbol && o.clientOrderId === ref.clientOrderId) found = o;
    return found;
  }

  openOrders(a: Account, symbol?: string): Order[] {
    const out: Order[] = [];
    for (const [s, list] of this.resting) if (symbol === undefined || s === symbol) out.push(...list.filter((o) => o.accountId === a.id));
    return out.sort((x, y) => x.id - y.id);
  }

  /** Every remembered order of `symbol`, oldest first. */
  allOrders(a: Account, symbol: string): Order[] {
    return [...a.orders.values()].filter((o) => o.symbol === symbol).sort((x, y) => x.id - y.id);
  }

  trades(a: Account, symbol: string): Fill[] {
    return a.trades.filter((t) => t.symbol === symbol);
  }

  /**
   * Applies one replayed update: a changed level gives back the liquidity taken from it; resting
   * orders the update crosses fill as makers. Returns the user events (for every account).
   */
  onUpdate(u: VenueUpdate, now: number): UserEvent[] {
    const symbol = u.market.def.symbol;
    const r = this.rules.get(symbol);
    if (!r) return [];
    const t = this.taken.get(symbol);
    if (u.kind === 'book' && t) {
      if (u.snapshot) {
        t.bids.clear();
        t.asks.clear();
      } else {
        for (const [p] of u.update.bids) t.bids.delete(p);
        for (const [p] of u.update.asks) t.asks.delete(p);
      }
    }
    const list = this.resting.get(symbol);
    if (!list || list.length === 0) return [];
    const events: UserEvent[] = [];
    const touched = new Set<Account>();
    let tradeLeft = u.kind === 'trade' ? u.trade.size : '0';
    for (const o of [...list]) {
      const a = this.byId(o.accountId);
      if (!a) continue;
      const buy = o.side === 'BUY';
      if (u.kind === 'trade') {
        if (!isPositive(tradeLeft)) break;
        const crosses = buy ? decCmp(u.trade.price, o.price) <= 0 : decCmp(u.trade.price, o.price) >= 0;
        if (!crosses) continue;
        const qty = floorTo(decMin(tradeLeft, decSub(o.origQty, o.executedQty)), r.stepSize);
        if (!isPositive(qty)) continue;
        tradeLeft = decSub(tradeLeft, qty);
        this.fill(a, r, o, o.price, qty, true, now, events);
        touched.add(a);
      } else {
        const levels = this.available(symbol, buy ? 'asks' : 'bids').filter(([p]) => (buy ? decCmp(p, o.price) <= 0 : decCmp(p, o.price) >= 0));
        for (const [p, size] of levels) {
          const qty = floorTo(decMin(size, decSub(o.origQty, o.executedQty)), r.stepSize);
          if (!isPositive(qty)) continue;
          const side = buy ? this.takenOf(symbol).asks : this.takenOf(symbol).bids;
          side.set(p, decAdd(side.get(p) ?? '0', qty));
          this.fill(a, r, o, o.price, qty, true, now, events);
          touched.add(a);
          if (o.status === 'FILLED') break;
        }
      }
    }
    for (const a of touched) events.push(this.balanceEvent(a, [r.base, r.quote], now));
    return events;
  }

  /** The opposite levels an arriving order takes: [price, qty] best first, within its limit and budget. */
  private plan(r: MarketRules, req: OrderRequest): { levels: Level[]; complete: boolean } {
    const buy = req.side === 'BUY';
    const levels = this.available(req.symbol, buy ? 'asks' : 'bids');
    const out: Level[] = [];
    let qtyLeft = req.qty;
    let quoteLeft = req.quoteQty;
    for (const [p, size] of levels) {
      if (req.type !== 'MARKET' && (buy ? decCmp(p, req.price ?? '0') > 0 : decCmp(p, req.price ?? '0') < 0)) break;
      let q: string;
      if (qtyLeft !== undefined) q = decMin(size, qtyLeft);
      else {
        const want = floorTo(decDiv(quoteLeft ?? '0', p, 18), r.stepSize);
        if (!isPositive(want)) return { levels: out, complete: true };
        q = floorTo(decMin(size, want), r.stepSize);
      }
      if (!isPositive(q)) continue;
      out.push([p, q]);
      if (qtyLeft !== undefined) {
        qtyLeft = decSub(qtyLeft, q);
        if (!isPositive(qtyLeft)) return { levels: out, complete: true };
      } else quoteLeft = decSub(quoteLeft ?? '0', decMul(p, q));
    }
    return { levels: out, complete: false };
  }

  /** Book levels of one side minus what earlier orders took, best first. */
  private available(symbol: string, side: 'bids' | 'asks'): Level[] {
    const m = this.state.market(symbol);
    if (!m) return [];
    const snap = m.book.snapshot();
    const taken = this.takenOf(symbol)[side];
    return snap[side].map(([p, s]): Level => [p, decSub(s, taken.get(p) ?? '0')]).filter(([, s]) => isPositive(s));
  }

  private fill(a: Account, r: MarketRules, o: Order, price: string, qty: string, maker: boolean, now: number, events: UserEvent[]): Fill {
    const quoteQty = decMul(price, qty);
    const buy = o.side === 'BUY';
    const rate = maker ? a.makerRate : a.takerRate;
    const quoteFee = !buy || this.options.feeInQuote === true;
    let commission = ceilPlaces(decMul(quoteFee ? quoteQty : qty, rate), FEE_PLACES);
    // Fees rounded up fill by fill may pass the reservation by a few 1e-8: never charge beyond it.
    if (buy && quoteFee && decCmp(decAdd(quoteQty, commission), o.locked) > 0) commission = decMax0(decSub(o.locked, quoteQty));
    const commissionAsset = quoteFee ? r.quote : r.base;
    // A buyer paying in quote pays the fee out of its reservation; a seller's comes off the proceeds.
    const spent = buy ? (quoteFee ? decAdd(quoteQty, commission) : quoteQty) : qty;
    const spendBal = this.balance(a, buy ? r.quote : r.base);
    spendBal.locked = decSub(spendBal.locked, spent);
    o.locked = decSub(o.locked, spent);
    const gotBal = this.balance(a, buy ? r.base : r.quote);
    gotBal.free = decAdd(gotBal.free, buy ? (quoteFee ? qty : decSub(qty, commission)) : decSub(quoteQty, commission));
    o.executedQty = decAdd(o.executedQty, qty);
    o.cumQuote = decAdd(o.cumQuote, quoteQty);
    const done = decCmp(o.executedQty, o.origQty) >= 0 && !this.shortQuote.has(o.id);
    o.status = done ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updateTime = now;
    // A limit buy that filled below its price frees what it reserved beyond price × remaining.
    if (buy && o.type !== 'MARKET') this.release(spendBal, o, this.withFee(a, decMul(o.price, decSub(o.origQty, o.executedQty))));
    if (done) {
      this.release(spendBal, o, '0');
      this.unrest(o);
    }
    a.updateTime = now;
    const f: Fill = { tradeId: this.nextTradeId(o.symbol), orderId: o.id, accountId: a.id, symbol: o.symbol, side: o.side, price, qty, quoteQty, commission, commissionAsset, time: now, isMaker: maker };
    a.trades.push(f);
    if (a.trades.length > HISTORY) a.trades.splice(0, a.trades.length - HISTORY);
    events.push(this.exec(o, 'TRADE', f, now));
    return f;
  }

  /** Ends an order: releases what it still reserves. */
  private close(a: Account, o: Order, status: 'CANCELED' | 'EXPIRED', now: number, events: UserEvent[], cancelClientOrderId?: string): void {
    const r = this.rules.get(o.symbol) as MarketRules;
    this.release(this.balance(a, o.side === 'BUY' ? r.quote : r.base), o, '0');
    o.status = status;
    o.updateTime = now;
    a.updateTime = now;
    this.unrest(o);
    const e = this.exec(o, status, undefined, now);
    if (cancelClientOrderId !== undefined && e.kind === 'execution') e.cancelClientOrderId = cancelClientOrderId;
    events.push(e);
  }

  /** Moves what `o` reserves beyond `keep` back to free. */
  private release(bal: { free: string; locked: string }, o: Order, keep: string): void {
    const excess = decSub(o.locked, keep);
    if (decCmp(excess, '0') <= 0) return;
    bal.locked = decSub(bal.locked, excess);
    bal.free = decAdd(bal.free, excess);
    o.locked = keep;
  }

  private unrest(o: Order): void {
    const list = this.resting.get(o.symbol);
    const i = list?.indexOf(o) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  private exec(o: Order, exec: ExecType, fill: Fill | undefined, ts: number): UserEvent {
    return { kind: 'execution', accountId: o.accountId, exec, order: { ...o }, fill, ts };
  }

  private balanceEvent(a: Account, assets: string[], ts: number): UserEvent {
    const balances = assets.map((asset) => {
      const b = this.balance(a, asset);
      return { asset, free: b.free, locked: b.locked };
    });
    return { kind: 'balances', accountId: a.id, balances, ts };
  }

  private balance(a: Account, asset: string): { free: string; locked: string } {
    let b = a.balances.get(asset);
    if (!b) {
      b = { free: '0', locked: '0' };
      a.balances.set(asset, b);
    }
    return b;
  }

  /** What a buy costing `cost` in quote reserves: with fees in quote, also the fee at the higher rate. */
  private withFee(a: Account, cost: string): string {
    if (this.options.feeInQuote !== true) return cost;
    const rate = decCmp(a.makerRate, a.takerRate) >= 0 ? a.makerRate : a.takerRate;
    return decAdd(cost, ceilPlaces(decMul(cost, rate), FEE_PLACES));
  }

  private remember(a: Account, o: Order): void {
    a.orders.set(o.id, o);
    a.clientIds.set(o.clientOrderId, o.id);
    if (a.orders.size <= HISTORY) return;
    for (const [id, old] of a.orders) {
      if (a.orders.size <= HISTORY) break;
      if (old.status !== 'NEW' && old.status !== 'PARTIALLY_FILLED') {
        a.orders.delete(id);
        if (a.clientIds.get(old.clientOrderId) === id) a.clientIds.delete(old.clientOrderId);
      }
    }
  }

  private byId(id: number): Account | undefined {
    for (const a of this.accounts.values()) if (a.id === id) return a;
    return undefined;
  }

  private takenOf(symbol: string): Taken {
    let t = this.taken.get(symbol);
    if (!t) {
      t = { bids: new Map(), asks: new Map() };
      this.taken.set(symbol, t);
    }
    return t;
  }

  private restingOf(symbol: string): Order[] {
    let l = this.resting.get(symbol);
    if (!l) {
      l = [];
      this.resting.set(symbol, l);
    }
    return l;
  }

  private nextTradeId(symbol: string): number {
    const n = (this.tradeIds.get(symbol) ?? 0) + 1;
    this.tradeIds.set(symbol, n);
    return n;
  }
}

function decMax0(v: string): string {
  return decCmp(v, '0') < 0 ? '0' : v;
}

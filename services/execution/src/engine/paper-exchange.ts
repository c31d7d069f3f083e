/**
 * PaperExchange: the pure matching engine behind the mock venue. Driven by prices (`onPrice`) and
 * orders (`submit`, `cancel`); returns fills. No I/O, no clock: the caller passes data time (the
 * tick's ts) and wall time, so a backtest and the service get the same fills.
 *
 * Model (all amounts exact decimals):
 * - Market orders fill at the latest price moved against the trader by a slippage of
 *   `slippageBps + impactBps × fill notional / liquidityNotional` basis points (taker fee).
 * - Limit orders that cross on arrival fill like market orders but never beyond their limit
 *   (taker); otherwise they rest and fill at their limit price when a later price crosses it
 *   (buy: price ≤ limit, sell: price ≥ limit), with the maker fee.
 * - Liquidity: each price tick of a symbol offers `liquidityNotional` (quote currency) to all
 *   orders of that symbol in arrival order; what does not fit waits for the next ticks, so large
 *   orders fill partially over several ticks. Quantities are rounded down to the market's step.
 * - Fees: notional × fee bps, in the quote currency, rounded up to 18 decimals.
 * - Fresh prices: an order is rejected (`no_price`, `stale_price`) when the symbol has no price,
 *   when its price's data time is more than `maxPriceAgeMs` behind the newest data time seen on
 *   any symbol (data time, so a replay at any speed behaves like live), or, when
 *   `maxPriceSilenceMs` > 0, when no price arrived for that long in wall time (a stopped feed).
 * - Data-time fills (issue 13): an order submitted with a data time (the close of the bar its
 *   decision was made on) fills at the first price at or after that time, whenever the order
 *   arrives: from the symbol's recent prices (the last `historySize`) when that price is already
 *   here, else it waits for it. So the fill is a function of the data, not of the pipeline's
 *   timing. An order without a data time fills at the latest price as before.
 */
import { Dec, type OrderSide, type Symbol } from '@cte/shared/core';
import type { PrecisionTable } from './precision';
import { quoteOf } from './precision';
import type { Fill, Liquidity } from './types';
import type { OrderType } from './validation';

export interface PaperExchangeOptions {
  venue: string;
  slippageBps: Dec;
  impactBps: Dec;
  liquidityNotional: Dec;
  takerFeeBps: Dec;
  makerFeeBps: Dec;
  maxPriceAgeMs: number;
  /** 0 = off. */
  maxPriceSilenceMs: number;
  precision: PrecisionTable;
  /** Recent prices kept per symbol for data-time fills. Default 4,096. */
  historySize?: number;
}

export interface PaperOrder {
  orderId: string;
  clientOrderId: string;
  symbol: Symbol;
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  limitPrice: Dec | null;
}

/** An order re-registered after a restart, with what was already filled. */
export interface RestoredPaperOrder extends PaperOrder {
  venueOrderId: string;
  filledQty: Dec;
  /** Fills already recorded, so trade ids continue where they stopped. */
  fillCount: number;
  /** The order's stored data time: a restored order still fills at the first price at or after it. */
  dataTime?: number;
}

export type PaperOrderStatus = 'open' | 'filled' | 'canceled';

export interface PaperOrderState {
  venueOrderId: string;
  orderId: string;
  clientOrderId: string;
  symbol: Symbol;
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  limitPrice: Dec | null;
  filledQty: Dec;
  status: PaperOrderStatus;
}

export type PaperSubmitResult = { accepted: true; venueOrderId: string; fills: Fill[] } | { accepted: false; reason: 'no_price' | 'stale_price' | 'duplicate_order' };

interface Quote {
  price: Dec;
  ts: number;
  wall: number;
  /** Notional still available at this tick. */
  budget: Dec;
}

interface Working {
  order: PaperOrder;
  venueOrderId: string;
  filled: Dec;
  fills: number;
  /** Data time of the order: prices before it never fill it; -Infinity = none. */
  notBefore: number;
}

const BPS = new Dec(10_000);
const DP = 18;
/** Closed orders remembered for fetchOrder (reconciliation), oldest forgotten first. */
const CLOSED_MEMORY = 10_000;

export function venueOrderIdFor(orderId: string): string {
  return `mock-${orderId}`;
}

export class PaperExchange {
  private readonly quotes = new Map<Symbol, Quote>();
  /** Recent prices per symbol, oldest first (the last one is `quotes`' entry). */
  private readonly history = new Map<Symbol, Quote[]>();
  /** Open orders per symbol, in arrival order. */
  private readonly book = new Map<Symbol, Map<string, Working>>();
  private readonly closed = new Map<string, PaperOrderState>();
  private newestDataTs = 0;

  constructor(private readonly o: PaperExchangeOptions) {}

  get venue(): string {
    return this.o.venue;
  }

  /** The newest data time seen on any symbol. */
  get dataTime(): number {
    return this.newestDataTs;
  }

  latest(symbol: Symbol): { price: Dec; ts: number } | undefined {
    const q = this.quotes.get(symbol);
    return q ? { price: q.price, ts: q.ts } : undefined;
  }

  symbols(): Symbol[] {
    return [...this.quotes.keys()];
  }

  /** A new price of `symbol` at data time `ts`: refreshes liquidity and fills what it can. An older price than the current one is ignored. */
  onPrice(symbol: Symbol, price: Dec, ts: number, wall: number): Fill[] {
    if (!price.gt(0)) return [];
    const q = this.quotes.get(symbol);
    if (q && ts < q.ts) return [];
    const quote: Quote = { price, ts, wall, budget: this.o.liquidityNotional };
    this.quotes.set(symbol, quote);
    let hist = this.history.get(symbol);
    if (!hist) {
      hist = [];
      this.history.set(symbol, hist);
    }
    hist.push(quote);
    if (hist.length > (this.o.historySize ?? 4096)) hist.shift();
    if (ts > this.newestDataTs) this.newestDataTs = ts;
    const orders = this.book.get(symbol);
    if (!orders || orders.size === 0) return [];
    const fills: Fill[] = [];
    for (const w of [...orders.values()]) {
      if (ts < w.notBefore) continue;
      // An order waiting for its data time's first price takes liquidity then (it is a market
      // order, or a limit order meeting its first eligible price).
      const f = this.tryFill(w, w.notBefore > -Infinity && w.fills === 0, quote);
      if (f) fills.push(f);
    }
    return fills;
  }

  /** Why an order on `symbol` would be refused now, if it would. */
  priceProblem(symbol: Symbol, wall: number): 'no_price' | 'stale_price' | undefined {
    const q = this.quotes.get(symbol);
    if (!q) return 'no_price';
    if (this.newestDataTs - q.ts > this.o.maxPriceAgeMs) return 'stale_price';
    if (this.o.maxPriceSilenceMs > 0 && wall - q.wall > this.o.maxPriceSilenceMs) return 'stale_price';
    return undefined;
  }

  /**
   * `dataTime` (optional): the order's data time; it fills at the first price at or after it
   * (see the header). Without it, at the latest price.
   */
  submit(order: PaperOrder, wall: number, dataTime?: number): PaperSubmitResult {
    const venueOrderId = venueOrderIdFor(order.orderId);
    if (this.isKnown(order.symbol, venueOrderId)) return { accepted: false, reason: 'duplicate_order' };
    if (dataTime === undefined) {
      const problem = this.priceProblem(order.symbol, wall);
      if (problem) return { accepted: false, reason: problem };
    }
    const w: Working = { order, venueOrderId, filled: new Dec(0), fills: 0, notBefore: dataTime ?? -Infinity };
    this.bookOf(order.symbol).set(venueOrderId, w);
    if (dataTime === undefined) {
      const fill = this.tryFill(w, true, this.quotes.get(order.symbol));
      return { accepted: true, venueOrderId, fills: fill ? [fill] : [] };
    }
    // The prices at or after the data time that are already here, in data-time order.
    const fills: Fill[] = [];
    for (const q of this.history.get(order.symbol) ?? []) {
      if (q.ts < dataTime) continue;
      const f = this.tryFill(w, fills.length === 0, q);
      if (f) fills.push(f);
      if (!this.book.get(order.symbol)?.has(venueOrderId)) break;
    }
    return { accepted: true, venueOrderId, fills };
  }

  /** Re-registers an open order (after a restart the venue's memory is empty). */
  restore(r: RestoredPaperOrder): void {
    if (r.filledQty.gte(r.qty) || this.isKnown(r.symbol, r.venueOrderId)) return;
    const { venueOrderId, filledQty, fillCount, dataTime, ...order } = r;
    this.bookOf(r.symbol).set(venueOrderId, { order, venueOrderId, filled: filledQty, fills: fillCount, notBefore: dataTime ?? -Infinity });
  }

  /** Removes an open order; false when it is not open (unknown, filled or already canceled). */
  cancel(venueOrderId: string): boolean {
    for (const [, orders] of this.book) {
      const w = orders.get(venueOrderId);
      if (w) {
        orders.delete(venueOrderId);
        this.remember(this.stateOf(w, 'canceled'));
        return true;
      }
    }
    return false;
  }

  openOrders(symbol?: Symbol): PaperOrderState[] {
    const out: PaperOrderState[] = [];
    for (const [s, orders] of this.book) {
      if (symbol !== undefined && s !== symbol) continue;
      for (const w of orders.values()) out.push(this.stateOf(w, 'open'));
    }
    return out;
  }

  order(venueOrderId: string): PaperOrderState | undefined {
    for (const orders of this.book.values()) {
      const w = orders.get(venueOrderId);
      if (w) return this.stateOf(w, 'open');
    }
    return this.closed.get(venueOrderId);
  }

  private isKnown(symbol: Symbol, venueOrderId: string): boolean {
    return this.book.get(symbol)?.has(venueOrderId) === true || this.closed.has(venueOrderId);
  }

  private bookOf(symbol: Symbol): Map<string, Working> {
    let m = this.book.get(symbol);
    if (!m) {
      m = new Map();
      this.book.set(symbol, m);
    }
    return m;
  }

  /**
   * Fills as much of `w` as the current price and liquidity allow. `arriving`: the order was just
   * submitted (a crossing limit order takes liquidity then; later it is a resting maker order).
   */
  private tryFill(w: Working, arriving: boolean, q: Quote | undefined): Fill | undefined {
    const { order } = w;
    if (!q || q.budget.lte(0)) return undefined;
    const remaining = order.qty.minus(w.filled);
    if (remaining.lte(0)) return undefined;

    let price: Dec;
    let liquidity: Liquidity;
    let taker = true;
    if (order.type === 'limit') {
      const limit = order.limitPrice as Dec;
      const crosses = order.side === 'buy' ? q.price.lte(limit) : q.price.gte(limit);
      if (!crosses) return undefined;
      // Crossing on arrival takes liquidity; a resting order hit by a later price provides it.
      taker = arriving;
      liquidity = taker ? 'taker' : 'maker';
      price = taker ? q.price : limit;
    } else {
      liquidity = 'taker';
      price = q.price;
    }
    const step = this.o.precision.of(order.symbol).qtyDecimals;
    const affordable = q.budget.div(price).toDecimalPlaces(step, Dec.ROUND_DOWN);
    const qty = Dec.min(remaining, affordable);
    if (qty.lte(0)) return undefined;
    const referenceNotional = qty.times(price);
    if (taker) {
      const bps = this.o.slippageBps.plus(this.o.impactBps.times(referenceNotional).div(this.o.liquidityNotional)).toDecimalPlaces(4, Dec.ROUND_UP);
      const factor = order.side === 'buy' ? BPS.plus(bps).div(BPS) : BPS.minus(bps).div(BPS);
      price = price.times(factor).toDecimalPlaces(DP, order.side === 'buy' ? Dec.ROUND_UP : Dec.ROUND_DOWN);
      if (order.type === 'limit') {
        const limit = order.limitPrice as Dec;
        price = order.side === 'buy' ? Dec.min(price, limit) : Dec.max(price, limit);
      }
    }
    q.budget = q.budget.minus(referenceNotional);
    const feeBps = taker ? this.o.takerFeeBps : this.o.makerFeeBps;
    const fee = qty.times(price).times(feeBps).div(BPS).toDecimalPlaces(DP, Dec.ROUND_UP);
    w.filled = w.filled.plus(qty);
    w.fills++;
    if (w.filled.gte(order.qty)) {
      this.book.get(order.symbol)?.delete(w.venueOrderId);
      this.remember(this.stateOf(w, 'filled'));
    }
    return {
      venue: this.o.venue,
      venueTradeId: `${w.venueOrderId}-${w.fills}`,
      venueOrderId: w.venueOrderId,
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty,
      price,
      fee,
      feeCurrency: quoteOf(order.symbol),
      liquidity,
      ts: q.ts,
    };
  }

  private stateOf(w: Working, status: PaperOrderStatus): PaperOrderState {
    const { order } = w;
    return {
      venueOrderId: w.venueOrderId,
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      qty: order.qty,
      limitPrice: order.limitPrice,
      filledQty: w.filled,
      status,
    };
  }

  private remember(s: PaperOrderState): void {
    this.closed.set(s.venueOrderId, s);
    if (this.closed.size > CLOSED_MEMORY) {
      const oldest = this.closed.keys().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }
}

/**
 * OrderManager: the pure order engine. It creates orders from validated requests, moves them
 * through the state machine (order-state.ts) and applies fills, returning new Order values; it
 * never mutates its input and does no I/O, so the service and a backtest share it. Persistence,
 * venues and events are the adapters' business.
 */
import { Dec, InvalidArgumentError, type Symbol, type TradingStateName } from '@cte/shared/core';
import { assertTransition, isTerminal, type OrderStatus } from './order-state';
import { quoteOf } from './precision';
import type { Fill, Order } from './types';
import type { OrderRequest } from './validation';

/** Trading-state reject reasons. */
export const REASON_HALTED = 'trading_halted';
export const REASON_REDUCING = 'trading_reducing';

export interface Exposure {
  /** Net position of the symbol: sum of signed fill quantities (buy +, sell −). */
  position: Dec;
  /** Unfilled quantity of open buy orders of the symbol. */
  openBuy: Dec;
  /** Unfilled quantity of open sell orders of the symbol. */
  openSell: Dec;
}

export type GateDecision = { ok: true } | { ok: false; reason: string };

export interface FillOutcome {
  order: Order;
  /** Set when the fill does not fit the order (a fill on a final order, or more than ordered): recorded anyway, since it happened. */
  anomaly?: string;
}

const ZERO = new Dec(0);
/** Average prices are rounded to what DECIMAL(36,18) stores. */
const PRICE_DP = 18;

export class OrderManager {
  constructor(private readonly venue: string) {}

  /** A NEW order from a validated request. */
  create(req: OrderRequest, id: string, traceId: string, now: number): Order {
    return {
      id,
      clientOrderId: req.clientOrderId,
      venue: this.venue,
      venueOrderId: null,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      qty: req.qty,
      limitPrice: req.limitPrice,
      status: 'NEW',
      filledQty: ZERO,
      avgFillPrice: null,
      fees: ZERO,
      feeCurrency: quoteOf(req.symbol),
      reason: '',
      recommendationId: req.recommendationId,
      traceId,
      ...(req.dataTime !== undefined ? { dataTime: req.dataTime } : {}),
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Moves `order` to `to` (throws IllegalTransitionError when not allowed). */
  transition(order: Order, to: OrderStatus, now: number, patch: Partial<Pick<Order, 'reason' | 'venueOrderId'>> = {}): Order {
    assertTransition(order.status, to, order.id);
    return { ...order, ...patch, status: to, updatedAt: now };
  }

  submitted(order: Order, venueOrderId: string, now: number): Order {
    return this.transition(order, 'SUBMITTED', now, { venueOrderId });
  }

  rejected(order: Order, reason: string, now: number): Order {
    return this.transition(order, 'REJECTED', now, { reason });
  }

  failed(order: Order, reason: string, now: number): Order {
    return this.transition(order, 'FAILED', now, { reason });
  }

  canceled(order: Order, reason: string, now: number): Order {
    return this.transition(order, 'CANCELED', now, { reason });
  }

  expired(order: Order, reason: string, now: number): Order {
    return this.transition(order, 'EXPIRED', now, { reason });
  }

  remaining(order: Order): Dec {
    const r = order.qty.minus(order.filledQty);
    return r.isNegative() ? ZERO : r;
  }

  /**
   * Applies one fill: filled quantity, volume-weighted average price, fees, and status
   * PARTIALLY_FILLED or FILLED. A NEW order is first moved to SUBMITTED (a venue only fills what
   * it has). A fill on a final order or beyond the ordered quantity still counts (it happened at
   * the venue) but leaves the status alone and reports an anomaly.
   */
  applyFill(order: Order, fill: Fill, now: number): FillOutcome {
    if (fill.orderId !== order.id) throw new InvalidArgumentError(`fill ${fill.venueTradeId} belongs to order ${fill.orderId}, not ${order.id}`);
    if (fill.symbol !== order.symbol || fill.side !== order.side) {
      throw new InvalidArgumentError(`fill ${fill.venueTradeId} (${fill.side} ${fill.symbol}) does not match order ${order.id} (${order.side} ${order.symbol})`);
    }
    if (!fill.qty.gt(0) || !fill.price.gt(0) || fill.fee.isNegative()) throw new InvalidArgumentError(`fill ${fill.venueTradeId} has a non-positive qty/price or a negative fee`);
    const filledQty = order.filledQty.plus(fill.qty);
    const avgFillPrice =
      order.avgFillPrice === null ? fill.price : order.avgFillPrice.times(order.filledQty).plus(fill.price.times(fill.qty)).div(filledQty).toDecimalPlaces(PRICE_DP);
    const amounts = { filledQty, avgFillPrice, fees: order.fees.plus(fill.fee), updatedAt: now };
    if (isTerminal(order.status)) return { order: { ...order, ...amounts }, anomaly: `fill_on_${order.status.toLowerCase()}_order` };
    const base = order.status === 'NEW' ? this.transition(order, 'SUBMITTED', now) : order;
    if (filledQty.gt(order.qty)) return { order: { ...this.transition(base, 'FILLED', now), ...amounts }, anomaly: 'overfill' };
    const to: OrderStatus = filledQty.eq(order.qty) ? 'FILLED' : 'PARTIALLY_FILLED';
    return { order: { ...this.transition(base, to, now), ...amounts } };
  }

  /**
   * The kill switch, enforced by execution itself whatever the caller did: ACTIVE accepts,
   * HALTED rejects everything, REDUCING accepts only an order that reduces the existing position
   * without flipping it, counting the unfilled quantity of open orders on the same side (so two
   * reducing orders cannot together flip the position).
   */
  gate(state: TradingStateName, req: Pick<OrderRequest, 'side' | 'qty'>, exposure: Exposure): GateDecision {
    if (state === 'ACTIVE') return { ok: true };
    if (state === 'HALTED') return { ok: false, reason: REASON_HALTED };
    return reduces(req.side, req.qty, exposure) ? { ok: true } : { ok: false, reason: REASON_REDUCING };
  }
}

/** Does an order of `side`/`qty` reduce `exposure.position` (with the same side's open orders) without flipping it? */
export function reduces(side: 'buy' | 'sell', qty: Dec, exposure: Exposure): boolean {
  const p = exposure.position;
  if (side === 'sell') return p.gt(0) && qty.plus(exposure.openSell).lte(p);
  return p.lt(0) && qty.plus(exposure.openBuy).lte(p.neg());
}

/** Signed quantity of a fill: + for buys, − for sells. */
export function signedQty(side: 'buy' | 'sell', qty: Dec): Dec {
  return side === 'buy' ? qty : qty.neg();
}

/** Net positions from fills (sum of signed quantities per symbol). */
export function netPositions(fills: Iterable<Pick<Fill, 'symbol' | 'side' | 'qty'>>): Map<Symbol, Dec> {
  const out = new Map<Symbol, Dec>();
  for (const f of fills) out.set(f.symbol, (out.get(f.symbol) ?? ZERO).plus(signedQty(f.side, f.qty)));
  return out;
}

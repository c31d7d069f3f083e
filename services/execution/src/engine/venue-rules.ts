/**
 * A live venue's market rules (from ccxt's loadMarkets) and the local check of an order against
 * them, before it is sent: an order the venue would reject is rejected here with a clear reason.
 *
 * - Quantity: must be a multiple of the venue's lot step and within its min/max. It is never
 *   rounded silently (the stored order would then ask for more than the venue was sent, and the
 *   order could never be FILLED); the reason names the nearest valid quantity below.
 * - Limit price: rounded to the venue's tick in the trader's favour (a buy down, a sell up), so
 *   the venue never executes beyond the limit that is stored; then checked against min/max.
 * - Notional (qty × price): within the venue's min/max cost. A market order is checked against a
 *   reference price when one is known (the latest tick), else left to the venue.
 *
 * Pure: no ccxt import; the ccxt market structure is read as untrusted input.
 */
import { Dec, describeValue, InvalidArgumentError, parseDecimal, truncateText, type OrderSide, type Symbol } from '@cte/shared/core';
import type { OrderType } from './validation';

/** ccxt's precision modes (ccxt/js/src/base/functions/number.js). */
export const DECIMAL_PLACES = 2;
export const SIGNIFICANT_DIGITS = 3;
export const TICK_SIZE = 4;

export interface MarketRules {
  symbol: Symbol;
  /** The venue's own market id (BTCUSDT, BTC-USD...). */
  venueId: string;
  active: boolean;
  /** Lot step; null when the venue gives none. */
  qtyStep: Dec | null;
  /** Price tick; null when the venue gives none. */
  priceStep: Dec | null;
  minQty: Dec | null;
  maxQty: Dec | null;
  /** Market orders' own quantity limits (Binance MARKET_LOT_SIZE), when the venue has them. */
  marketMinQty: Dec | null;
  marketMaxQty: Dec | null;
  minPrice: Dec | null;
  maxPrice: Dec | null;
  minNotional: Dec | null;
  maxNotional: Dec | null;
}

export interface OrderToCheck {
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  limitPrice: Dec | null;
}

/** The order as it goes out, or why it must not. `reason` fits orders.reason (64 chars); `detail` is for logs. */
export type CheckedOrder = { ok: true; qty: Dec; limitPrice: Dec | null } | { ok: false; reason: string; detail: string };

/** orders.reason is VARCHAR(64). */
export const REASON_MAX = 64;

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** An optional non-negative number from ccxt (number or numeric string; null/undefined = none). */
function optional(v: unknown, field: string, positive = false): Dec | null {
  if (v === undefined || v === null) return null;
  const d = parseDecimal(typeof v === 'string' ? v.trim() : v, field);
  if (d.isNegative() || (positive && d.isZero())) throw new InvalidArgumentError(`${field} must be ${positive ? '> 0' : '>= 0'}, got ${d.toFixed()}`);
  // 0 as a limit means "no limit" in several venues' filters.
  return d.isZero() ? null : d;
}

function step(v: unknown, mode: number, field: string): Dec | null {
  if (v === undefined || v === null) return null;
  if (mode === DECIMAL_PLACES) {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 18) throw new InvalidArgumentError(`${field} must be a number of decimals in 0..18, got ${describeValue(v)}`);
    return new Dec(1).div(new Dec(10).pow(n));
  }
  if (mode === TICK_SIZE) return optional(v, field, true);
  // SIGNIFICANT_DIGITS has no fixed step: the venue checks it.
  return null;
}

/** Reads one ccxt market structure; throws InvalidArgumentError naming the bad field. */
export function marketRulesFrom(market: unknown, precisionMode: number): MarketRules {
  const m = obj(market);
  const symbol = typeof m.symbol === 'string' ? m.symbol : '';
  const venueId = typeof m.id === 'string' ? m.id : '';
  if (symbol === '' || venueId === '') throw new InvalidArgumentError('market without symbol or id');
  const at = (f: string): string => `${symbol} ${f}`;
  const precision = obj(m.precision);
  const limits = obj(m.limits);
  const amount = obj(limits.amount);
  const price = obj(limits.price);
  const cost = obj(limits.cost);
  const market_ = obj(limits.market);
  return {
    symbol,
    venueId,
    // ccxt leaves `active` undefined when the venue does not say: treat as tradable.
    active: m.active !== false,
    qtyStep: step(precision.amount, precisionMode, at('precision.amount')),
    priceStep: step(precision.price, precisionMode, at('precision.price')),
    minQty: optional(amount.min, at('limits.amount.min')),
    maxQty: optional(amount.max, at('limits.amount.max')),
    marketMinQty: optional(market_.min, at('limits.market.min')),
    marketMaxQty: optional(market_.max, at('limits.market.max')),
    minPrice: optional(price.min, at('limits.price.min')),
    maxPrice: optional(price.max, at('limits.price.max')),
    minNotional: optional(cost.min, at('limits.cost.min')),
    maxNotional: optional(cost.max, at('limits.cost.max')),
  };
}

/** `v` rounded down (or up) to a multiple of `step`. */
export function toStep(v: Dec, stepSize: Dec, up = false): Dec {
  const n = v.div(stepSize);
  return (up ? n.ceil() : n.floor()).times(stepSize);
}

function no(reason: string, detail: string): CheckedOrder {
  return { ok: false, reason: truncateText(reason, REASON_MAX), detail };
}

/** Checks (and rounds the limit price of) an order against the venue's rules. */
export function checkOrder(rules: MarketRules, order: OrderToCheck, referencePrice?: Dec): CheckedOrder {
  const s = rules.symbol;
  if (!rules.active) return no('market_inactive', `${s} is not active at the venue`);
  const qty = order.qty;
  if (!qty.gt(0)) return no('invalid_qty', `qty ${qty.toFixed()} is not > 0`);
  if (rules.qtyStep && !qty.mod(rules.qtyStep).isZero()) {
    const lower = toStep(qty, rules.qtyStep);
    return no(`lot_size: qty not a multiple of ${rules.qtyStep.toFixed()}`, `qty ${qty.toFixed()} of ${s} is not a multiple of the venue's lot step ${rules.qtyStep.toFixed()} (nearest valid below: ${lower.toFixed()})`);
  }
  const isMarket = order.type === 'market';
  const minQty = isMarket && rules.marketMinQty ? rules.marketMinQty : rules.minQty;
  const maxQty = isMarket && rules.marketMaxQty ? rules.marketMaxQty : rules.maxQty;
  if (minQty && qty.lt(minQty)) return no(`min_qty: ${qty.toFixed()} < ${minQty.toFixed()}`, `qty ${qty.toFixed()} of ${s} is below the venue's minimum ${minQty.toFixed()}`);
  if (maxQty && qty.gt(maxQty)) return no(`max_qty: ${qty.toFixed()} > ${maxQty.toFixed()}`, `qty ${qty.toFixed()} of ${s} is above the venue's maximum ${maxQty.toFixed()}`);

  let limitPrice: Dec | null = null;
  if (order.type === 'limit') {
    if (order.limitPrice === null || !order.limitPrice.gt(0)) return no('invalid_price', 'a limit order needs a limit price > 0');
    limitPrice = rules.priceStep ? toStep(order.limitPrice, rules.priceStep, order.side === 'sell') : order.limitPrice;
    if (!limitPrice.gt(0)) return no(`price_tick: below ${rules.priceStep?.toFixed() ?? '0'}`, `limit price ${order.limitPrice.toFixed()} of ${s} rounds to 0 at the venue's tick`);
    if (rules.minPrice && limitPrice.lt(rules.minPrice)) return no(`min_price: ${limitPrice.toFixed()} < ${rules.minPrice.toFixed()}`, `limit price ${limitPrice.toFixed()} of ${s} is below the venue's minimum ${rules.minPrice.toFixed()}`);
    if (rules.maxPrice && limitPrice.gt(rules.maxPrice)) return no(`max_price: ${limitPrice.toFixed()} > ${rules.maxPrice.toFixed()}`, `limit price ${limitPrice.toFixed()} of ${s} is above the venue's maximum ${rules.maxPrice.toFixed()}`);
  }
  const price = limitPrice ?? referencePrice;
  if (price && price.gt(0)) {
    const notional = qty.times(price);
    if (rules.minNotional && notional.lt(rules.minNotional)) {
      return no(`min_notional: ${notional.toFixed()} < ${rules.minNotional.toFixed()}`, `notional ${notional.toFixed()} (qty × ${limitPrice ? 'limit' : 'reference'} price) of ${s} is below the venue's minimum ${rules.minNotional.toFixed()}`);
    }
    if (rules.maxNotional && notional.gt(rules.maxNotional)) {
      return no(`max_notional: ${notional.toFixed()} > ${rules.maxNotional.toFixed()}`, `notional ${notional.toFixed()} of ${s} is above the venue's maximum ${rules.maxNotional.toFixed()}`);
    }
  }
  return { ok: true, qty, limitPrice };
}

/**
 * The client order id each venue accepts. Ours are 1–128 of `A-Za-z0-9_.:-`; Binance takes
 * `^[A-Za-z0-9_-]{1,36}$` (newClientOrderId), KuCoin 1–40 of `A-Za-z0-9_-` (clientOid), Coinbase
 * any string up to 128 (client_order_id). An id that fits is sent as it is; one that does not is
 * mapped deterministically to `cte-` + a SHA-256 prefix, so the same order always maps to the same
 * venue id, across restarts and replicas (lookups by it stay exact). Hashing is the caller's
 * (node:crypto is I/O-free but not engine-pure by this service's rules), passed in as `hash`.
 */
export const VENUE_CLIENT_ID_RULES: Readonly<Record<string, { pattern: RegExp; max: number }>> = {
  binanceus: { pattern: /^[A-Za-z0-9_-]{1,36}$/, max: 36 },
  kucoin: { pattern: /^[A-Za-z0-9_-]{1,40}$/, max: 40 },
  coinbase: { pattern: /^[A-Za-z0-9_.:-]{1,128}$/, max: 128 },
};

export function venueClientOrderId(exchange: string, clientOrderId: string, hash: (s: string) => string): string {
  const rule = VENUE_CLIENT_ID_RULES[exchange] ?? { pattern: /^[A-Za-z0-9_-]{1,32}$/, max: 32 };
  if (rule.pattern.test(clientOrderId)) return clientOrderId;
  const hex = hash(clientOrderId).replace(/[^0-9a-f]/gi, '');
  return `cte-${hex}`.slice(0, Math.min(rule.max, 36));
}

/**
 * Validation of an untrusted order request (REST body or gRPC SubmitOrderRequest). Every problem is
 * an InvalidArgumentError naming the field; nothing is stored or sent for an invalid order.
 */
import { Dec, InvalidArgumentError, parseSymbol, type OrderSide, type Symbol } from '@cte/shared';
import type { PrecisionTable } from './precision';

export type OrderType = 'market' | 'limit';

export interface OrderRequest {
  clientOrderId: string;
  symbol: Symbol;
  side: OrderSide;
  type: OrderType;
  qty: Dec;
  /** Limit orders only. */
  limitPrice: Dec | null;
  /** '' when none. */
  recommendationId: string;
  /** Absent when the caller gave none (the edge's trace id is used then). */
  traceId?: string;
}

export interface ValidationContext {
  /** Known = configured in SYMBOLS, or a price has been seen. */
  isKnownSymbol(symbol: Symbol): boolean;
  precision: PrecisionTable;
}

/** Ids: the fleet's id alphabet (FillMessage validates client_order_id with it too). */
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** What FillMessage accepts as trace_id, so every fill of the order validates downstream. */
export const TRACE_ID_RE = /^[A-Za-z0-9-]{8,64}$/;
/** No sign, no exponent, no spaces. */
const UNSIGNED_DECIMAL = /^\d+(\.\d+)?$/;
/** Largest accepted quantity or price (fits DECIMAL(36,18) with room for sums). */
export const MAX_AMOUNT = new Dec('1e15');

const FIELDS = new Set(['client_order_id', 'symbol', 'side', 'type', 'qty', 'limit_price', 'recommendation_id', 'trace_id']);

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** A positive decimal within precision; a JSON number is accepted when finite (its shortest decimal form). */
export function parseAmount(v: unknown, field: string, decimals: number): Dec {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${field} must be a finite decimal, got ${describe(v)}`, { field });
    s = new Dec(v).toFixed();
  } else if (typeof v === 'string') {
    s = v.trim();
  } else {
    throw new InvalidArgumentError(`${field} must be a decimal string, got ${describe(v)}`, { field });
  }
  if (s.startsWith('-') && UNSIGNED_DECIMAL.test(s.slice(1))) throw new InvalidArgumentError(`${field} must be > 0, got ${s}`, { field });
  if (!UNSIGNED_DECIMAL.test(s)) throw new InvalidArgumentError(`${field} must be a decimal string such as "0.5", got ${describe(v)}`, { field });
  const d = new Dec(s);
  if (d.lte(0)) throw new InvalidArgumentError(`${field} must be > 0, got ${s}`, { field });
  if (d.gt(MAX_AMOUNT)) throw new InvalidArgumentError(`${field} must be at most ${MAX_AMOUNT.toFixed()}, got ${s}`, { field });
  if (d.decimalPlaces() > decimals) {
    throw new InvalidArgumentError(`${field} has too many decimals: ${s} (at most ${decimals} for this market)`, { field, max_decimals: decimals });
  }
  return d;
}

function requiredString(r: Record<string, unknown>, field: string): string {
  const v = r[field];
  if (absent(v)) throw new InvalidArgumentError(`${field} is required`, { field });
  if (typeof v !== 'string') throw new InvalidArgumentError(`${field} must be a string, got ${describe(v)}`, { field });
  return v;
}

function optionalId(r: Record<string, unknown>, field: string, re: RegExp): string | undefined {
  const v = r[field];
  if (absent(v)) return undefined;
  if (typeof v !== 'string' || !re.test(v)) throw new InvalidArgumentError(`${field} is invalid: ${describe(v)} (expected ${re.source})`, { field });
  return v;
}

/**
 * Validates a submit request. `strict` (REST) also rejects unknown fields, so a typo such as
 * `quantity` is reported instead of ignored.
 */
export function validateOrderRequest(raw: unknown, ctx: ValidationContext, strict = false): OrderRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('order must be a JSON object');
  const r = raw as Record<string, unknown>;
  if (strict) {
    const unknown = Object.keys(r).filter((k) => !FIELDS.has(k));
    if (unknown.length > 0) throw new InvalidArgumentError(`unknown field(s): ${unknown.join(', ')}`, { fields: unknown });
  }
  const clientOrderId = requiredString(r, 'client_order_id');
  if (!ID_RE.test(clientOrderId)) {
    throw new InvalidArgumentError(`client_order_id is invalid: ${describe(clientOrderId)} (1-128 of A-Z a-z 0-9 _ . : -, starting with a letter or digit)`, { field: 'client_order_id' });
  }
  const symbol = parseSymbolField(requiredString(r, 'symbol'));
  if (!ctx.isKnownSymbol(symbol)) throw new InvalidArgumentError(`symbol ${symbol} is not known (no price seen and not in SYMBOLS)`, { field: 'symbol' });

  const sideRaw = requiredString(r, 'side').toLowerCase();
  if (sideRaw !== 'buy' && sideRaw !== 'sell') throw new InvalidArgumentError(`side must be buy or sell, got ${describe(r.side)}`, { field: 'side' });
  const typeRaw = requiredString(r, 'type').toLowerCase();
  if (typeRaw !== 'market' && typeRaw !== 'limit') throw new InvalidArgumentError(`type must be market or limit, got ${describe(r.type)}`, { field: 'type' });

  const precision = ctx.precision.of(symbol);
  if (absent(r.qty)) throw new InvalidArgumentError('qty is required', { field: 'qty' });
  const qty = parseAmount(r.qty, 'qty', precision.qtyDecimals);

  let limitPrice: Dec | null = null;
  if (typeRaw === 'limit') {
    if (absent(r.limit_price)) throw new InvalidArgumentError('limit_price is required for limit orders', { field: 'limit_price' });
    limitPrice = parseAmount(r.limit_price, 'limit_price', precision.priceDecimals);
  } else if (!absent(r.limit_price)) {
    throw new InvalidArgumentError('limit_price is only allowed on limit orders', { field: 'limit_price' });
  }
  const req: OrderRequest = {
    clientOrderId,
    symbol,
    side: sideRaw,
    type: typeRaw,
    qty,
    limitPrice,
    recommendationId: optionalId(r, 'recommendation_id', ID_RE) ?? '',
  };
  const traceId = optionalId(r, 'trace_id', TRACE_ID_RE);
  if (traceId !== undefined) req.traceId = traceId;
  return req;
}

function parseSymbolField(v: string): Symbol {
  try {
    return parseSymbol(v);
  } catch (err) {
    throw new InvalidArgumentError(`symbol ${(err as Error).message.replace(/^invalid symbol /, 'is invalid: ')}`, { field: 'symbol' });
  }
}

/** Same order? Used to refuse reusing a client_order_id for a different order. */
export function sameOrder(a: Pick<OrderRequest, 'symbol' | 'side' | 'type' | 'qty' | 'limitPrice'>, b: Pick<OrderRequest, 'symbol' | 'side' | 'type' | 'qty' | 'limitPrice'>): boolean {
  return (
    a.symbol === b.symbol &&
    a.side === b.side &&
    a.type === b.type &&
    a.qty.eq(b.qty) &&
    (a.limitPrice === null ? b.limitPrice === null : b.limitPrice !== null && a.limitPrice.eq(b.limitPrice))
  );
}

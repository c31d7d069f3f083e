/**
 * Validation of an untrusted order request (REST body or gRPC SubmitOrderRequest). Every problem is
 * an InvalidArgumentError naming the field; nothing is stored or sent for an invalid order.
 */
import { Dec, describeValue, InvalidArgumentError, MONEY_COLUMN, parseDecimalColumn, parseIdField, parseOptionalIdField, parseSideField, parseTraceIdField, parseSymbol, type OrderSide, type Symbol, type TradableSymbols } from '@cte/shared/core';
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
  /** The order's data time (epoch ms; the paper venue fills at the first price at or after it). Absent when none. */
  dataTime?: number;
}

export interface ValidationContext {
  /** The fleet's tradable symbols (TRADABLE_SYMBOLS); an order for any other is refused. */
  symbols: TradableSymbols;
  /** Throws (UnavailableError) when a tradable symbol cannot take orders yet, e.g. no price since a restart. */
  checkAvailable?(symbol: Symbol): void;
  precision: PrecisionTable;
}

/** No sign, no exponent, no spaces. */
const UNSIGNED_DECIMAL = /^\d+(\.\d+)?$/;
/** Largest accepted quantity or price (fits DECIMAL(36,18) with room for sums). */
export const MAX_AMOUNT = new Dec('1e15');

const FIELDS = new Set(['client_order_id', 'symbol', 'side', 'type', 'qty', 'limit_price', 'recommendation_id', 'trace_id', 'data_time']);

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function describe(v: unknown): string {
  return describeValue(v, 60);
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
  parseDecimalColumn(s, field, MONEY_COLUMN); // what orders/trades (DECIMAL(36,18)) store, whatever the market precision says
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
  // Shared fields follow the kit's one rule for each (as risk and FillMessage do).
  const clientOrderId = parseIdField(r.client_order_id, 'client_order_id');
  const symbol = parseSymbolField(requiredString(r, 'symbol'));
  ctx.symbols.check(symbol, 'symbol');
  ctx.checkAvailable?.(symbol);

  const side = parseSideField(r.side);
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
    side,
    type: typeRaw,
    qty,
    limitPrice,
    recommendationId: parseOptionalIdField(r.recommendation_id, 'recommendation_id') ?? '',
  };
  // The fleet's one trace_id rule (what FillMessage accepts too, so every fill of the order validates downstream).
  const traceId = parseTraceIdField(r.trace_id);
  if (traceId !== undefined) req.traceId = traceId;
  const dataTime = parseDataTime(r.data_time);
  if (dataTime !== undefined) req.dataTime = dataTime;
  return req;
}

/** A non-negative safe integer of epoch ms: a number, or a digit string (gRPC int64); 0/absent = none. */
export function parseDataTime(v: unknown): number | undefined {
  if (absent(v)) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d{1,16}$/.test(v)) n = Number(v);
  else throw new InvalidArgumentError(`data_time must be a non-negative integer of epoch milliseconds, got ${describe(v)}`, { field: 'data_time' });
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`data_time must be a non-negative integer of epoch milliseconds, got ${describe(v)}`, { field: 'data_time' });
  return n === 0 ? undefined : n;
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

/**
 * A live venue's trades and orders (ccxt's unified structures, read as untrusted input) turned
 * into the service's fills and order states. Pure: the adapter passes ccxt's objects in.
 */
import { Dec, InvalidArgumentError, parseDecimal, type Symbol } from '@cte/shared/core';
import type { Fill, Liquidity } from './types';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** A string or integer id (ccxt gives strings; some venues' raw ids are numbers). */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0 && v.length <= 128) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return undefined;
}

/** The client order id a venue echoes in a trade or order: ccxt's field, else the raw message's (Binance `c`, KuCoin `clientOid`, Coinbase `client_order_id`). */
export function clientIdOf(raw: unknown): string | undefined {
  const r = obj(raw);
  const info = obj(r.info);
  return idOf(r.clientOrderId) ?? idOf(info.c) ?? idOf(info.clientOid) ?? idOf(info.client_order_id) ?? idOf(info.clientOrderId);
}

/** The venue order id of a ccxt trade. */
export function tradeOrderIdOf(raw: unknown): string | undefined {
  return idOf(obj(raw).order);
}

export interface FillContext {
  venue: string;
  orderId: string;
  clientOrderId: string;
  /** Fee currency when the venue names none. */
  defaultFeeCurrency: string;
}

/** What a fill carries besides its order; `fee` is clamped at 0 (a rebate) with `rebate` set. */
export interface ParsedFill {
  fill: Fill;
  rebate: boolean;
}

function positive(v: unknown, field: string): Dec {
  const d = parseDecimal(v, field);
  if (!d.gt(0)) throw new InvalidArgumentError(`${field} must be > 0, got ${d.toFixed()}`);
  return d;
}

/** One ccxt trade as a Fill of our order; throws InvalidArgumentError naming the bad field. */
export function fillFromTrade(raw: unknown, ctx: FillContext): ParsedFill {
  const t = obj(raw);
  const rawId = idOf(t.id);
  if (rawId === undefined) throw new InvalidArgumentError('trade without an id');
  if (typeof t.symbol !== 'string' || !t.symbol.includes('/') || t.symbol.length > 41) throw new InvalidArgumentError(`trade ${rawId} without a symbol`);
  // Trade ids are unique per market only (Binance, Coinbase): qualified by the symbol, they are unique per venue.
  const venueTradeId = `${t.symbol}:${rawId}`;
  if (venueTradeId.length > 128) throw new InvalidArgumentError(`trade id ${rawId.slice(0, 20)}… is too long`);
  const venueOrderId = idOf(t.order);
  if (venueOrderId === undefined) throw new InvalidArgumentError(`trade ${venueTradeId} without an order id`);
  if (t.side !== 'buy' && t.side !== 'sell') throw new InvalidArgumentError(`trade ${venueTradeId} side must be buy or sell`);
  const qty = positive(t.amount, `trade ${venueTradeId} amount`);
  const price = positive(t.price, `trade ${venueTradeId} price`);
  const ts = t.timestamp;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) throw new InvalidArgumentError(`trade ${venueTradeId} timestamp must be epoch ms`);
  const fee = obj(t.fee);
  let feeCost = fee.cost === undefined || fee.cost === null ? new Dec(0) : parseDecimal(fee.cost, `trade ${venueTradeId} fee`);
  const rebate = feeCost.isNegative();
  if (rebate) feeCost = new Dec(0);
  const feeCurrency = typeof fee.currency === 'string' && /^[A-Za-z0-9]{1,20}$/.test(fee.currency) ? fee.currency : ctx.defaultFeeCurrency;
  const liquidity: Liquidity = t.takerOrMaker === 'maker' ? 'maker' : 'taker';
  return {
    fill: {
      venue: ctx.venue,
      venueTradeId,
      venueOrderId,
      orderId: ctx.orderId,
      clientOrderId: ctx.clientOrderId,
      symbol: t.symbol,
      side: t.side,
      qty,
      price,
      fee: feeCost,
      feeCurrency,
      liquidity,
      ts,
    },
    rebate,
  };
}

export type VenueStatus = 'open' | 'filled' | 'canceled' | 'rejected' | 'expired';

export interface ParsedVenueOrder {
  venueOrderId: string;
  clientId: string | undefined;
  symbol: Symbol;
  status: VenueStatus;
  filledQty: Dec;
}

/** ccxt order statuses: open, closed, canceled (and 'cancelled'), expired, rejected. */
export function venueStatusOf(v: unknown): VenueStatus | undefined {
  switch (v) {
    case 'open':
      return 'open';
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      return undefined;
  }
}

/** One ccxt order; undefined when it carries no id (KuCoin answers an unknown client id with empty data). */
export function parseVenueOrder(raw: unknown): ParsedVenueOrder | undefined {
  const o = obj(raw);
  const venueOrderId = idOf(o.id);
  if (venueOrderId === undefined) return undefined;
  if (typeof o.symbol !== 'string' || !o.symbol.includes('/')) throw new InvalidArgumentError(`order ${venueOrderId} without a symbol`);
  const status = venueStatusOf(o.status);
  if (status === undefined) throw new InvalidArgumentError(`order ${venueOrderId} has an unknown status ${String(o.status).slice(0, 20)}`);
  const filled = o.filled === undefined || o.filled === null ? new Dec(0) : parseDecimal(o.filled, `order ${venueOrderId} filled`);
  if (filled.isNegative()) throw new InvalidArgumentError(`order ${venueOrderId} filled is negative`);
  return { venueOrderId, clientId: clientIdOf(raw), symbol: o.symbol, status, filledQty: filled };
}

/**
 * The venue's reply to createOrder, as ccxt parsed it. Coinbase's and KuCoin's replies carry no
 * status (an order the venue just acknowledged is open) and may omit the symbol: missing fields
 * take those defaults instead of overwriting them (which made every such acknowledgement look
 * ambiguous, and cost a settle delay and a lookup per order).
 */
export function parseAckReply(raw: unknown, symbol: string): ParsedVenueOrder | undefined {
  const o = obj(raw);
  return parseVenueOrder({ ...o, status: o.status ?? 'open', symbol: o.symbol ?? symbol });
}

/** Capped exponential backoff with full jitter in [delay/2, delay]. */
export function reconnectDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(d / 2 + (d / 2) * Math.min(1, Math.max(0, random)));
}

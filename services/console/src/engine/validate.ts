/** Validation of what the browser sends, before anything reaches a peer. */
import { TRADING_STATES, type TradingStateName } from '@cte/shared/core';

export class InputError extends Error {}

function obj(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('body must be a JSON object');
  return body as Record<string, unknown>;
}

function text(o: Record<string, unknown>, key: string, min: number, max: number): string {
  const v = o[key];
  if (typeof v !== 'string') throw new InputError(`${key} must be a string`);
  const t = v.trim();
  if (t.length < min || t.length > max) throw new InputError(`${key} must be ${min}..${max} characters`);
  // Control characters would garble the audit log and logs.
  if (/[\u0000-\u001f\u007f]/.test(t)) throw new InputError(`${key} must not contain control characters`);
  return t;
}

export interface SignInInput {
  name: string;
  password: string;
}

export function parseSignIn(body: unknown): SignInInput {
  const o = obj(body);
  const name = o.name;
  const password = o.password;
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) throw new InputError('name must be 1..64 characters');
  if (typeof password !== 'string' || password.length === 0 || password.length > 1024) throw new InputError('password must be 1..1024 characters');
  return { name, password };
}

export interface TradingStateInput {
  state: TradingStateName;
  reason: string;
}

export function parseTradingStateChange(body: unknown): TradingStateInput {
  const o = obj(body);
  if (typeof o.state !== 'string' || !(TRADING_STATES as readonly string[]).includes(o.state)) {
    throw new InputError(`state must be one of ${TRADING_STATES.join(', ')}`);
  }
  if (o.confirm !== true) throw new InputError('confirm must be true: changing the trading state needs an explicit confirmation');
  return { state: o.state as TradingStateName, reason: text(o, 'reason', 3, 200) };
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function parseOrderId(v: unknown): string {
  if (typeof v !== 'string' || !ID.test(v)) throw new InputError('order id is invalid');
  return v;
}

export function parseCancel(body: unknown): { reason: string } {
  const o = obj(body);
  if (o.confirm !== true) throw new InputError('confirm must be true');
  return { reason: o.reason === undefined ? 'canceled from the console' : text(o, 'reason', 1, 200) };
}

const DECIMAL = /^(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;
const INTEGER = /^(?:0|[1-9]\d{0,9})$/;

/** Editable risk limits: name → [pattern, check, what]. Percentages are 0 < x <= 100. */
const LIMIT_FIELDS: Readonly<Record<string, { re: RegExp; pct: boolean }>> = {
  max_position_pct: { re: DECIMAL, pct: true },
  max_gross_exposure_pct: { re: DECIMAL, pct: false },
  max_trades_per_day: { re: INTEGER, pct: false },
  max_trades_per_day_per_symbol: { re: INTEGER, pct: false },
  max_order_notional: { re: DECIMAL, pct: false },
  min_order_notional: { re: DECIMAL, pct: false },
  max_daily_loss_pct: { re: DECIMAL, pct: true },
  max_drawdown_pct: { re: DECIMAL, pct: true },
  max_price_age_ms: { re: INTEGER, pct: false },
};

export const LIMIT_NAMES = Object.keys(LIMIT_FIELDS);

/** A partial update of risk limits: only known fields, each a decimal/integer string in range. */
export function parseLimitsUpdate(body: unknown): { limits: Record<string, string>; reason: string } {
  const o = obj(body);
  if (o.confirm !== true) throw new InputError('confirm must be true');
  const reason = text(o, 'reason', 3, 200);
  const l = o.limits;
  const lo = obj(l);
  const limits: Record<string, string> = {};
  for (const [k, v] of Object.entries(lo)) {
    const f = LIMIT_FIELDS[k];
    if (!f) throw new InputError(`limits.${k.slice(0, 40)} is not an editable limit`);
    if (typeof v !== 'string' || !f.re.test(v)) throw new InputError(`limits.${k} must be a non-negative ${f.re === INTEGER ? 'integer' : 'decimal'} string`);
    if (f.pct && (Number(v) <= 0 || Number(v) > 100)) throw new InputError(`limits.${k} must be > 0 and <= 100`);
    limits[k] = v;
  }
  if (Object.keys(limits).length === 0) throw new InputError('limits must change at least one field');
  if (limits.min_order_notional !== undefined && limits.max_order_notional !== undefined && Number(limits.min_order_notional) > Number(limits.max_order_notional)) {
    throw new InputError('limits.min_order_notional must not exceed limits.max_order_notional');
  }
  return { limits, reason };
}

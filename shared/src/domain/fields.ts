/**
 * Parsers for request fields that several services' APIs share, so each field means the same
 * everywhere (an order's `client_order_id` or `side` is checked by execution exactly as a risk
 * check's is). Each throws InvalidArgumentError naming the field (`details.field`). `trace_id`
 * has its own parser next to the other trace id rules (`parseTraceIdField` in ../trace).
 */
import type { OrderSide } from '../channels';
import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';

/** The fleet's id alphabet: client_order_id, recommendation_id, idempotency keys, order and fill ids. */
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const ID_RULE = '1-128 of A-Z a-z 0-9 _ . : -, starting with a letter or digit';

const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

/** A required id (see ID_RE). */
export function parseIdField(value: unknown, field: string): string {
  if (absent(value)) throw new InvalidArgumentError(`${field} is required (${ID_RULE})`, { field });
  if (typeof value !== 'string' || !ID_RE.test(value)) {
    throw new InvalidArgumentError(`${field} is invalid: ${describeValue(value)} (${ID_RULE})`, { field });
  }
  return value;
}

/** An optional id: absent (`undefined`, `null`, `''`) → undefined, else as parseIdField. */
export function parseOptionalIdField(value: unknown, field: string): string | undefined {
  return absent(value) ? undefined : parseIdField(value, field);
}

/** An order side: `buy` or `sell`, in any case, surrounding blanks ignored. */
export function parseSideField(value: unknown, field = 'side'): OrderSide {
  if (absent(value)) throw new InvalidArgumentError(`${field} is required (buy or sell)`, { field });
  const s = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (s !== 'buy' && s !== 'sell') throw new InvalidArgumentError(`${field} must be buy or sell, got ${describeValue(value)}`, { field });
  return s;
}

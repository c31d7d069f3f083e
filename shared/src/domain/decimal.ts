import { describeValue } from '../describe';
import Decimal from 'decimal.js';
import { InvalidArgumentError } from '../errors';

/** Exact decimal arithmetic for money, quantities and prices. Floats are for features only. */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = Decimal;

const DECIMAL_STRING = /^-?(\d+)(\.\d+)?$/;

/** Parses a decimal string (no exponent, no spaces); throws InvalidArgumentError naming the field. */
export function parseDecimal(value: unknown, field: string): Decimal {
  if (typeof value === 'number' && Number.isFinite(value)) return new Dec(numberToDecimalString(value));
  if (typeof value !== 'string' || !DECIMAL_STRING.test(value)) {
    throw new InvalidArgumentError(`${field} must be a decimal string, got ${describeValue(value)}`);
  }
  return new Dec(value);
}

/**
 * Formats a finite number as a plain decimal string (never exponent notation),
 * using the shortest representation that round-trips, so 0.1 stays "0.1".
 */
export function numberToDecimalString(n: number): string {
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`not a finite number: ${n}`);
  const s = String(n);
  if (!s.includes('e')) return s;
  return new Dec(s).toFixed();
}

/**
 * For sums of floats (bar volumes): rounds to 13 significant digits, so summation noise
 * such as 349.4975361900004 prints as 349.49753619. Summing a few thousand doubles keeps
 * about 13 reliable digits (n·ε relative error), so nothing real is rounded away.
 */
export function floatSumToDecimalString(n: number): string {
  return numberToDecimalString(Number(n.toPrecision(13)));
}

/**
 * Exact money for the ledger.
 *
 * Every amount the ledger keeps is a decimal with at most 18 decimal places and less than 10^18 in
 * magnitude: exactly what a MySQL `DECIMAL(36,18)` column holds, so what is in memory is what is in
 * MySQL, digit for digit, and a restart changes nothing.
 *
 * Arithmetic runs on `Exact`, the kit's `Dec` (decimal.js) with 100 significant digits instead of
 * 40: a product of two DECIMAL(36,18) values has at most 72 digits, so every sum, difference and
 * product is exact before the one explicit rounding step. The only operations that can produce more
 * than 18 decimals are
 *   - a product (qty × price, closed qty × price difference) whose factors' decimals add up to more
 *     than 18 (e.g. an 8-decimal qty times an 18-decimal average entry price), and
 *   - the weighted average entry price (a division),
 * and those are rounded to 18 decimals **half away from zero** (`ROUND_HALF_UP` in decimal.js, the
 * same rule as MySQL's `ROUND()` on exact values). Rounding a 100-digit quotient to 18 places can
 * never hit a false tie (a quotient of two such decimals is at least 10^-55 away from any 19-digit
 * tie), so the result is the correctly rounded exact quotient.
 */
import { Dec } from '@cte/shared/core';

export type Decimal = Dec;

/** Decimal places of every stored amount (DECIMAL(36,18)). */
export const SCALE = 18;

/** `Dec` with room for exact products of two DECIMAL(36,18) values. */
export const Exact = Dec.clone({ precision: 100, rounding: Dec.ROUND_HALF_UP, toExpNeg: -100, toExpPos: 100 });

export const ZERO: Decimal = new Exact(0);
export const ONE: Decimal = new Exact(1);
export const HUNDRED: Decimal = new Exact(100);
/** Exclusive bound of a DECIMAL(36,18) column. */
export const COLUMN_LIMIT: Decimal = new Exact('1e18');

/** Rounds to the ledger's 18 decimals, half away from zero. */
export function round18(d: Decimal): Decimal {
  return d.toDecimalPlaces(SCALE, Exact.ROUND_HALF_UP);
}

/** Plain decimal string (never exponent form), rounded to 18 places; `-0` prints as `0`. */
export function fmt(d: Decimal): string {
  const r = round18(d);
  return r.isZero() ? '0' : r.toFixed();
}

/** True when `d` fits DECIMAL(36,18) as it is (no rounding, no overflow). */
export function fitsColumn(d: Decimal): boolean {
  return d.isFinite() && d.decimalPlaces() <= SCALE && d.abs().lt(COLUMN_LIMIT);
}

/** An exact decimal from a trusted decimal string (from MySQL or an already validated message). */
export function dec(s: string | number): Decimal {
  return new Exact(s);
}

/** Sign of a decimal as -1, 0 or 1. */
export function sign(d: Decimal): -1 | 0 | 1 {
  return d.isZero() ? 0 : d.isNegative() ? -1 : 1;
}

/** Larger of two decimals. */
export function max(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}

/** Smaller of two decimals. */
export function min(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}

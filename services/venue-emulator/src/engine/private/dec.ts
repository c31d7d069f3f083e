/** Decimal helpers the matching engine needs on top of ../decimal.ts (same 18-place scaled BigInt). */
import { decCmp, decIsZero, decNorm } from '../decimal';

const SCALE = 18n;
const ONE = 10n ** SCALE;

function scaled(s: string): bigint {
  const n = decNorm(s);
  const neg = n.startsWith('-');
  const [int = '0', frac = ''] = (neg ? n.slice(1) : n).split('.');
  const v = BigInt(int) * ONE + BigInt(frac.padEnd(Number(SCALE), '0') || '0');
  return neg ? -v : v;
}

function unscaled(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / ONE;
  const frac = (a % ONE).toString().padStart(Number(SCALE), '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** A plain non-negative decimal as a venue accepts it (no exponent, no sign). */
export const DECIMAL_RE = /^\d{1,20}(\.\d{1,30})?$/;

export function decimalsOf(s: string): number {
  const frac = s.split('.')[1] ?? '';
  return frac.replace(/0+$/, '').length;
}

/** a is an exact multiple of step (step '0' = anything). */
export function isMultiple(a: string, step: string): boolean {
  const st = scaled(step);
  return st === 0n || scaled(a) % st === 0n;
}

/** a rounded down to a multiple of step. */
export function floorTo(a: string, step: string): string {
  const st = scaled(step);
  if (st === 0n) return decNorm(a);
  const v = scaled(a);
  return unscaled(v - (((v % st) + st) % st));
}

/** a rounded up to `places` decimals. */
export function ceilPlaces(a: string, places: number): string {
  const unit = 10n ** (SCALE - BigInt(places));
  const v = scaled(a);
  const r = ((v % unit) + unit) % unit;
  return unscaled(r === 0n ? v : v - r + unit);
}

export function decMin(a: string, b: string): string {
  return decCmp(a, b) <= 0 ? a : b;
}

export function isPositive(a: string): boolean {
  return !decIsZero(a) && decCmp(a, '0') > 0;
}

/**
 * Exact comparison of unsigned decimal strings ("6800.01" vs "6800.010"), so a price move is
 * judged on the digits that travelled on the bus, never on a float rounding.
 */
const UNSIGNED_DECIMAL = /^\d+(\.\d+)?$/;

export function isUnsignedDecimal(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 80 && UNSIGNED_DECIMAL.test(s);
}

/** Drops leading zeros of the integer part and trailing zeros of the fraction: "006800.0100" → "6800.01". */
export function normalizeDecimal(s: string): string {
  const dot = s.indexOf('.');
  let int = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

/** -1, 0 or 1 as a < b, a = b, a > b; both must be unsigned decimal strings. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const x = normalizeDecimal(a);
  const y = normalizeDecimal(b);
  if (x === y) return 0;
  const xd = x.indexOf('.');
  const yd = y.indexOf('.');
  const xi = xd < 0 ? x : x.slice(0, xd);
  const yi = yd < 0 ? y : y.slice(0, yd);
  if (xi.length !== yi.length) return xi.length < yi.length ? -1 : 1;
  if (xi !== yi) return xi < yi ? -1 : 1;
  const xf = xd < 0 ? '' : x.slice(xd + 1);
  const yf = yd < 0 ? '' : y.slice(yd + 1);
  const n = Math.max(xf.length, yf.length);
  const pf = xf.padEnd(n, '0');
  const qf = yf.padEnd(n, '0');
  return pf === qf ? 0 : pf < qf ? -1 : 1;
}

/** Decimal-string arithmetic small enough for volumes and notionals (scaled BigInt, no float drift). */
const SCALE = 18;

function toScaled(s: string): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) throw new Error(`not a decimal: ${s.slice(0, 40)}`);
  const [, sign, int = '', frac = ''] = m;
  const digits = `${int || '0'}${frac.padEnd(SCALE, '0').slice(0, SCALE)}`;
  const v = BigInt(digits);
  return sign === '-' ? -v : v;
}

function fromScaled(v: bigint): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const s = abs.toString().padStart(SCALE + 1, '0');
  const int = s.slice(0, s.length - SCALE);
  const frac = s.slice(s.length - SCALE).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export function decAdd(a: string, b: string): string {
  return fromScaled(toScaled(a) + toScaled(b));
}

export function decSub(a: string, b: string): string {
  return fromScaled(toScaled(a) - toScaled(b));
}

export function decMul(a: string, b: string): string {
  return fromScaled((toScaled(a) * toScaled(b)) / 10n ** BigInt(SCALE));
}

/** a / b rounded down to `places` decimals. */
export function decDiv(a: string, b: string, places = 8): string {
  const bs = toScaled(b);
  if (bs === 0n) return '0';
  const q = (toScaled(a) * 10n ** BigInt(SCALE)) / bs;
  const unit = 10n ** BigInt(SCALE - places);
  return fromScaled((q / unit) * unit);
}

export function decCmp(a: string, b: string): number {
  // Rounding to a double is monotonic, so different doubles order the decimals; only a tie needs BigInt.
  const x = Number(a);
  const y = Number(b);
  if (x !== y && Number.isFinite(x) && Number.isFinite(y)) return x < y ? -1 : 1;
  const d = toScaled(a) - toScaled(b);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

export function decIsZero(a: string): boolean {
  // A decimal whose double is not 0 is not 0 (a valid one never parses to NaN): the BigInt only for the rest.
  const x = Number(a);
  if (x !== 0 && !Number.isNaN(x)) return false;
  return toScaled(a) === 0n;
}

/** Fixed number of decimals (Binance prints 8). */
export function decFixed(a: string, places: number): string {
  const s = fromScaled(toScaled(a));
  const [int, frac = ''] = s.split('.');
  return places === 0 ? (int ?? '0') : `${int ?? '0'}.${frac.padEnd(places, '0').slice(0, places)}`;
}

/** Canonical form: no trailing zeros. */
export function decNorm(a: string): string {
  return fromScaled(toScaled(a));
}

/** A finite non-negative number as a plain decimal string (no exponent), e.g. 1e-7 → "0.0000001". */
export function decFromNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return decNorm(n.toFixed(Math.min(100, Math.max(0, -Math.floor(Math.log10(Math.abs(n))) + 17))));
}

/** `start + k * step` for k = 1..n (`step` may be negative): one parse for the whole ladder. */
export function decLadder(start: string, step: string, n: number): string[] {
  const s = toScaled(start);
  const d = toScaled(step);
  const out: string[] = [];
  for (let k = 1; k <= n; k++) out.push(fromScaled(s + BigInt(k) * d));
  return out;
}

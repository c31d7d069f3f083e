/**
 * What a DECIMAL(p,s) column can hold, and a parser that accepts exactly that.
 *
 * A value with more than `s` decimal places is rounded by MariaDB on INSERT, and one with more
 * than `p - s` integer digits is refused (strict mode) or clipped: either way the row read back
 * is not what the caller was told was accepted. 0.0000001 into DECIMAL(12,6) is stored as 0,
 * and a positive-only field that reads back as 0 then fails validation on every restart.
 * `parseDecimalColumn` refuses such input at the boundary, naming the field and the column.
 *
 * Each owning service declares its tables' DECIMAL columns once (`decimalColumns(...)`, next to
 * its repository); `decimalColumnMismatches` (db/columns.ts) checks those declarations against
 * INFORMATION_SCHEMA of a migrated database so they cannot drift from shared/migrations.
 */
import type Decimal from 'decimal.js';
import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';
import { Dec, numberToDecimalString } from './decimal';

export interface DecimalColumn {
  readonly table: string;
  readonly column: string;
  /** Total significant digits, DECIMAL(precision, scale). */
  readonly precision: number;
  /** Digits after the point. */
  readonly scale: number;
}

/** Money, prices and quantities (shared/migrations/README.md). */
export const MONEY_DECIMAL = [36, 18] as const;

/**
 * For values that travel between services (bus messages, peer RPCs) and end up in some service's
 * money column: every such column is DECIMAL(36,18). `table` is empty: it is not one column.
 */
export const MONEY_COLUMN: DecimalColumn = Object.freeze({ table: '', column: 'a money column', precision: 36, scale: 18 });

/**
 * The DECIMAL columns of one table, declared once: `decimalColumns('price_monitors', { threshold_pct: [12, 6] })`.
 * The result maps each column name to its DecimalColumn.
 */
export function decimalColumns<C extends string>(
  table: string,
  columns: Record<C, readonly [precision: number, scale: number]>,
): { readonly [K in C]: DecimalColumn } {
  const out = {} as Record<C, DecimalColumn>;
  for (const column of Object.keys(columns) as C[]) {
    const [precision, scale] = columns[column];
    if (!Number.isInteger(precision) || !Number.isInteger(scale) || precision < 1 || precision > 65 || scale < 0 || scale > 38 || scale > precision) {
      throw new Error(`${table}.${column}: DECIMAL(${precision},${scale}) is not a valid column type`);
    }
    out[column] = Object.freeze({ table, column, precision, scale });
  }
  return Object.freeze(out);
}

/** The largest magnitude the column holds: 10^(p-s) - 10^-s, e.g. 999999.999999 for DECIMAL(12,6). */
export function decimalColumnMax(col: Pick<DecimalColumn, 'precision' | 'scale'>): Decimal {
  return new Dec(10).pow(col.precision - col.scale).minus(new Dec(10).pow(-col.scale));
}

export function describeDecimalColumn(col: DecimalColumn): string {
  const max = decimalColumnMax(col).toFixed();
  const name = col.table === '' ? col.column : `${col.table}.${col.column}`;
  return `${name} is DECIMAL(${col.precision},${col.scale}): at most ${col.scale} decimal places and magnitude <= ${max}`;
}

export interface DecimalColumnOptions {
  /** Must be > 0. */
  positive?: boolean;
  /** Must be >= 0. */
  nonNegative?: boolean;
  /** Inclusive bounds within the column's range. */
  min?: Decimal.Value;
  max?: Decimal.Value;
  /**
   * 'reject' (default): more decimal places than the column holds is an error.
   * 'half_even' / 'down': round to the column's scale, for fields whose domain says rounding is
   * right; a non-zero value that would round to 0 is still refused.
   */
  rounding?: 'reject' | 'half_even' | 'down';
}

const DECIMAL_STRING = /^-?(\d+)(\.\d+)?$/;
const MAX_ECHO = 40;

function echo(s: string): string {
  return s.length > MAX_ECHO ? `${s.slice(0, MAX_ECHO)}… (${s.length} characters)` : s;
}

/**
 * Parses a decimal (a plain decimal string, or a finite number) for a DECIMAL(p,s) column and
 * returns exactly the value the column will store. Throws InvalidArgumentError naming `field`
 * and the column's limits when the value is not a decimal, would be rounded (unless rounding is
 * allowed), overflows the column, or breaks the sign/min/max options.
 */
export function parseDecimalColumn(value: unknown, field: string, col: DecimalColumn, o: DecimalColumnOptions = {}): Decimal {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`${field} must be a finite decimal, got ${String(value)}`, { field });
    text = numberToDecimalString(value);
  } else if (typeof value === 'string' && DECIMAL_STRING.test(value.trim())) {
    text = value.trim();
  } else {
    throw new InvalidArgumentError(`${field} must be a decimal number or decimal string such as "1.25", got ${describeValue(value, MAX_ECHO)}`, { field });
  }
  let d: Decimal = new Dec(text);
  if (d.isZero()) d = new Dec(0); // -0 → 0
  const limits = describeDecimalColumn(col);
  if (d.decimalPlaces() > col.scale) {
    const mode = o.rounding ?? 'reject';
    if (mode === 'reject') {
      throw new InvalidArgumentError(`${field} ${echo(text)} has more decimal places than it can be stored with (${limits})`, { field });
    }
    const rounded = d.toDecimalPlaces(col.scale, mode === 'down' ? Dec.ROUND_DOWN : Dec.ROUND_HALF_EVEN);
    if (rounded.isZero()) {
      throw new InvalidArgumentError(`${field} ${echo(text)} is too small: it would be stored as 0 (${limits})`, { field });
    }
    d = rounded;
  }
  if (d.abs().gt(decimalColumnMax(col))) {
    throw new InvalidArgumentError(`${field} ${echo(text)} is too large to be stored (${limits})`, { field });
  }
  if (o.positive === true && !d.gt(0)) throw new InvalidArgumentError(`${field} must be > 0, got ${echo(text)}`, { field });
  if (o.nonNegative === true && d.lt(0)) throw new InvalidArgumentError(`${field} must be >= 0, got ${echo(text)}`, { field });
  if (o.min !== undefined && d.lt(o.min)) throw new InvalidArgumentError(`${field} must be >= ${new Dec(o.min).toFixed()}, got ${echo(text)}`, { field });
  if (o.max !== undefined && d.gt(o.max)) throw new InvalidArgumentError(`${field} must be <= ${new Dec(o.max).toFixed()}, got ${echo(text)}`, { field });
  return d;
}

/** True when the value fits the column unchanged (for values a service computes itself). */
export function fitsDecimalColumn(value: Decimal.Value, col: Pick<DecimalColumn, 'precision' | 'scale'>): boolean {
  const d = new Dec(value);
  return d.isFinite() && d.decimalPlaces() <= col.scale && d.abs().lte(decimalColumnMax(col));
}

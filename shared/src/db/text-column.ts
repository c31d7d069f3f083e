import { describeValue } from '../describe';

/**
 * A CHAR/VARCHAR/TEXT value as mysql2 returns it: a string, or a Buffer under a binary collation
 * (numbers pass as their decimal text). Anything else is a schema mismatch and throws rather than
 * becoming "[object Object]".
 */
export function textColumn(value: unknown, column: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`column ${column}: expected text, got ${describeValue(value, 80)}`);
}

/**
 * Multi-row INSERT / upsert: one statement per chunk instead of one per row.
 * Works on the pool or inside a transaction (anything Queryable).
 */
import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';
import type { Queryable, SqlScalar } from './pool';

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Validates and backtick-quotes an identifier (table or column). */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > 64) {
    throw new InvalidArgumentError(`invalid SQL identifier ${describeValue(name)}`);
  }
  return `\`${name}\``;
}

export interface BatchInsertOptions {
  /** Rows per statement (default 500). Keep chunkSize × columns well under max_allowed_packet. */
  chunkSize?: number;
}

export interface BatchUpsertOptions extends BatchInsertOptions {
  /**
   * Columns overwritten with the new row's value when the row hits an existing
   * PRIMARY/UNIQUE key. Default: every column in `columns`.
   */
  updateColumns?: readonly string[];
}

export type BatchRow = readonly SqlScalar[];

const DEFAULT_CHUNK_SIZE = 500;

function validate(table: string, columns: readonly string[], rows: readonly BatchRow[], chunkSize: number): void {
  quoteIdentifier(table);
  if (columns.length === 0) throw new InvalidArgumentError('batch insert needs at least one column');
  const seen = new Set<string>();
  for (const c of columns) {
    quoteIdentifier(c);
    if (seen.has(c)) throw new InvalidArgumentError(`column ${c} is listed twice`);
    seen.add(c);
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new InvalidArgumentError(
        `row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${columns.length}`,
      );
    }
  });
}

async function run(
  db: Queryable,
  prefix: string,
  suffix: string,
  width: number,
  rows: readonly BatchRow[],
  chunkSize: number,
): Promise<number> {
  const tuple = `(${new Array<string>(width).fill('?').join(',')})`;
  let affected = 0;
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    const sql = `${prefix} VALUES ${new Array<string>(chunk.length).fill(tuple).join(',')}${suffix}`;
    const res = await db.execute(sql, chunk.flat());
    affected += res.affectedRows;
  }
  return affected;
}

/**
 * `INSERT INTO table (columns) VALUES (...),(...)` in chunks. Returns the summed
 * affectedRows. A duplicate key fails the chunk with ConflictError (earlier chunks
 * stay unless you run this inside db.transaction).
 */
export async function batchInsert(
  db: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly BatchRow[],
  opts: BatchInsertOptions = {},
): Promise<number> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validate(table, columns, rows, chunkSize);
  if (rows.length === 0) return 0;
  const prefix = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(',')})`;
  return run(db, prefix, '', columns.length, rows, chunkSize);
}

/**
 * `INSERT ... VALUES (...),(...) ON DUPLICATE KEY UPDATE col=VALUES(col)` in chunks.
 * Returns the summed affectedRows as MariaDB counts them: 1 per inserted row,
 * 2 per updated row, 1 per row that matched but was unchanged.
 */
export async function batchUpsert(
  db: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly BatchRow[],
  opts: BatchUpsertOptions = {},
): Promise<number> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validate(table, columns, rows, chunkSize);
  const updateColumns = opts.updateColumns ?? columns;
  if (updateColumns.length === 0) {
    throw new InvalidArgumentError('updateColumns is empty; use batchInsert, or INSERT IGNORE semantics explicitly');
  }
  for (const c of updateColumns) {
    quoteIdentifier(c);
    if (!columns.includes(c)) throw new InvalidArgumentError(`update column ${c} is not among the inserted columns`);
  }
  if (rows.length === 0) return 0;
  const prefix = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(',')})`;
  const suffix = ` ON DUPLICATE KEY UPDATE ${updateColumns
    .map((c) => `${quoteIdentifier(c)}=VALUES(${quoteIdentifier(c)})`)
    .join(',')}`;
  return run(db, prefix, suffix, columns.length, rows, chunkSize);
}

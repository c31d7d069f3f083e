/**
 * Drift check for the DECIMAL column declarations services validate input against
 * (domain/decimal-column.ts): compares them with INFORMATION_SCHEMA of a migrated database.
 */
import type { DecimalColumn } from '../domain/decimal-column';
import type { Queryable } from './pool';

interface SchemaColumn {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  NUMERIC_PRECISION: number | string | null;
  NUMERIC_SCALE: number | string | null;
}

/**
 * Problems (empty when none) between `declared` and the current database: a declared column that
 * is missing or has another type, precision or scale, and a DECIMAL column of a declared table
 * that is not declared (so a new column in a migration must be declared too).
 */
export async function decimalColumnMismatches(db: Queryable, declared: readonly DecimalColumn[]): Promise<string[]> {
  const tables = [...new Set(declared.map((c) => c.table))];
  if (tables.length === 0) return [];
  const rows = await db.query<SchemaColumn>(
    `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE
       FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
    [tables],
  );
  const actual = new Map(rows.map((r) => [`${r.TABLE_NAME}.${r.COLUMN_NAME}`, r]));
  const problems: string[] = [];
  const seenTables = new Set(rows.map((r) => r.TABLE_NAME));
  for (const t of tables) if (!seenTables.has(t)) problems.push(`table ${t} does not exist`);
  const declaredKeys = new Set<string>();
  for (const c of declared) {
    const key = `${c.table}.${c.column}`;
    declaredKeys.add(key);
    const a = actual.get(key);
    if (!a) {
      if (seenTables.has(c.table)) problems.push(`${key} is declared but the table has no such column`);
      continue;
    }
    const got = `${a.DATA_TYPE.toUpperCase()}(${String(a.NUMERIC_PRECISION)},${String(a.NUMERIC_SCALE)})`;
    const want = `DECIMAL(${c.precision},${c.scale})`;
    if (got !== want) problems.push(`${key} is declared ${want} but the database has ${got}`);
  }
  for (const a of rows) {
    const key = `${a.TABLE_NAME}.${a.COLUMN_NAME}`;
    if (a.DATA_TYPE.toLowerCase() === 'decimal' && !declaredKeys.has(key)) {
      problems.push(`${key} is DECIMAL(${String(a.NUMERIC_PRECISION)},${String(a.NUMERIC_SCALE)}) in the database but not declared`);
    }
  }
  return problems;
}

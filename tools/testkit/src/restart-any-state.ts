/**
 * For restart-from-any-state tests: a throw-away migrated database filled by the test with rows at
 * the limits of their columns, and the service under test started (as a real process) on it.
 *
 *   const rig = restartAnyStateRig();
 *   it('comes up ready whatever its tables hold', async () => {
 *     await rig.insert('orders', { id: 'x', qty: COLUMN_LIMITS.MAX_MONEY });
 *     const svc = await rig.run(startService('execution', { env: { MYSQL_URL: rig.tdb.url } }));
 *     ...
 *   });
 *
 * Registers its own beforeAll (creates the database) and afterAll (kills a service the test left
 * running, drops the database): call it at the top level of a test file.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, type Database } from '@cte/shared';
import type { RunningService } from './service-process';
import { createTestDatabase, type TestDatabase } from './test-database';

/** Values at the limits of the columns: DECIMAL(36,18) largest and smallest positive, BIGINT largest. */
export const COLUMN_LIMITS = {
  MAX_MONEY: '999999999999999999.999999999999999999',
  MIN_MONEY: '0.000000000000000001',
  BIGINT_MAX: '9223372036854775807',
} as const;

/** A stored row as the test writes it: column name to value (NULL as null). */
export type StoredRow = Record<string, string | number | null>;

/** INSERT of one row, its columns the row's keys. */
export async function insertRow(db: Database, table: string, row: StoredRow): Promise<void> {
  const cols = Object.keys(row);
  await db.execute(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c] ?? null));
}

export interface RestartAnyStateRig {
  /** Random hex for names this test file owns (bus namespace, API key). */
  readonly tag: string;
  /** The throw-away database (from beforeAll on). */
  readonly tdb: TestDatabase;
  /** Inserts one row into the throw-away database (a function property: it may be destructured). */
  readonly insert: (table: string, row: StoredRow) => Promise<void>;
  /** Waits for the service being started and returns it, killed at the end if the test leaves it running. */
  run<S extends RunningService>(starting: Promise<S>): Promise<S>;
}

export function restartAnyStateRig(): RestartAnyStateRig {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let tdb: TestDatabase | undefined;
  let svc: RunningService | undefined;

  beforeAll(async () => {
    tdb = await createTestDatabase(logger);
  }, 30_000);

  afterAll(async () => {
    if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
    await tdb?.drop();
  });

  const rig: RestartAnyStateRig = {
    tag: randomBytes(4).toString('hex'),
    get tdb(): TestDatabase {
      if (!tdb) throw new Error('restartAnyStateRig: the test database exists from beforeAll on');
      return tdb;
    },
    insert: (table, row) => insertRow(rig.tdb.db, table, row),
    async run(starting) {
      const started = await starting;
      svc = started;
      return started;
    },
  };
  return rig;
}

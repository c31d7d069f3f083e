/**
 * Test helper: a throw-away, fully migrated database per test file, so parallel
 * jest workers never share tables. Tests run against the real MariaDB.
 *
 *   let t: TestDatabase;
 *   beforeAll(async () => { t = await createTestDatabase(); });
 *   afterAll(() => t.drop());
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { createLogger, createPool, InvalidArgumentError, migrate, parseMysqlUrl, quoteDatabaseName, withDatabase, type Database, type Logger } from '@cte/shared';

export const DEFAULT_TEST_MYSQL_URL = 'mysql://root@127.0.0.1:3306/crypto_trading';
const TEST_DB_PREFIX = 'cte_test_';

export interface TestDatabase {
  /** URL of the throw-away database (other parts from MYSQL_URL). */
  url: string;
  /** Its name, `cte_test_<random>`. */
  name: string;
  db: Database;
  /** Closes the pool and drops the database. Idempotent. */
  drop(): Promise<void>;
}

/** `MYSQL_URL` (or the local default) pointed at a fresh random `cte_test_*` name. Does not create it. */
export function randomTestDatabaseUrl(baseUrl: string = process.env.MYSQL_URL ?? DEFAULT_TEST_MYSQL_URL): string {
  return withDatabase(baseUrl, `${TEST_DB_PREFIX}${randomBytes(6).toString('hex')}`);
}

/** Drops a `cte_test_*` database; refuses any other name. */
export async function dropTestDatabase(url: string): Promise<void> {
  const parts = parseMysqlUrl(url);
  if (!parts.database?.startsWith(TEST_DB_PREFIX)) {
    throw new InvalidArgumentError(`refusing to drop ${parts.database ?? '(none)'}: not a ${TEST_DB_PREFIX}* database`);
  }
  const conn = await createConnection({
    host: parts.host,
    port: parts.port,
    user: parts.user,
    password: parts.password,
    connectTimeout: 5000,
  });
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteDatabaseName(parts.database)}`);
  } finally {
    await conn.end();
  }
}

/** Creates `cte_test_<random>`, applies every migration (or those in `dir`), and opens a pool on it. */
export async function createTestDatabase(logger?: Logger, opts: { dir?: string } = {}): Promise<TestDatabase> {
  const log = logger ?? createLogger({ service: 'test', level: 'silent' });
  const url = randomTestDatabaseUrl();
  const name = parseMysqlUrl(url).database as string;
  try {
    await migrate({ url, logger: log, dir: opts.dir });
  } catch (err) {
    await dropTestDatabase(url).catch(() => undefined);
    throw err;
  }
  const db = createPool({ url, logger: log, connectionLimit: 5 });
  let dropped: Promise<void> | undefined;
  return {
    url,
    name,
    db,
    drop(): Promise<void> {
      dropped ??= db.close().then(() => dropTestDatabase(url));
      return dropped;
    },
  };
}

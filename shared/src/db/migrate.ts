/**
 * Migration runner over numbered SQL files `NNN_name.sql` (DESIGN.md principle 6).
 *
 * - Creates the database named in the URL if it does not exist (utf8mb4).
 * - Records each applied file in `schema_migrations` with its sha256 checksum,
 *   right after the file runs (MariaDB DDL auto-commits, so there is no
 *   transaction to wait for).
 * - Refuses to run when an applied file changed: fix forward with a new file.
 * - Safe to run from several processes at once (a Kubernetes Job plus a
 *   developer, two test workers...): a named lock (GET_LOCK) scoped to the
 *   database serialises runners, and applied versions are re-read after it is held.
 *
 * Files may hold several statements separated by `;` (no DELIMITER support).
 * Write them idempotently (CREATE TABLE IF NOT EXISTS, ...) where you can: a
 * crash between running a file and recording it re-runs the file.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../errors';
import { redactUrl, type Logger } from '../logger';
import { mapDbError } from './errors';
import { parseMysqlUrl, quoteDatabaseName, type MysqlUrlParts } from './url';

/** shared/migrations, from shared/src/db (ts-jest, tsx) or shared/dist/db (built). */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

export interface MigrationFile {
  version: number;
  /** File name without `.sql`, e.g. `001_crypto_prices`. */
  id: string;
  name: string;
  file: string;
  sql: string;
  /** sha256 hex of the file with line endings normalised to \n. */
  checksum: string;
}

export interface MigrateOptions {
  url: string;
  logger: Logger;
  /** Directory of NNN_name.sql files; default DEFAULT_MIGRATIONS_DIR. */
  dir?: string;
  /** Seconds to wait for another runner's lock (default 60). */
  lockTimeoutSec?: number;
  /** Bound on establishing each connection, in ms (default 10000). */
  connectTimeoutMs?: number;
}

export interface MigrateResult {
  /** Ids (`001_crypto_prices`) applied by this call, in order. */
  applied: string[];
  /** How many migrations were already applied. */
  skipped: number;
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Reads and orders the migration files of `dir`. Non-.sql files are ignored; misnamed .sql files are an error. */
export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read migrations directory ${dir}: ${(err as Error).message}`);
  }
  const files: MigrationFile[] = [];
  const byVersion = new Map<number, string>();
  for (const file of names.sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(file);
    if (!m) throw new InvalidArgumentError(`migration file ${file} must be named NNN_name.sql`);
    const version = Number(m[1]);
    const other = byVersion.get(version);
    if (other) throw new InvalidArgumentError(`migrations ${other} and ${file} share version ${version}`);
    byVersion.set(version, file);
    const sql = await fs.readFile(path.join(dir, file), 'utf8');
    files.push({ version, id: file.slice(0, -4), name: m[2]!, file, sql, checksum: migrationChecksum(sql) });
  }
  return files.sort((a, b) => a.version - b.version);
}

/** MySQL limits lock names to 64 characters. */
function lockName(database: string): string {
  const name = `cte_schema_migrations:${database}`;
  return name.length <= 64 ? name : `cte_schema_migrations:${migrationChecksum(database).slice(0, 40)}`;
}

async function connect(parts: MysqlUrlParts, database: string | undefined, multipleStatements: boolean, connectTimeout: number): Promise<Connection> {
  try {
    const conn = await createConnection({
      host: parts.host,
      port: parts.port,
      user: parts.user,
      password: parts.password,
      database,
      multipleStatements,
      connectTimeout,
      charset: 'UTF8MB4_UNICODE_CI',
      timezone: 'Z',
      dateStrings: true,
      decimalNumbers: false,
      supportBigNumbers: true,
    });
    await conn.query("SET time_zone = '+00:00'");
    return conn;
  } catch (err) {
    throw mapDbError(err);
  }
}

async function ensureDatabase(conn: Connection, database: string, logger: Logger): Promise<void> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
    database,
  ]);
  if (rows.length > 0) return;
  // IF NOT EXISTS: two runners may both see it missing.
  await conn.query(
    `CREATE DATABASE IF NOT EXISTS ${quoteDatabaseName(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  logger.info({ database }, 'created database');
}

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at BIGINT NOT NULL COMMENT 'epoch ms'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

interface AppliedRow extends RowDataPacket {
  version: number;
  name: string;
  checksum: string;
}

async function safeEnd(conn: Connection | undefined): Promise<void> {
  if (!conn) return;
  try {
    await conn.end();
  } catch {
    conn.destroy();
  }
}

export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const parts = parseMysqlUrl(opts.url);
  const database = parts.database;
  if (!database) throw new InvalidArgumentError(`MySQL URL names no database: ${redactUrl(opts.url)}`);
  const dir = opts.dir ?? DEFAULT_MIGRATIONS_DIR;
  const logger = opts.logger.child({ component: 'migrate', database });
  const connectTimeout = opts.connectTimeoutMs ?? 10_000;
  const lockTimeout = opts.lockTimeoutSec ?? 60;

  // Read files first: a bad file name fails before touching the database.
  const files = await loadMigrations(dir);

  let lockConn: Connection | undefined;
  let runConn: Connection | undefined;
  let locked = false;
  const lock = lockName(database);
  try {
    // Dedicated connection holding the lock; no database selected, so it can create it.
    lockConn = await connect(parts, undefined, false, connectTimeout);
    await ensureDatabase(lockConn, database, logger);

    const [lockRows] = await lockConn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lock, lockTimeout]);
    if (lockRows[0]?.got !== 1) {
      throw new UnavailableError(`timed out after ${lockTimeout}s waiting for migration lock ${lock} (another runner?)`);
    }
    locked = true;

    runConn = await connect(parts, database, true, connectTimeout);
    await runConn.query(CREATE_SCHEMA_MIGRATIONS);

    // Re-read under the lock: another runner may have just finished.
    const [appliedRows] = await runConn.query<AppliedRow[]>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(appliedRows.map((r) => [Number(r.version), r]));
    const fileVersions = new Set(files.map((f) => f.version));

    for (const f of files) {
      const row = applied.get(f.version);
      if (row && row.checksum !== f.checksum) {
        throw new FailedPreconditionError(
          `migration ${f.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
            `${f.checksum.slice(0, 12)}… on disk); never edit an applied migration, add a new one`,
          { file: f.file, version: f.version },
        );
      }
    }
    for (const row of appliedRows) {
      if (!fileVersions.has(Number(row.version))) {
        logger.warn({ version: row.version, name: row.name }, 'applied migration has no file here (database is newer than this code?)');
      }
    }

    const pending = files.filter((f) => !applied.has(f.version));
    const done: string[] = [];
    for (const f of pending) {
      const started = Date.now();
      logger.info({ migration: f.id }, 'applying migration');
      if (f.sql.trim() !== '') {
        try {
          await runConn.query(f.sql);
        } catch (err) {
          const mapped = mapDbError(err);
          if (mapped instanceof UnavailableError) throw mapped;
          const msg = (err as { sqlMessage?: string }).sqlMessage ?? (err as Error).message;
          const e = new FailedPreconditionError(`migration ${f.file} failed: ${msg}`, {
            file: f.file,
            code: (err as { code?: unknown }).code,
          });
          e.cause = err;
          throw e;
        }
      }
      await runConn.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
        f.version,
        f.name,
        f.checksum,
        Date.now(),
      ]);
      done.push(f.id);
      logger.info({ migration: f.id, ms: Date.now() - started }, 'applied migration');
    }
    if (done.length === 0) logger.info({ skipped: files.length - pending.length }, 'schema up to date');
    return { applied: done, skipped: files.length - pending.length };
  } catch (err) {
    throw mapDbError(err);
  } finally {
    await safeEnd(runConn);
    if (locked && lockConn) {
      try {
        await lockConn.query('SELECT RELEASE_LOCK(?)', [lock]);
      } catch (err) {
        // Closing the session below releases it anyway.
        logger.warn({ err }, 'could not release migration lock');
      }
    }
    await safeEnd(lockConn);
  }
}

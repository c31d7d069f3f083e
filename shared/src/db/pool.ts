/**
 * MySQL/MariaDB access for services: a small wrapper over a mysql2 pool.
 *
 * Conventions (DESIGN.md principle 5, "money is exact"):
 * - DECIMAL columns come back as strings ('0.000000000000000001' survives).
 * - BIGINT columns come back as numbers when they fit in 2^53 (epoch ms do), as strings otherwise.
 * - DATETIME/TIMESTAMP come back as strings in UTC (session time_zone is +00:00). Prefer BIGINT epoch ms.
 * - Parameters are escaped client-side (text protocol), so a statement may carry any number of them.
 *   Decimal (decimal.js) parameters are sent as plain decimal strings, never in exponent form.
 */
import { describeValue } from '../describe';
import Decimal from 'decimal.js';
import { createPool as createMysqlPool, type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { InvalidArgumentError, UnavailableError } from '../errors';
import { redactUrl, type Logger } from '../logger';
import { numberToDecimalString } from '../domain/decimal';
import { isRetryableTransactionError, mapDbError } from './errors';
import { parseMysqlUrl } from './url';

/** Something with a plain decimal rendering, e.g. a decimal.js Decimal. */
export interface DecimalLike {
  toFixed(): string;
}

/** A single value bound to a `?` placeholder. */
export type SqlScalar = string | number | bigint | boolean | Date | Buffer | DecimalLike | null | undefined;
/** A `?` parameter: a scalar, or a list (expands to `a, b, c`, e.g. for `IN (?)`). */
export type SqlParam = SqlScalar | readonly SqlScalar[];

/** One result row: column name to value. Override with your own row type via the generic of `query`. */
export type DbRow = Record<string, unknown>;

export interface ExecResult {
  /** Rows inserted/updated/deleted. For upserts: 1 per insert, 2 per changed update, 1 per unchanged row (FOUND_ROWS). */
  affectedRows: number;
  /** AUTO_INCREMENT id of the first inserted row, 0 if none. */
  insertId: number;
  warningStatus: number;
}

/** What both the pool and a transaction can run. */
export interface Queryable {
  /** Runs a statement that returns rows (SELECT, SHOW, ...). */
  query<T extends object = DbRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Runs a statement that changes data (INSERT, UPDATE, DELETE, DDL). */
  execute(sql: string, params?: readonly SqlParam[]): Promise<ExecResult>;
}

export type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

export interface TransactionOptions {
  /**
   * How many times to re-run the whole transaction after ER_LOCK_DEADLOCK or
   * ER_LOCK_WAIT_TIMEOUT (default 3). The callback must then be safe to re-run:
   * no side effects outside the database.
   */
  maxRetries?: number;
  isolationLevel?: IsolationLevel;
}

export interface Database extends Queryable {
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection. Rolls back and rethrows if
   * `fn` throws; retries on deadlock (see TransactionOptions). The `tx` handle is
   * unusable once the transaction is over.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Resolves when the database answers `SELECT 1`; throws UnavailableError otherwise, within about `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Ends the pool. Idempotent. */
  close(): Promise<void>;
}

export interface CreatePoolOptions {
  /** mysql://user:password@host:port/database */
  url: string;
  logger: Logger;
  /** Default 10. */
  connectionLimit?: number;
  /** Bound on establishing a connection, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Default timeout for ping(), in ms (default 3000). */
  pingTimeoutMs?: number;
}

const DEFAULT_MAX_RETRIES = 3;
const ISOLATION_LEVELS = new Set<string>(['READ UNCOMMITTED', 'READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE']);

/** Makes a parameter safe for the text protocol: decimals and exponent-form numbers become plain decimal strings. */
function toSqlValue(v: SqlScalar): SqlScalar {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`SQL parameter must be finite, got ${v}`);
    const s = String(v);
    return s.includes('e') ? numberToDecimalString(v) : v;
  }
  if (typeof v === 'bigint') return v.toString();
  if (Decimal.isDecimal(v)) {
    const d = v;
    if (!d.isFinite()) throw new InvalidArgumentError(`SQL parameter must be finite, got ${d.toString()}`);
    return d.toFixed();
  }
  return v;
}

function normalizeParams(params: readonly SqlParam[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (Array.isArray(p) ? (p as readonly SqlScalar[]).map(toSqlValue) : toSqlValue(p as SqlScalar)));
}

type Runner = Pick<Pool, 'query'> | Pick<PoolConnection, 'query'>;

async function runQuery<T extends object>(runner: Runner, sql: string, params?: readonly SqlParam[]): Promise<T[]> {
  let rows: unknown;
  try {
    [rows] = await runner.query(sql, normalizeParams(params));
  } catch (err) {
    throw mapDbError(err);
  }
  if (!Array.isArray(rows)) {
    throw new InvalidArgumentError('query() is for statements that return rows; use execute() for writes');
  }
  return rows as T[];
}

async function runExecute(runner: Runner, sql: string, params?: readonly SqlParam[]): Promise<ExecResult> {
  let result: unknown;
  try {
    [result] = await runner.query(sql, normalizeParams(params));
  } catch (err) {
    throw mapDbError(err);
  }
  if (Array.isArray(result)) {
    throw new InvalidArgumentError('execute() is for statements that change data; use query() for reads');
  }
  const h = result as ResultSetHeader;
  return { affectedRows: h.affectedRows, insertId: h.insertId, warningStatus: h.warningStatus };
}

/** The handle passed to a transaction callback; refuses use after COMMIT/ROLLBACK. */
class TransactionHandle implements Queryable {
  private open = true;
  constructor(private readonly conn: PoolConnection) {}

  close(): void {
    this.open = false;
  }

  private check(): void {
    if (!this.open) throw new Error('transaction handle used after the transaction ended');
  }

  async query<T extends object = DbRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    this.check();
    return runQuery<T>(this.conn, sql, params);
  }

  async execute(sql: string, params?: readonly SqlParam[]): Promise<ExecResult> {
    this.check();
    return runExecute(this.conn, sql, params);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createPool(opts: CreatePoolOptions): Database {
  const parts = parseMysqlUrl(opts.url);
  const logger = opts.logger.child({ component: 'mysql' });
  const connectTimeout = opts.connectTimeoutMs ?? 5000;
  const defaultPingTimeout = opts.pingTimeoutMs ?? 3000;

  const pool: Pool = createMysqlPool({
    host: parts.host,
    port: parts.port,
    user: parts.user,
    password: parts.password,
    database: parts.database,
    connectionLimit: opts.connectionLimit ?? 10,
    waitForConnections: true,
    queueLimit: 0,
    maxIdle: opts.connectionLimit ?? 10,
    idleTimeout: 60_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    connectTimeout,
    charset: 'UTF8MB4_UNICODE_CI',
    timezone: 'Z',
    dateStrings: true,
    decimalNumbers: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
  });

  // Every new connection runs in UTC, so NOW()/TIMESTAMP agree with epoch ms everywhere.
  // The core pool emits its core (callback-style) connection; the command is queued before any caller's.
  pool.pool.on('connection', (conn) => {
    conn.query("SET time_zone = '+00:00'", (err: Error | null) => {
      if (err) logger.warn({ err }, 'could not set session time_zone');
    });
  });

  logger.info({ url: redactUrl(opts.url), connectionLimit: opts.connectionLimit ?? 10 }, 'mysql pool created');

  let closed: Promise<void> | undefined;

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>, topts: TransactionOptions = {}): Promise<T> {
    const maxRetries = topts.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new InvalidArgumentError(`maxRetries must be a non-negative integer, got ${maxRetries}`);
    }
    if (topts.isolationLevel !== undefined && !ISOLATION_LEVELS.has(topts.isolationLevel)) {
      throw new InvalidArgumentError(`unknown isolation level ${describeValue(topts.isolationLevel)}`);
    }
    for (let attempt = 0; ; attempt++) {
      let conn: PoolConnection;
      try {
        conn = await pool.getConnection();
      } catch (err) {
        throw mapDbError(err);
      }
      const tx = new TransactionHandle(conn);
      let broken = false;
      try {
        if (topts.isolationLevel) await conn.query(`SET TRANSACTION ISOLATION LEVEL ${topts.isolationLevel}`);
        await conn.query('BEGIN');
        const result = await fn(tx);
        tx.close();
        await conn.query('COMMIT');
        return result;
      } catch (err) {
        tx.close();
        try {
          await conn.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = true;
          logger.warn({ err: rollbackErr }, 'rollback failed; discarding connection');
        }
        const raw = (err as { cause?: unknown } | null)?.cause ?? err;
        if ((isRetryableTransactionError(err) || isRetryableTransactionError(raw)) && attempt < maxRetries) {
          const delay = Math.round(20 * 2 ** attempt * (0.5 + Math.random()));
          logger.warn({ attempt: attempt + 1, maxRetries, delayMs: delay, code: (raw as { code?: string }).code }, 'transaction conflict; retrying');
          await sleep(delay);
          continue;
        }
        throw mapDbError(err);
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    }
  }

  async function ping(timeoutMs = defaultPingTimeout): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`database did not answer within ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      await Promise.race([pool.query({ sql: 'SELECT 1', timeout: timeoutMs }), timeout]);
    } catch (err) {
      const mapped = mapDbError(err);
      if (mapped instanceof UnavailableError) throw mapped;
      const e = new UnavailableError('database ping failed', {
        code: (err as { code?: unknown }).code ?? 'UNKNOWN',
      });
      e.cause = err;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    query: <T extends object = DbRow>(sql: string, params?: readonly SqlParam[]) => runQuery<T>(pool, sql, params),
    execute: (sql: string, params?: readonly SqlParam[]) => runExecute(pool, sql, params),
    transaction,
    ping,
    close(): Promise<void> {
      closed ??= pool.end().then(
        () => logger.debug('mysql pool closed'),
        (err: unknown) => logger.warn({ err }, 'error while closing mysql pool'),
      );
      return closed;
    },
  };
}

import { ConflictError, DomainError, UnavailableError } from '../errors';

/** The fields mysql2 puts on the errors it raises (server errors and socket errors alike). */
export interface MysqlErrorLike {
  code: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  fatal?: boolean;
  message: string;
}

/** Duck-typed on purpose: socket errors come from Node's realm, so `instanceof Error` fails under jest's vm. */
export function isMysqlError(err: unknown): err is MysqlErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}

function messageOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message
    : '';
}

/** Errors meaning "the database cannot be reached or refused us", i.e. the dependency is down. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
]);

/** Codes for which a whole transaction may be retried from the start. */
const RETRYABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export function isDbConnectionError(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  if (isMysqlError(err)) return CONNECTION_CODES.has(err.code) || err.fatal === true;
  // mysql2 raises plain Errors (no code) for a closed pool.
  return /Pool is closed|connection is in closed state/i.test(messageOf(err));
}

/** True for ER_DUP_ENTRY, raw from mysql2 or already mapped to ConflictError by this kit. */
export function isDuplicateKeyError(err: unknown): boolean {
  if (err instanceof ConflictError) return err.details?.code === 'ER_DUP_ENTRY';
  return isMysqlError(err) && err.code === 'ER_DUP_ENTRY';
}

/** True for a deadlock or lock-wait timeout: the transaction can be retried. */
export function isRetryableTransactionError(err: unknown): boolean {
  return isMysqlError(err) && RETRYABLE_CODES.has(err.code);
}

/**
 * Maps a mysql2 error to a DomainError where there is a meaningful one:
 * connection problems become UnavailableError, duplicate keys ConflictError.
 * Anything else is returned unchanged. The original is kept as `cause`.
 * Messages name the error code but never the URL or credentials.
 */
export function mapDbError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  if (isDuplicateKeyError(err)) {
    const e = err as MysqlErrorLike;
    const mapped = new ConflictError(`duplicate key: ${e.sqlMessage ?? e.message}`, {
      code: e.code,
      errno: e.errno,
    });
    mapped.cause = err;
    return mapped;
  }
  if (isDbConnectionError(err)) {
    const code = isMysqlError(err) ? err.code : 'POOL_CLOSED';
    const detail = isMysqlError(err) && err.sqlMessage ? `: ${err.sqlMessage}` : '';
    const mapped = new UnavailableError(`database unavailable (${code})${detail}`, { code });
    mapped.cause = err;
    return mapped;
  }
  return err;
}

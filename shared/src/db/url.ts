import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';
import { redactUrl } from '../logger';

/** The parts of a `mysql://user:pass@host:port/database` URL that the kit uses. */
export interface MysqlUrlParts {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  /** Undefined when the URL has no path. */
  database: string | undefined;
}

/** Database names the kit will create, drop or `USE`: kept to plain identifiers so they never need quoting tricks. */
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Parses a `mysql://` (or `mariadb://`) URL. Query parameters are ignored. Throws
 * InvalidArgumentError with the password redacted.
 */
export function parseMysqlUrl(url: string): MysqlUrlParts {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`not a valid MySQL URL: ${redactUrl(url)}`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new InvalidArgumentError(`MySQL URL must start with mysql://, got ${redactUrl(url)}`);
  }
  if (!u.hostname) throw new InvalidArgumentError(`MySQL URL has no host: ${redactUrl(url)}`);
  const port = u.port === '' ? 3306 : Number(u.port);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path !== '' && !DATABASE_NAME.test(path)) {
    throw new InvalidArgumentError(`MySQL database name must match ${DATABASE_NAME}, got ${describeValue(path)}`);
  }
  return {
    // URL keeps IPv6 hosts bracketed; the socket layer wants them bare.
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: u.username === '' ? 'root' : decodeURIComponent(u.username),
    password: u.password === '' ? undefined : decodeURIComponent(u.password),
    database: path === '' ? undefined : path,
  };
}

/** Returns `url` with its database (path) replaced by `database`; everything else is kept. */
export function withDatabase(url: string, database: string): string {
  if (!DATABASE_NAME.test(database)) {
    throw new InvalidArgumentError(`MySQL database name must match ${DATABASE_NAME}, got ${describeValue(database)}`);
  }
  parseMysqlUrl(url); // validates
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Backtick-quotes a database name already validated by parseMysqlUrl/withDatabase. */
export function quoteDatabaseName(name: string): string {
  if (!DATABASE_NAME.test(name)) throw new InvalidArgumentError(`invalid database name ${describeValue(name)}`);
  return `\`${name}\``;
}

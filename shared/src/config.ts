/**
 * Typed, fail-fast configuration from the environment. Every reader records
 * problems instead of throwing at the first one, so a bad deployment is told
 * about all of its bad variables at once, each by name.
 */
import { describeValue } from './describe';
import { SERVICES, SHUTDOWN_TIMING, type ServiceName } from './services';
import { parseSymbol, type Symbol } from './domain/symbol';
import { DEFAULT_TRADABLE_SYMBOLS, TRADABLE_SYMBOLS_ENV, TradableSymbols } from './domain/tradable-symbols';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

interface Common<T> {
  default?: T;
  /** When true and the variable is unset, it is a problem even if a default exists. */
  required?: boolean;
}

export class EnvReader {
  private readonly problems: string[] = [];
  /** Names read, in order: used to document and to print the effective config. */
  readonly names: string[] = [];

  constructor(private readonly source: Source = process.env) {}

  private raw(name: string): string | undefined {
    this.names.push(name);
    const v = this.source[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  private fail<T>(name: string, message: string, fallback: T): T {
    this.problems.push(`${name}: ${message}`);
    return fallback;
  }

  string(name: string, opts: Common<string> & { minLength?: number; pattern?: RegExp } = {}): string {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', '');
      return opts.default;
    }
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      return this.fail(name, `must be at least ${opts.minLength} characters`, '');
    }
    if (opts.pattern && !opts.pattern.test(v)) return this.fail(name, `must match ${opts.pattern}`, '');
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, opts: Common<number> & { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', 0);
      return opts.default;
    }
    if (!/^-?\d+$/.test(v)) return this.fail(name, `must be an integer, got ${describeValue(v)}`, 0);
    const n = Number(v);
    if (opts.min !== undefined && n < opts.min) return this.fail(name, `must be >= ${opts.min}, got ${n}`, 0);
    if (opts.max !== undefined && n > opts.max) return this.fail(name, `must be <= ${opts.max}, got ${n}`, 0);
    return n;
  }

  number(name: string, opts: Common<number> & { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', 0);
      return opts.default;
    }
    const n = Number(v);
    if (!Number.isFinite(n)) return this.fail(name, `must be a number, got ${describeValue(v)}`, 0);
    if (opts.min !== undefined && n < opts.min) return this.fail(name, `must be >= ${opts.min}, got ${n}`, 0);
    if (opts.max !== undefined && n > opts.max) return this.fail(name, `must be <= ${opts.max}, got ${n}`, 0);
    return n;
  }

  bool(name: string, opts: Common<boolean> = {}): boolean {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', false);
      return opts.default;
    }
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    return this.fail(name, `must be true or false, got ${describeValue(v)}`, false);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], opts: Common<T> = {}): T {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', allowed[0] as T);
      return opts.default;
    }
    if (!(allowed as readonly string[]).includes(v)) {
      return this.fail(name, `must be one of ${allowed.join(', ')}, got ${describeValue(v)}`, allowed[0] as T);
    }
    return v as T;
  }

  url(name: string, opts: Common<string> & { protocols: string[] }): string {
    const v = this.raw(name) ?? opts.default;
    if (v === undefined) return this.fail(name, 'is required but not set', '');
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return this.fail(name, 'must be a URL', '');
    }
    if (!opts.protocols.includes(u.protocol)) {
      return this.fail(name, `must use ${opts.protocols.join(' or ')}, got ${u.protocol}`, '');
    }
    return v;
  }

  /** Comma-separated list, each item validated by `parse` (which throws with a message). */
  list<T>(name: string, parse: (item: string) => T, opts: Common<T[]> & { minItems?: number } = {}): T[] {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required || opts.default === undefined) return this.fail(name, 'is required but not set', []);
      return opts.default;
    }
    const out: T[] = [];
    for (const item of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      try {
        out.push(parse(item));
      } catch (err) {
        return this.fail(name, `bad item ${describeValue(item)}: ${(err as Error).message}`, []);
      }
    }
    if (opts.minItems !== undefined && out.length < opts.minItems) {
      return this.fail(name, `needs at least ${opts.minItems} item(s)`, []);
    }
    return out;
  }

  /** Adds a cross-field problem. */
  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }

  /** Throws ConfigError listing every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}

/** Configuration every service has. */
export interface BaseConfig {
  service: ServiceName;
  version: string;
  httpPort: number;
  grpcPort: number;
  mysqlUrl: string;
  redisUrl: string;
  /** The key this process sends to its peers (TRADING_API_KEY). */
  apiKey: string;
  /**
   * Every key this process accepts: `apiKey` first, then TRADING_API_KEYS_ACCEPTED (keys of a
   * rotation in progress). Pass this, not `apiKey`, to createHttpApp and createGrpcServer.
   */
  apiKeys: readonly string[];
  logLevel: string;
  shutdownGraceMs: number;
  /**
   * How long the process keeps serving after readiness turns false at shutdown, so endpoint
   * removal reaches every load balancer and client before the listeners close.
   */
  shutdownDrainDelayMs: number;
  httpBodyLimit: string;
  /** Prefix of every bus channel and stream name; empty in production, unique per test run. */
  busNamespace: string;
  /** The fleet's tradable symbols (TRADABLE_SYMBOLS); every symbol a request names is checked against it. */
  tradableSymbols: TradableSymbols;
}

export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/crypto_trading';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `price-stream` → `PRICE_STREAM`. */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** Most symbols TRADABLE_SYMBOLS may list (one env var; the fleet's largest deployments follow ~1,000). */
export const MAX_TRADABLE_SYMBOLS = 10_000;

/** TRADABLE_SYMBOLS: comma-separated BASE/QUOTE symbols, default what the bundled replay data trades. */
export function readTradableSymbols(env: EnvReader): TradableSymbols {
  const list = env.list(TRADABLE_SYMBOLS_ENV, parseSymbol, { default: [...DEFAULT_TRADABLE_SYMBOLS], minItems: 1 });
  if (list.length > MAX_TRADABLE_SYMBOLS) env.problem(TRADABLE_SYMBOLS_ENV, `lists ${list.length} symbols; at most ${MAX_TRADABLE_SYMBOLS}`);
  return new TradableSymbols(list.length > 0 ? list : DEFAULT_TRADABLE_SYMBOLS);
}

export const API_KEY_ENV = 'TRADING_API_KEY';
export const ACCEPTED_API_KEYS_ENV = 'TRADING_API_KEYS_ACCEPTED';
export const MIN_API_KEY_LENGTH = 16;
export const SHUTDOWN_DRAIN_DELAY_ENV = 'SHUTDOWN_DRAIN_DELAY_MS';

/**
 * The keys a service accepts: `current` (TRADING_API_KEY, also the one it sends) plus the
 * comma-separated TRADING_API_KEYS_ACCEPTED. Problems never quote a key, only its position.
 */
export function readAcceptedApiKeys(env: EnvReader, current: string): string[] {
  const keys = current === '' ? [] : [current];
  const raw = env.optionalString(ACCEPTED_API_KEYS_ENV);
  if (raw === undefined) return keys;
  raw.split(',').forEach((item, i) => {
    const key = item.trim();
    if (key === '') return;
    if (key.length < MIN_API_KEY_LENGTH) env.problem(ACCEPTED_API_KEYS_ENV, `key ${i + 1} must be at least ${MIN_API_KEY_LENGTH} characters`);
    else if (!keys.includes(key)) keys.push(key);
  });
  return keys;
}

/**
 * A service's own symbol list (e.g. SYMBOLS: what it follows, empty = all tradable), which must be a
 * subset of TRADABLE_SYMBOLS; each outsider is a problem naming the variable.
 */
export function readSymbolSubset(env: EnvReader, name: string, tradable: TradableSymbols): Symbol[] {
  const list = env.list(name, parseSymbol, { default: [] });
  const outside = list.filter((s) => !tradable.has(s));
  if (outside.length > 0) env.problem(name, `${outside.slice(0, 10).join(', ')} not tradable; tradable symbols are ${tradable.describe()}`);
  return list.filter((s) => tradable.has(s));
}

export function readBaseConfig(env: EnvReader, service: ServiceName, version = '0.1.0'): BaseConfig {
  const decl = SERVICES[service];
  const prefix = envPrefix(service);
  const port = { min: 1, max: 65535 };
  const apiKey = env.string(API_KEY_ENV, { required: true, minLength: MIN_API_KEY_LENGTH });
  const cfg: BaseConfig = {
    service,
    version,
    httpPort: env.int(`${prefix}_PORT`, { default: decl.httpPort, ...port }),
    grpcPort: env.int(`${prefix}_GRPC_PORT`, { default: decl.grpcPort, ...port }),
    mysqlUrl: env.url('MYSQL_URL', { default: DEFAULT_MYSQL_URL, protocols: ['mysql:'] }),
    redisUrl: env.url('REDIS_URL', { default: DEFAULT_REDIS_URL, protocols: ['redis:', 'rediss:'] }),
    apiKey,
    apiKeys: readAcceptedApiKeys(env, apiKey),
    logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, { default: 'info' }),
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: SHUTDOWN_TIMING.graceMs, min: 0, max: 600_000 }),
    shutdownDrainDelayMs: env.int(SHUTDOWN_DRAIN_DELAY_ENV, { default: SHUTDOWN_TIMING.drainDelayMs, min: 0, max: 120_000 }),
    httpBodyLimit: env.string('HTTP_BODY_LIMIT', { default: '100kb', pattern: /^\d+(b|kb|mb)$/i }),
    busNamespace: env.string('BUS_NAMESPACE', { default: '', pattern: /^[\w.:-]{0,64}$/ }),
    tradableSymbols: readTradableSymbols(env),
  };
  if (cfg.httpPort !== 0 && cfg.httpPort === cfg.grpcPort) {
    env.problem(`${prefix}_GRPC_PORT`, `must differ from ${prefix}_PORT (${cfg.httpPort})`);
  }
  return cfg;
}

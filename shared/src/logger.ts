import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'apiKey',
  'apiKeys',
  'secret',
  'password',
  'passphrase',
  'token',
  'authorization',
  '*.apiKey',
  '*.apiKeys',
  '*.secret',
  '*.password',
  '*.passphrase',
  '*.token',
  '*.authorization',
  'req.headers["x-trading-api-key"]',
  'req.headers.authorization',
  'headers["x-trading-api-key"]',
  'config.TRADING_API_KEY',
  'config.MYSQL_URL',
  'TRADING_API_KEY',
  'config.TRADING_API_KEYS_ACCEPTED',
  'TRADING_API_KEYS_ACCEPTED',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  /** For tests: where to write the JSON lines. */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: opts.service, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Removes user:password from a URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

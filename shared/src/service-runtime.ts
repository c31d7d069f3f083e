/**
 * What every service's `main.ts` starts with and ends with, written once: read the config (a bad
 * one exits 2 naming each variable), create the logger, metrics registry, readiness and lifecycle
 * (signal handlers installed), and turn a failed start into exit 1 with the reason.
 */
import { ConfigError, type BaseConfig } from './config';
import { Lifecycle } from './lifecycle';
import { createLogger, redactUrl, type Logger } from './logger';
import { createMetrics } from './metrics';
import { Quarantine } from './quarantine';
import { Readiness } from './readiness';
import type { Registry } from 'prom-client';

export interface ServiceBasics {
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  lifecycle: Lifecycle;
  /** Where the restore path puts stored rows it cannot load (see quarantine.ts). */
  quarantine: Quarantine;
}

/**
 * What the runtime reads of a config: every BaseConfig has it, and so does a service without
 * datastores outside SERVICES (the sandbox's venue emulator).
 */
export type RuntimeConfig = Pick<BaseConfig, 'logLevel' | 'shutdownGraceMs' | 'shutdownDrainDelayMs'> & {
  service: string;
  mysqlUrl?: string;
  redisUrl?: string;
};

/** Logger, registry, readiness and lifecycle for `cfg.service`; logs 'starting' with the redacted datastore URLs. */
export function createServiceBasics(cfg: RuntimeConfig, startFields: Record<string, unknown> = {}): ServiceBasics {
  const logger = createLogger({ service: cfg.service, level: cfg.logLevel });
  const datastores = cfg.mysqlUrl === undefined || cfg.redisUrl === undefined ? {} : { mysql: redactUrl(cfg.mysqlUrl), redis: redactUrl(cfg.redisUrl) };
  logger.info({ ...datastores, ...startFields }, 'starting');
  const registry = createMetrics(cfg.service);
  const readiness = new Readiness();
  const lifecycle = new Lifecycle({ logger, graceMs: cfg.shutdownGraceMs, drainDelayMs: cfg.shutdownDrainDelayMs, readiness });
  lifecycle.installSignalHandlers();
  const quarantine = new Quarantine({ logger, registry, readiness });
  return { logger, registry, readiness, lifecycle, quarantine };
}

/** Runs a service's `main` with its config; exit 2 on bad configuration, exit 1 when the start fails. */
export function runService<C extends RuntimeConfig>(name: string, readConfig: () => C, main: (cfg: C) => Promise<void>): void {
  const fail = (err: unknown): never => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name} failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  };
  let cfg: C;
  try {
    cfg = readConfig();
  } catch (err) {
    fail(err);
    return;
  }
  main(cfg).catch(fail);
}

#!/usr/bin/env node
import { ConfigError, createHttpApp, createLogger, createMetrics, Lifecycle, Readiness } from '@cte/shared';
import { readConfig, SERVICE, type VenueEmulatorConfig } from './config';
import { mountAdminRoutes } from './adapters/admin';
import { Emulator } from './adapters/emulator';
import { createEmulatorMetrics } from './adapters/metrics';

async function main(cfg: VenueEmulatorConfig): Promise<void> {
  const logger = createLogger({ service: SERVICE, level: cfg.logLevel });
  logger.info({ venues: cfg.venues, ports: cfg.venuePorts, speed: cfg.speed, loop: cfg.loop, dataDir: cfg.dataDir }, 'starting');
  const registry = createMetrics(SERVICE);
  const readiness = new Readiness();
  const lifecycle = new Lifecycle({ logger, graceMs: cfg.shutdownGraceMs, readiness });
  lifecycle.installSignalHandlers();
  const metrics = createEmulatorMetrics(registry);

  const emu = new Emulator({
    venues: cfg.venues,
    ports: cfg.venuePorts,
    host: cfg.host,
    speed: cfg.speed,
    loop: cfg.loop,
    dataDir: cfg.dataDir,
    heartbeatMs: cfg.heartbeatMs,
    restDelayMs: cfg.restDelayMs,
    metrics,
    logger,
  });
  for (const f of cfg.startupFaults) {
    const fault = f.fault === 'rest_5xx' ? { kind: f.fault, status: 503 } : f.fault === 'rest_delay' ? { kind: f.fault, delayMs: 1000 } : { kind: f.fault, retryAfterS: 1 };
    emu.armRest(f.venue, fault, f.count);
  }
  let started = false;
  readiness.addCheck('venues', () => {
    if (!started) throw new Error('venue ports not listening yet');
  });

  const http = createHttpApp({ service: SERVICE, version: cfg.version, apiKey: cfg.apiKey, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountAdminRoutes(http.router, emu);

  lifecycle.onShutdown('intake', 'venue ports', (grace) => emu.close(grace));
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));

  await emu.startAll();
  started = true;
  const httpHandle = await http.listen(cfg.httpPort, cfg.host);
  logger.info({ http: httpHandle.port, venues: emu.info().map((v) => ({ venue: v.venue, port: v.port, markets: v.markets.length })) }, 'venue-emulator ready');
}

let cfg: VenueEmulatorConfig;
try {
  cfg = readConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${SERVICE}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
main(cfg).catch((err: unknown) => {
  process.stderr.write(`${SERVICE} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

#!/usr/bin/env node
import { createHttpApp, createServiceBasics, runService } from '@cte/shared';
import { readConfig, SERVICE, type VenueEmulatorConfig } from './config';
import { mountAdminRoutes } from './adapters/admin';
import { Emulator } from './adapters/emulator';
import { createEmulatorMetrics } from './adapters/metrics';

async function main(cfg: VenueEmulatorConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle } = createServiceBasics(cfg, { venues: cfg.venues, ports: cfg.venuePorts, speed: cfg.speed, loop: cfg.loop, dataDir: cfg.dataDir });
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
    useCaptures: cfg.captures,
    bars: cfg.bars,
    barsWindow: { startMs: cfg.barsStartMs, endMs: cfg.barsEndMs },
    rebase: cfg.rebase,
    syntheticMarkets: cfg.syntheticMarkets,
    accounts: cfg.accounts,
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

  const http = createHttpApp({ service: SERVICE, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountAdminRoutes(http.router, emu);

  // After the drain delay (the lifecycle keeps everything serving while readiness is off).
  lifecycle.onShutdown('intake', 'venue ports', (grace) => emu.close(grace));
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));

  await emu.startAll();
  started = true;
  const httpHandle = await http.listen(cfg.httpPort, cfg.host);
  logger.info({ http: httpHandle.port, venues: emu.info().map((v) => ({ venue: v.venue, port: v.port, markets: v.markets.length })) }, 'venue-emulator ready');
}

runService(SERVICE, readConfig, main);

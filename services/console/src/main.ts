#!/usr/bin/env node
import path from 'node:path';
import { createGrpcServer, createHttpApp, createPool, RedisBus, createServiceBasics, runService } from '@cte/shared';
import { readConfig, type ConsoleConfig } from './config';
import { AuditLog } from './adapters/audit';
import { FleetProbe } from './adapters/fleet-probe';
import { createConsoleApp } from './adapters/http';
import { LiveHub } from './adapters/live';
import { Authenticator } from './adapters/passwords';
import { Peers } from './adapters/peers';
import { listen } from './adapters/server';
import { SessionKeys } from './adapters/session';

const ROOT = path.resolve(__dirname, '..');

async function main(cfg: ConsoleConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle } = createServiceBasics(cfg, {
    operators: cfg.operators.length,
    sessionTtlS: cfg.sessionTtlSeconds,
    cookieSecure: cfg.cookieSecure,
    peers: cfg.peers,
  });
  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const peers = new Peers(cfg.peers, { apiKey: cfg.apiKey, deadlineMs: cfg.peerDeadlineMs, logger });
  const live = new LiveHub(bus, logger, cfg.maxLiveClients);

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());

  const consoleApp = createConsoleApp({
    sessions: new SessionKeys(cfg.sessionSecret, cfg.sessionTtlSeconds, cfg.cookieSecure),
    auth: new Authenticator(cfg.operators),
    audit: new AuditLog(db),
    peers,
    probe: new FleetProbe(cfg.probeTargets, cfg.probeTimeoutMs),
    live,
    logger,
    registry,
    symbols: cfg.tradableSymbols,
    version: cfg.version,
    allowedOrigins: cfg.allowedOrigins,
    publicDir: path.join(ROOT, 'public'),
    vendorFiles: {
      'lightweight-charts.js': path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.js'),
    },
  });
  const kit = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });

  lifecycle.onShutdown('intake', 'live streams', () => live.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('close', 'peers', () => peers.close());
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  const httpHandle = await listen([consoleApp, kit.app], cfg.httpPort, logger);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  if (lifecycle.isShuttingDown) return;
  await live.start();
  logger.info({ http: httpHandle.port, grpc: grpcPort, url: `http://127.0.0.1:${httpHandle.port}/dashboard/` }, 'console ready');
}

runService('console', readConfig, main);

#!/usr/bin/env node
import {
  ConfigError,
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type Consumer,
  type PortfolioProtoGrpcType,
  createServiceBasics,
  runService,
} from '@cte/shared';
import { CONSUMER_GROUP, readConfig, type PortfolioConfig } from './config';
import { Portfolio } from './engine/portfolio';
import { FillIntake } from './adapters/fill-intake';
import { portfolioGrpcHandlers } from './adapters/grpc';
import { mountPortfolioRoutes } from './adapters/http';
import { createPortfolioMetrics } from './adapters/metrics';
import { PortfolioApi } from './adapters/portfolio-api';
import { PriceFeed } from './adapters/price-feed';
import { RecommendationsGateway } from './adapters/recommendations.gateway';
import { PortfolioRepository } from './adapters/repository';
import { Serial } from './adapters/serial';
import { SnapshotWriter } from './adapters/snapshot-writer';
import { ExecutionBalances, VenueReconciler } from './adapters/venue-reconciler';

async function main(cfg: PortfolioConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle } = createServiceBasics(cfg, {
    stream: cfg.fillsStream,
    consumer: cfg.consumerName,
    quoteCurrency: cfg.quoteCurrency,
    initialCapital: cfg.initialCapital.toFixed(),
    snapshotIntervalMs: cfg.snapshotIntervalMs,
    recommendations: cfg.recommendationsGrpcAddr,
    execution: cfg.executionGrpcAddr,
    venueReconcileMs: cfg.venueReconcileMs,
  });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const repo = new PortfolioRepository(db);

  // The ledger is created once (initial capital seeded), then always reloaded from MySQL.
  const seeded = await repo.seed(cfg.quoteCurrency, cfg.initialCapital, Date.now());
  const stored = await repo.load();
  if (!stored) throw new Error('portfolio_state is missing after seeding');
  if (stored.quoteCurrency !== cfg.quoteCurrency) {
    throw new ConfigError([`QUOTE_CURRENCY: is ${cfg.quoteCurrency} but the ledger in MySQL was created in ${stored.quoteCurrency}; it cannot change`]);
  }
  if (!stored.initialCapital.eq(cfg.initialCapital)) {
    logger.warn({ configured: cfg.initialCapital.toFixed(), stored: stored.initialCapital.toFixed() }, 'INITIAL_CAPITAL differs from the capital the ledger was seeded with; the stored one stands');
  }
  const portfolio = new Portfolio({ quoteCurrency: stored.quoteCurrency, initialCapital: stored.initialCapital, ledger: stored.ledger, watermarks: stored.watermarks });
  logger.info({ seeded, fillsApplied: stored.ledger.seq, positions: stored.ledger.positions.length, equity: portfolio.equity().toFixed() }, 'ledger loaded');

  const metrics = createPortfolioMetrics(registry, {
    gauges: () => {
      const v = portfolio.valuation();
      return { equity: v.equity.toNumber(), unrealized: v.unrealized.toNumber(), drawdown: v.drawdown.toNumber() };
    },
  });
  const serial = new Serial();
  const intakeStop = new AbortController();
  const intake = new FillIntake({
    portfolio,
    repo,
    bus,
    stream: cfg.fillsStream,
    group: CONSUMER_GROUP,
    consumer: cfg.consumerName,
    serial,
    metrics,
    logger,
    shutdown: intakeStop.signal,
  });
  const prices = new PriceFeed({ bus, portfolio, metrics, logger });
  const snapshots = new SnapshotWriter({ portfolio, repo, serial, intervalMs: cfg.snapshotIntervalMs, metrics, logger });
  const recommendations = new RecommendationsGateway({ address: cfg.recommendationsGrpcAddr, apiKey: cfg.apiKey, deadlineMs: cfg.recommendationsDeadlineMs, logger });
  // A venue's fetchBalance is one REST call, retried by execution's ccxt client: allow it time.
  const executionBalances = new ExecutionBalances({ address: cfg.executionGrpcAddr, apiKey: cfg.apiKey, deadlineMs: 15_000, logger });
  const reconciler = new VenueReconciler({
    source: executionBalances,
    portfolio,
    metrics,
    tolerance: { absolute: cfg.venueDriftAbsolute, relative: cfg.venueDriftRelative },
    intervalMs: cfg.venueReconcileMs,
    logger,
  });
  const api = new PortfolioApi({ portfolio, repo, proposer: recommendations, minNotional: cfg.rebalanceMinNotional, qtyDecimals: cfg.rebalanceQtyDecimals, symbols: cfg.tradableSymbols, logger });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountPortfolioRoutes(http.router, api);
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
  grpcKit.addService(proto.cte.portfolio.v1.Portfolio.service, portfolioGrpcHandlers(api));

  let consumer: Consumer | undefined;
  // Shutdown: stop taking fills (the in-flight one commits or stays pending) and prices; drain
  // requests and write a last snapshot; then close connections.
  lifecycle.onShutdown('intake', 'fills consumer', async () => {
    intakeStop.abort();
    await consumer?.stop();
  });
  lifecycle.onShutdown('intake', 'price feed', () => prices.stop());
  lifecycle.onShutdown('intake', 'venue reconciliation', () => reconciler.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('drain', 'snapshots', async () => {
    await serial.idle();
    await snapshots.drain();
  });
  lifecycle.onShutdown('close', 'recommendations client', () => recommendations.close());
  lifecycle.onShutdown('close', 'execution client', () => executionBalances.close());
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  const httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  if (lifecycle.isShuttingDown) return;
  await prices.start();
  consumer = await bus.consume(cfg.fillsStream, CONSUMER_GROUP, cfg.consumerName, intake.handle, {
    maxDeliveries: cfg.fillsMaxDeliveries,
    claimIdleMs: cfg.fillsClaimIdleMs,
    batchSize: cfg.fillsBatchSize,
  });
  snapshots.start();
  reconciler.start();
  logger.info({ http: httpHandle.port, grpc: grpcPort, stream: cfg.fillsStream, group: CONSUMER_GROUP, consumer: cfg.consumerName }, 'portfolio ready');
}

runService('portfolio', readConfig, main);

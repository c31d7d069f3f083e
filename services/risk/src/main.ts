#!/usr/bin/env node
import {
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type HttpServerHandle,
  type RiskProtoGrpcType,
  createServiceBasics,
  runService,
} from '@cte/shared';
import { CONSUMER_GROUP, readConfig, type RiskConfig } from './config';
import { RiskEngine } from './engine/risk-engine';
import { RiskBus, tradingStatePublisher } from './adapters/bus';
import { DecisionIndex } from './adapters/decision-index';
import { EventWriter } from './adapters/event-writer';
import { riskGrpcHandlers } from './adapters/grpc';
import { mountRiskRoutes } from './adapters/http';
import { LimitsStore } from './adapters/limits-store';
import { createRiskMetrics } from './adapters/metrics';
import { ExposureCache, PortfolioGateway } from './adapters/portfolio.gateway';
import { RiskRepository } from './adapters/repository';
import { restoreDecisions } from './adapters/restore';
import { RiskService } from './adapters/risk-service';
import { TradingStateStore } from './adapters/trading-state';

async function main(cfg: RiskConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, {
    portfolio: cfg.portfolioGrpcAddr,
    envLimits: cfg.envLimits,
    exposureTtlMs: cfg.exposureTtlMs,
    eventsDurable: cfg.eventsDurable,
    haltedAllowsReducing: cfg.haltedAllowsReducing,
  });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const repo = new RiskRepository(db);
  const portfolio = new PortfolioGateway({
    address: cfg.portfolioGrpcAddr,
    apiKey: cfg.apiKey,
    deadlineMs: cfg.portfolioDeadlineMs,
    retries: cfg.portfolioRetries,
    logger,
  });

  const writer: EventWriter = new EventWriter({
    store: repo,
    logger,
    flushMs: cfg.eventsFlushMs,
    batchSize: cfg.eventsBatchSize,
    maxQueue: cfg.eventsQueueMax,
    onWriteFailed: () => metrics.eventWriteFailures.inc(),
    onDuplicate: (ids) => metrics.eventDuplicates.inc(ids.length),
  });
  const metrics = createRiskMetrics(registry, { eventQueueRatio: () => writer.pending() / writer.capacity(), feedSymbols: () => service.feedSymbols() });
  const state = new TradingStateStore({
    repo,
    publish: tradingStatePublisher(bus, cfg.tradingStateChannel),
    logger,
    broadcastMs: cfg.stateBroadcastMs,
    onChange: (s) => metrics.setTradingState(s),
  });
  const limits = new LimitsStore(cfg.envLimits, repo, () => state.state);
  const exposure = new ExposureCache(portfolio, cfg.exposureTtlMs, Date.now, (ok) => metrics.exposureFetches.inc({ outcome: ok ? 'ok' : 'error' }));
  const engine = new RiskEngine({ qtyDecimals: cfg.qtyDecimals, haltedAllowsReducing: cfg.haltedAllowsReducing, maxFeedSilenceMs: cfg.priceFeedMaxSilenceMs });

  await limits.load(quarantine);
  const restored = await state.load();
  const index = await restoreDecisions({ repo, cacheSize: cfg.decisionCacheSize, logger, quarantine, build: (capacity) => new DecisionIndex(cfg.decisionCacheSize, capacity) });
  const service = new RiskService({
    engine,
    symbols: cfg.tradableSymbols,
    exposure,
    decisions: index.decisions,
    events: writer,
    lookup: repo,
    state,
    limits,
    logger,
    metrics,
    pendingTtlMs: cfg.pendingTtlMs,
    durable: cfg.eventsDurable,
  });
  for (const c of index.tradeCounts) service.trades.record(c.day, c.symbol, c.n);
  logger.info({ state: restored, limits: limits.view(), decisions: index.loaded, trade_days: [...new Set(index.tradeCounts.map((c) => c.day))] }, 'state restored');

  const riskBus = new RiskBus({
    bus,
    service,
    logger,
    ticksPattern: cfg.ticksPattern,
    fillsStream: cfg.fillsStream,
    ordersChannel: cfg.ordersChannel,
    feedsChannel: cfg.feedsChannel,
    consumerGroup: CONSUMER_GROUP,
    consumerName: cfg.consumerName,
  });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());
  readiness.addCheck('market_feeds', () => service.feedReadiness());

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountRiskRoutes(http.router, service);
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  grpcKit.addService(proto.cte.risk.v1.Risk.service, riskGrpcHandlers(service));

  let httpHandle: HttpServerHandle | undefined;
  // Shutdown: stop reading the bus and broadcasting; finish requests, then write every queued
  // decision and pending state change; then close connections.
  lifecycle.onShutdown('intake', 'bus', () => riskBus.stop());
  lifecycle.onShutdown('intake', 'timers', () => {
    state.stopBroadcast();
    service.stop();
  });
  lifecycle.onShutdown('drain', 'requests, then risk events', async (grace) => {
    const started = Date.now();
    await Promise.all([httpHandle?.close(grace), grpcKit.shutdown(grace)]);
    const left = Math.max(0, grace - (Date.now() - started));
    await writer.drain(left);
    await Promise.race([state.settle(), new Promise((r) => setTimeout(r, Math.max(0, grace - (Date.now() - started))).unref())]);
  });
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());
  lifecycle.onShutdown('close', 'portfolio client', () => portfolio.close());

  await riskBus.subscribe();
  state.startBroadcast();
  httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  if (lifecycle.isShuttingDown) return;
  await riskBus.consumeFills();
  logger.info({ http: httpHandle.port, grpc: grpcPort, stream: cfg.fillsStream, group: CONSUMER_GROUP, consumer: cfg.consumerName }, 'risk ready');
}

runService('risk', readConfig, main);

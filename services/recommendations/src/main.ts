#!/usr/bin/env node
import {
  createGrpcClient,
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type ConsensusProtoGrpcType,
  type ExecutionClient,
  type ExecutionProtoGrpcType,
  type MarketProtoGrpcType,
  type PortfolioClient,
  type PortfolioProtoGrpcType,
  type PriceStreamClient,
  type RecommendationsProtoGrpcType,
  type RiskClient,
  type RiskProtoGrpcType,
  type SignalsAggregatorClient,
  createServiceBasics,
  runService,
} from '@cte/shared';
import { readConfig, type RecommendationsConfig } from './config';
import { KellySizer } from './engine/kelly-sizer';
import { RecommendationsApi } from './adapters/api';
import { ConsensusIntake } from './adapters/consensus-intake';
import { ExecutionGateway } from './adapters/execution.gateway';
import { RecommendationFlow } from './adapters/flow';
import { recommendationsGrpcHandlers } from './adapters/grpc';
import { mountRecommendationRoutes } from './adapters/http';
import { MarketData } from './adapters/market-data';
import { MarketGateway } from './adapters/market.gateway';
import { createRecommendationsMetrics } from './adapters/metrics';
import { OrderEvents } from './adapters/order-events';
import { PortfolioGateway } from './adapters/portfolio.gateway';
import { RecommendationRepository } from './adapters/repository';
import { RiskGateway } from './adapters/risk.gateway';
import { SourcesGateway } from './adapters/sources.gateway';
import { Sweeper } from './adapters/sweeper';

async function main(cfg: RecommendationsConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, {
    risk: cfg.riskGrpcAddr,
    execution: cfg.executionGrpcAddr,
    portfolio: cfg.portfolioGrpcAddr,
    aggregator: cfg.signalsAggregatorGrpcAddr,
    priceStream: cfg.priceStreamGrpcAddr,
    kelly: cfg.kelly,
    timeframe: cfg.recTimeframe,
    cooldownMs: cfg.cooldownMs,
    ttlMs: cfg.ttlMs,
  });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const repo = new RecommendationRepository(db);
  const metrics = createRecommendationsMetrics(registry);

  // Peers. Risk's Check is idempotent per recommendation_id and execution's Submit per
  // client_order_id, so both may be retried on UNAVAILABLE/DEADLINE_EXCEEDED like the reads.
  const peer = { apiKey: cfg.apiKey, deadlineMs: cfg.peerDeadlineMs, logger };
  const riskProto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  const executionProto = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
  const portfolioProto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
  const consensusProto = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
  const marketProto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
  const riskClient = createGrpcClient<RiskClient>(riskProto.cte.risk.v1.Risk, cfg.riskGrpcAddr, { ...peer, idempotentMethods: ['Check', 'GetTradingState', 'GetLimits'] });
  const executionClient = createGrpcClient<ExecutionClient>(executionProto.cte.execution.v1.Execution, cfg.executionGrpcAddr, {
    ...peer,
    idempotentMethods: ['Submit', 'GetOrder', 'ListOrders'],
  });
  const portfolioClient = createGrpcClient<PortfolioClient>(portfolioProto.cte.portfolio.v1.Portfolio, cfg.portfolioGrpcAddr, {
    ...peer,
    idempotentMethods: ['GetExposure', 'GetPortfolio', 'GetPositions'],
  });
  const aggregatorClient = createGrpcClient<SignalsAggregatorClient>(consensusProto.cte.consensus.v1.SignalsAggregator, cfg.signalsAggregatorGrpcAddr, {
    ...peer,
    retries: 0,
    idempotentMethods: ['ListSources', 'GetConsensus'],
  });
  const marketClient = createGrpcClient<PriceStreamClient>(marketProto.cte.market.v1.PriceStream, cfg.priceStreamGrpcAddr, { ...peer, retries: 0, idempotentMethods: ['GetBars'] });

  const sizer = new KellySizer(cfg.kelly);
  const market = new MarketData({
    bus,
    logger,
    timeframe: cfg.recTimeframe,
    atrPeriod: cfg.atrPeriod,
    ticks: cfg.priceTicks,
    market: cfg.atrWarmup ? new MarketGateway(marketClient) : undefined,
    onWarmupFailed: () => metrics.peerFailures.inc({ peer: 'price-stream' }),
  });
  const flow = new RecommendationFlow({ repo, risk: new RiskGateway(riskClient), execution: new ExecutionGateway(executionClient), metrics, logger });
  const sources = new SourcesGateway({
    client: aggregatorClient,
    cacheMs: cfg.sourcesCacheMs,
    logger,
    onError: () => metrics.peerFailures.inc({ peer: 'signals-aggregator' }),
  });
  const intake = new ConsensusIntake({
    bus,
    channel: cfg.consensusChannel,
    repo,
    flow,
    sizer,
    market,
    portfolio: new PortfolioGateway(portfolioClient),
    sources,
    metrics,
    logger,
    cooldownMs: cfg.cooldownMs,
    maxQueuePerSymbol: cfg.maxQueuePerSymbol,
    symbols: cfg.tradableSymbols,
    maxClockSkewMs: cfg.maxClockSkewMs,
  });
  const orderEvents = new OrderEvents({ bus, channel: cfg.orderEventsChannel, flow, metrics, logger });
  const sweeper = new Sweeper({
    repo,
    flow,
    metrics,
    logger,
    intervalMs: cfg.sweepIntervalMs,
    ttlMs: cfg.ttlMs,
    retryAfterMs: cfg.retryAfterMs,
    orderPollAfterMs: cfg.orderPollAfterMs,
    quarantine,
  });
  const api = new RecommendationsApi({ repo, flow, market, metrics, symbols: cfg.tradableSymbols });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountRecommendationRoutes(http.router, api);
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
  grpcKit.addService(proto.cte.recommendations.v1.Recommendations.service, recommendationsGrpcHandlers(api));

  // Shutdown: stop taking consensus, order events and market data, and stop sweeping; drain
  // requests, queued consensus and in-flight drives (an interrupted one is finished by the next
  // start's sweeper); then close peers and connections.
  lifecycle.onShutdown('intake', 'consensus', () => intake.stop());
  lifecycle.onShutdown('intake', 'order events', () => orderEvents.stop());
  lifecycle.onShutdown('intake', 'market data', () => market.stop());
  lifecycle.onShutdown('intake', 'sweeper', () => sweeper.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('drain', 'pipeline', async () => {
    await intake.drain();
    await orderEvents.drain();
    await flow.drain();
  });
  lifecycle.onShutdown('close', 'peers', () => {
    for (const c of [riskClient, executionClient, portfolioClient, aggregatorClient, marketClient]) c.close();
  });
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  await market.start();
  await orderEvents.start();
  const httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  if (lifecycle.isShuttingDown) return;
  await intake.start();
  sweeper.start();
  logger.info({ http: httpHandle.port, grpc: grpcPort, consensus: cfg.consensusChannel, orders: cfg.orderEventsChannel }, 'recommendations ready');
}

runService('recommendations', readConfig, main);

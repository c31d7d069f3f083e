#!/usr/bin/env node
import {
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type ConsensusProtoGrpcType,
  type Consumer,
  createServiceBasics,
  runService,
} from '@cte/shared';
import { CONSUMER_GROUP, readConfig, type SignalsAggregatorConfig } from './config';
import { BarDecider } from './engine/bar-decider';
import { ConsensusEngine } from './engine/consensus-engine';
import { AggregatorApi } from './adapters/aggregator-api';
import { ConsensusBoard } from './adapters/consensus-board';
import { aggregatorGrpcHandlers } from './adapters/grpc';
import { mountAggregatorRoutes } from './adapters/http';
import { createAggregatorMetrics } from './adapters/metrics';
import { PriceFeed } from './adapters/price-feed';
import { AggregatorRepository } from './adapters/repository';
import { restoreState } from './adapters/restore';
import { SignalIntake } from './adapters/signal-intake';
import { StatsWriter } from './adapters/stats-writer';
import { TraceTimes } from '@cte/shared';
import type { ScoredSignal } from './engine/track-record';

const TRIM_EVERY_MS = 60_000;

async function main(cfg: SignalsAggregatorConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, {
    stream: cfg.signalsStream,
    consumer: cfg.consumerName,
    halfLifeMs: cfg.halfLifeMs,
    maxAgeMs: cfg.maxAgeMs,
    minQuorum: cfg.minQuorum,
    minAgreement: cfg.minAgreement,
    sourceWeights: cfg.sourceWeights,
    expectedSources: cfg.expectedSources,
    learnWindowBars: cfg.learnWindowBars,
    deadlineBars: cfg.deadlineBars,
    decideGraceMs: cfg.decideGraceMs,
  });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const repo = new AggregatorRepository(db);

  const engine = new ConsensusEngine({
    halfLifeMs: cfg.halfLifeMs,
    maxAgeMs: cfg.maxAgeMs,
    minQuorum: cfg.minQuorum,
    minAgreement: cfg.minAgreement,
    baseWeights: cfg.sourceWeights,
    trackRecord: { priorMean: cfg.trackRecordPrior, priorStrength: cfg.trackRecordPriorWeight, maxPendingPerSymbol: cfg.maxPendingPerSymbol },
    maxLeadMs: cfg.signalMaxLeadMs,
    maxClockSkewMs: cfg.signalMaxClockSkewMs,
    tradable: cfg.tradableSymbols,
  });
  const decider = cfg.decision === 'signal' ? undefined : new BarDecider({
    expectedSources: cfg.expectedSources,
    learnWindowBars: cfg.learnWindowBars,
    deadlineBars: cfg.deadlineBars,
    graceMs: cfg.decideGraceMs,
  });
  const board = new ConsensusBoard();
  const traceTimes = new TraceTimes();
  const stats = new StatsWriter({
    store: repo,
    statsOf: (agentId) => engine.trackRecord.record(agentId),
    logger,
    flushMs: cfg.statsFlushMs,
    onWriteFailed: () => metrics.statsWriteFailures.inc(),
  });
  const metrics = createAggregatorMetrics(registry, {
    statsQueueDepth: () => stats.pending(),
    pendingSignals: () => engine.trackRecord.pendingCount(),
  });
  const prices = new PriceFeed({
    bus,
    engine,
    logger,
    timeframe: cfg.priceTimeframe,
    ticks: cfg.priceTicks,
    score: decider === undefined,
    traceTimes,
    onScored: (scored) => {
      for (const s of scored) metrics.scored.inc({ outcome: s.hit ? 'hit' : 'miss' });
      stats.enqueue(scored);
    },
    onPriceTime: (symbol, ts) => {
      const ready = decider?.onPrice(symbol, ts) ?? [];
      if (ready.length > 0) intake.decide(ready).catch((err: Error) => logger.error({ err: err.message }, 'deciding bars at their price deadline failed'));
    },
  });
  const intakeStop = new AbortController();
  const onScored = (scored: ScoredSignal[]): void => {
    for (const s of scored) metrics.scored.inc({ outcome: s.hit ? 'hit' : 'miss' });
    stats.enqueue(scored);
  };
  const intake = new SignalIntake({
    engine,
    decider,
    onScored,
    repo,
    bus,
    board,
    metrics,
    logger,
    consensusChannel: cfg.consensusChannel,
    traceTimes,
    shutdown: intakeStop.signal,
  });
  const api = new AggregatorApi({ engine, board, repo, symbols: cfg.tradableSymbols });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountAggregatorRoutes(http.router, api);
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
  grpcKit.addService(proto.cte.consensus.v1.SignalsAggregator.service, aggregatorGrpcHandlers(api, board));

  let consumer: Consumer | undefined;
  let trimTimer: NodeJS.Timeout | undefined;
  // Shutdown: stop reading signals (the in-flight one finishes) and prices, drain requests and
  // scoring writes, then close connections.
  lifecycle.onShutdown('intake', 'signals consumer', async () => {
    intakeStop.abort();
    if (trimTimer) clearInterval(trimTimer);
    await consumer?.stop();
  });
  lifecycle.onShutdown('intake', 'price feed', () => prices.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('drain', 'scoring outcomes', (grace) => stats.drain(grace));
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  await restoreState({ repo, engine, decider, board, logger, quarantine });
  await prices.start();
  stats.start();
  const httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  if (lifecycle.isShuttingDown) return;
  consumer = await bus.consume(cfg.signalsStream, CONSUMER_GROUP, cfg.consumerName, intake.handle);
  trimTimer = setInterval(() => {
    repo
      .trimSignals(cfg.signalsRetain)
      .then((n) => n > 0 && logger.info({ deleted: n, retain: cfg.signalsRetain }, 'trimmed aggregator_signals'))
      .catch((err: Error) => logger.warn({ err: err.message }, 'trimming aggregator_signals failed'));
  }, TRIM_EVERY_MS);
  trimTimer.unref();
  logger.info({ http: httpHandle.port, grpc: grpcPort, stream: cfg.signalsStream, group: CONSUMER_GROUP, consumer: cfg.consumerName }, 'signals-aggregator ready');
}

runService('signals-aggregator', readConfig, main);

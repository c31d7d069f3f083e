#!/usr/bin/env node
import {
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type Bus,
  type MarketProtoGrpcType,
  createServiceBasics,
  runService,
  type Logger,
} from '@cte/shared';
import type { Registry } from 'prom-client';
import { readConfig, type PriceStreamConfig } from './config';
import { MarketDataEngine } from './engine/market-data-engine';
import { BarRepository } from './adapters/bar-repository';
import { BarWriter } from './adapters/bar-writer';
import { priceStreamGrpcHandlers } from './adapters/grpc';
import { mountPriceStreamRoutes } from './adapters/http';
import { IngestLoop } from './adapters/ingest';
import { createPriceStreamMetrics } from './adapters/metrics';
import { MonitorRepository } from './adapters/monitor-repository';
import { PriceStreamApi } from './adapters/price-stream-api';
import type { MarketSource } from './adapters/sources/market-source';
import { ReplaySource } from './adapters/sources/replay-source';
import type { CcxtSource } from './adapters/sources/ccxt-source';
import { createFeedStatusMetrics, FeedStatusPublisher } from './adapters/feed-status';

/** ccxt is loaded only for MARKET_SOURCE=ccxt, so replay (and `make demo`) start as before. */
async function startLiveSource(live: NonNullable<PriceStreamConfig['live']>, logger: Logger, registry: Registry): Promise<CcxtSource> {
  const { CcxtSource } = await import('./adapters/sources/ccxt-source.js');
  const { createLiveFeedMetrics } = await import('./adapters/live-metrics.js');
  const source = new CcxtSource({ live, logger });
  source.setEvents(createLiveFeedMetrics(registry, { health: () => source.health(), staleMs: live.staleMs, now: () => source.now() }));
  await source.connect();
  return source;
}

/** Top of book (LIVE_BOOK) on the live source's ccxt clients, published conflated on data.book.*. */
async function startBookTops(source: CcxtSource, live: NonNullable<PriceStreamConfig['live']>, bus: Bus, logger: Logger, registry: Registry, conflateMs: number) {
  const { CcxtBookFeed } = await import('./adapters/sources/ccxt-book.js');
  const { BookTopPublisher } = await import('./adapters/book-publisher.js');
  const { createBookFeedMetrics } = await import('./adapters/live-metrics.js');
  const publisher = new BookTopPublisher({ bus, logger, conflateMs });
  const feed = new CcxtBookFeed({ source, live, logger, sink: publisher });
  feed.setEvents(createBookFeedMetrics(registry, feed.labels()));
  return { feed, publisher };
}

async function main(cfg: PriceStreamConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, { source: cfg.source, timeframes: cfg.timeframes });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const bars = new BarRepository(db);
  const monitors = new MonitorRepository(db);

  const engine = new MarketDataEngine(cfg.timeframes);
  const followed = cfg.live
    ? [...new Set(cfg.live.exchanges.flatMap((e) => e.symbols.map((s) => s.symbol)))].sort()
    : cfg.symbols.length > 0
      ? cfg.symbols
      : cfg.tradableSymbols.list();
  const live = cfg.live ? await startLiveSource(cfg.live, logger, registry) : undefined;
  const source: MarketSource = live ?? new ReplaySource({ ...cfg.replay, symbols: followed, exchange: cfg.exchange, logger });
  if (live) readiness.addCheck('market_feeds', () => live.readiness());
  // Replay registers the cte_feed_* families without series (see createFeedStatusMetrics).
  if (!live) (await import('./adapters/live-metrics.js')).createLiveFeedMetrics(registry, { health: () => [], staleMs: 0, now: Date.now });
  const transitions = createFeedStatusMetrics(registry, live?.health() ?? []);
  const feedStatus =
    live && cfg.live ? new FeedStatusPublisher({ source: live, bus, logger, transitions, staleMs: cfg.live.staleMs, intervalMs: cfg.feedStatusIntervalMs }) : undefined;
  const books = live && cfg.live && cfg.liveBook ? await startBookTops(live, cfg.live, bus, logger, registry, cfg.tickConflateMs) : undefined;
  if (!books) (await import('./adapters/live-metrics.js')).createBookFeedMetrics(registry, []);
  const metrics = createPriceStreamMetrics(registry, {
    persistLagMs: () => writer.lagMs(),
    writeQueueDepth: () => writer.pending(),
    sourceName: source.name,
    lastTickWallMs: () => source.lastTickWallMs(),
  });
  const writer = new BarWriter({
    store: bars,
    logger,
    batchSize: cfg.barBatchSize,
    flushMs: cfg.barFlushMs,
    maxQueue: cfg.writeQueueMax,
    onWriteFailed: () => metrics.writeFailures.inc(),
  });
  const api = new PriceStreamApi({
    engine,
    bars,
    monitors,
    tradable: cfg.tradableSymbols,
    symbols: followed,
    defaultExchange: cfg.exchange,
    maxMonitors: cfg.maxMonitors,
  });
  const ingest = new IngestLoop({ engine, source, writer, bus, monitors, metrics, logger, tickConflateMs: cfg.tickConflateMs });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());
  readiness.addCheck('persist_lag', () => {
    const lag = writer.lagMs();
    if (lag > cfg.persistMaxLagMs) throw new Error(`closed bars waiting ${Math.round(lag / 1000)} s for MySQL (limit ${cfg.persistMaxLagMs / 1000} s)`);
  });

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountPriceStreamRoutes(http.router, api);
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
  grpcKit.addService(proto.cte.market.v1.PriceStream.service, priceStreamGrpcHandlers(api, ingest));

  // Shutdown order: stop the source, drain requests and writes, then close connections.
  lifecycle.onShutdown('intake', 'market source', () => ingest.stopIntake());
  lifecycle.onShutdown('intake', 'order books', async () => {
    books?.feed.stop();
    await books?.publisher.stop();
  });
  lifecycle.onShutdown('intake', 'feed status', () => feedStatus?.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('drain', 'publishes and bar writes', async (grace) => {
    await ingest.drain();
    await writer.drain(grace);
  });
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  const restored = await api.restoreMonitors(quarantine);
  writer.start();
  ingest.start();
  if (books) {
    books.publisher.start();
    void books.feed.run().catch((err: Error) => logger.error({ err: err.message }, 'order book feed failed'));
  }
  feedStatus?.start();
  const httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  logger.info({ http: httpHandle.port, grpc: grpcPort, monitors: restored }, 'price-stream ready');
}

runService('price-stream', readConfig, main);

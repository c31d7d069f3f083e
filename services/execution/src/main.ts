#!/usr/bin/env node
import {
  createGrpcClient,
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type ExecutionProtoGrpcType,
  type HttpServerHandle,
  type RiskClient,
  type RiskProtoGrpcType,
  type TradingStateMessage,
  createServiceBasics,
  createRateBudgetMetrics,
  RateBudgets,
  runService,
  Dec,
  InvalidArgumentError,
  type Logger,
  type Symbol,
} from '@cte/shared';
import type { Registry } from 'prom-client';
import { readConfig, type ExecutionConfig, type LiveConfig } from './config';
import { PrecisionTable } from './engine/precision';
import { ExecutionService } from './adapters/execution-service';
import { executionGrpcHandlers } from './adapters/grpc';
import { mountExecutionRoutes } from './adapters/http';
import { createExecutionMetrics } from './adapters/metrics';
import { MockVenue } from './adapters/mock-venue';
import { OutboxRelay } from './adapters/outbox-relay';
import { PriceFeed } from './adapters/price-feed';
import { ExecutionRepository } from './adapters/repository';
import { TraceTimes } from '@cte/shared';
import { SymbolDirectory } from './adapters/symbol-directory';
import { TradingStateGuard } from './adapters/trading-state';
import { CcxtVenue, createCcxtExchange } from './adapters/ccxt-venue';
import { createCcxtVenueMetrics, createVenueUpdateMetrics } from './adapters/ccxt-venue-metrics';
import { VenueRouter } from './adapters/ccxt-venue-router';
import type { Venue } from './adapters/venue';

interface LatestPrice {
  price: Dec;
  ts: number;
}

interface LiveVenues {
  venue: Venue;
  /** Loads every venue's markets and starts its user stream; retries an unreachable venue, throws on a symbol a venue does not list. */
  start(stopping: () => boolean): Promise<void>;
}

/** The live venues (TRADING_MODE=live) as one Venue for the service; nothing is sent until `start`. */
async function createLiveVenues(live: LiveConfig, logger: Logger, registry: Registry, latest: ReadonlyMap<Symbol, LatestPrice>, budgets: RateBudgets): Promise<LiveVenues> {
  const metrics = createCcxtVenueMetrics(registry, live.venues.map((v) => v.id));
  const venues: Array<{ venue: CcxtVenue; symbols: Symbol[] }> = [];
  for (const v of live.venues) {
    const c = v.credentials;
    const venue = new CcxtVenue({
      id: v.id,
      exchange: await createCcxtExchange(v, live.timeoutMs),
      symbols: v.symbols,
      secrets: [c.apiKey, c.secret, ...(c.password ? [c.password] : [])].map((x) => x.reveal()),
      policy: { maxSends: live.maxSends, maxLookups: live.maxLookups, settleMs: live.settleMs, lookupBackoffMs: live.lookupBackoffMs },
      reconcileMs: live.reconcileMs,
      reconnectBaseMs: live.reconnectBaseMs,
      reconnectMaxMs: live.reconnectMaxMs,
      logger,
      metrics,
      referencePrice: (s) => latest.get(s)?.price,
      // Shared with every process on this API key (price-stream's backfill included), in Redis.
      budget: budgets.forKey(v.id, c.apiKey.reveal()),
    });
    venues.push({ venue, symbols: v.symbols });
  }
  return {
    venue: venues.length === 1 ? venues[0]!.venue : new VenueRouter(venues),
    start: async (stopping) => {
      for (const { venue } of venues) {
        for (let attempt = 1; !stopping(); attempt++) {
          try {
            await venue.start();
            break;
          } catch (err) {
            if (err instanceof InvalidArgumentError) throw err;
            logger.error({ venue: venue.name, attempt, err: venue.describe(err) }, 'live venue not reachable; retrying');
            await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)));
          }
        }
      }
    },
  };
}

async function main(cfg: ExecutionConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, {
    tradingMode: cfg.tradingMode,
    risk: cfg.riskGrpcAddr,
    symbols: cfg.tradableSymbols.list(),
    ...(cfg.live
      ? { live: cfg.live.venues.map((v) => ({ venue: v.id, symbols: v.symbols, base_url: v.baseUrl ?? 'default' })) }
      : { mock: Object.fromEntries(Object.entries(cfg.mock).map(([k, v]) => [k, String(v)])) }),
  });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const repo = new ExecutionRepository(db);
  const riskProto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  const risk = createGrpcClient<RiskClient>(riskProto.cte.risk.v1.Risk, cfg.riskGrpcAddr, {
    apiKey: cfg.apiKey,
    deadlineMs: cfg.riskDeadlineMs,
    retries: 0,
    idempotentMethods: ['GetTradingState'],
    logger,
    // Notice risk coming back within seconds, not grpc-js's default of up to 2 minutes.
    channelOptions: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 5000 },
  });

  const precision = new PrecisionTable(cfg.marketPrecision);
  const symbols = new SymbolDirectory(await repo.tradedSymbols());
  const latest = new Map<Symbol, LatestPrice>();
  const mock = cfg.live ? undefined : new MockVenue({ venue: 'mock', precision, ...cfg.mock });
  const budgets = cfg.live ? new RateBudgets(cfg.redisUrl, registry) : undefined;
  const live = cfg.live && budgets ? await createLiveVenues(cfg.live, logger, registry, latest, budgets) : undefined;
  // Paper mode exports the live venue families without series, so alert rules and panels name the same metrics in either mode.
  if (!cfg.live) createCcxtVenueMetrics(registry, []);
  if (!cfg.live) createRateBudgetMetrics(registry);
  const venue: Venue = mock ?? live!.venue;
  const traceTimes = new TraceTimes();
  const relay: OutboxRelay = new OutboxRelay({
    repo,
    bus,
    logger,
    pollMs: cfg.outboxPollMs,
    batchSize: cfg.outboxBatch,
    retainMs: cfg.outboxRetainMs,
    onAppended: (n) => metrics.fillsAppended.inc(n),
    onAppendFailed: () => metrics.outboxAppendFailures.inc(),
  });
  const metrics = createExecutionMetrics(registry, { outboxLagSeconds: () => relay.lagSeconds() });
  const tradingState: TradingStateGuard = new TradingStateGuard({
    repo,
    bus,
    logger,
    refreshMs: cfg.tradingStateRefreshMs,
    fetch: async (): Promise<TradingStateMessage> => {
      const s = await risk.unary('GetTradingState', {});
      return { state: s.state as TradingStateMessage['state'], reason: s.reason, updated_at: Number(s.updated_at), updated_by: s.updated_by };
    },
    onChange: (next, prev) => service.onTradingState(next, prev),
  });
  const service: ExecutionService = new ExecutionService({
    repo,
    venue,
    bus,
    relay,
    tradingState,
    validation: { symbols: cfg.tradableSymbols, checkAvailable: (s) => symbols.checkAvailable(s), precision },
    metrics,
    traceTimes,
    logger,
    haltCancelsOpeningOrders: cfg.haltCancelsOpeningOrders,
    venueUpdates: createVenueUpdateMetrics(registry),
  });
  const prices = new PriceFeed({
    bus,
    logger,
    symbols: cfg.tradableSymbols,
    traceTimes,
    onPrice: (symbol, price, ts) => {
      symbols.onPrice(symbol);
      const prev = latest.get(symbol);
      if (!prev || ts >= prev.ts) latest.set(symbol, { price, ts });
      mock?.onPrice(symbol, price, ts);
    },
  });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());
  readiness.addCheck('trading_state', () => tradingState.check());
  readiness.addCheck('reconciled', () => service.checkReconciled());

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  mountExecutionRoutes(http.router, service, tradingState, () =>
    mock
      ? {
          data_time: mock.exchange.dataTime,
          prices: mock.exchange.symbols().map((symbol) => {
            const q = mock.exchange.latest(symbol)!;
            return { symbol, price: q.price.toFixed(), ts: q.ts };
          }),
        }
      : {
          data_time: Math.max(0, ...[...latest.values()].map((q) => q.ts)),
          prices: [...latest].map(([symbol, q]) => ({ symbol, price: q.price.toFixed(), ts: q.ts })),
        },
  );
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
  grpcKit.addService(proto.cte.execution.v1.Execution.service, executionGrpcHandlers(service));

  // Shutdown: refuse new orders and stop prices and trading-state updates; then let requests,
  // in-flight order work and the outbox (a final relay pass) finish; then close connections.
  let httpHandle: HttpServerHandle | undefined;
  lifecycle.onShutdown('intake', 'orders', () => service.stopIntake());
  lifecycle.onShutdown('intake', 'price feed', () => prices.stop());
  lifecycle.onShutdown('intake', 'trading state', () => tradingState.stop());
  lifecycle.onShutdown('drain', 'requests, orders and outbox', async (grace) => {
    await Promise.all([httpHandle?.close(grace), grpcKit.shutdown(grace)]);
    await service.drain();
    await relay.stop();
  });
  lifecycle.onShutdown('close', 'venue', () => venue.close());
  if (budgets) lifecycle.onShutdown('close', 'rate budget', () => budgets.close());
  lifecycle.onShutdown('close', 'risk client', () => risk.close());
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  await prices.start();
  relay.start();
  await tradingState.start();
  httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  // Live: the venues' markets are needed before reconciliation and any order (/ready waits on `reconciled`).
  if (live) await live.start(() => lifecycle.isShuttingDown);
  // Ready only after this (readiness check `reconciled`); retried while MySQL is unavailable.
  for (let attempt = 1; ; attempt++) {
    if (lifecycle.isShuttingDown) return;
    try {
      await service.reconcile(quarantine);
      break;
    } catch (err) {
      logger.error({ err: (err as Error).message, attempt }, 'reconciliation failed; retrying');
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 5000)));
    }
  }
  logger.info({ http: httpHandle.port, grpc: grpcPort, venue: venue.name, trading_state: tradingState.state?.state ?? 'unknown' }, 'execution ready');
}

runService('execution', readConfig, main);

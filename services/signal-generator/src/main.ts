#!/usr/bin/env node
import {
  createGrpcServer,
  createHttpApp,
  createPool,
  loadProto,
  RedisBus,
  type SignalGeneratorProtoGrpcType,
  createServiceBasics,
  runService,
} from '@cte/shared';
import { readConfig, type SignalGeneratorConfig } from './config';
import { FEATURE_NAMES } from './engine/features';
import { AgentRuntime } from './agents/agent-runtime';
import { AgentService } from './agents/agent-service';
import { TaskEngine } from './tasks/task-engine';
import { AgentRepository } from './adapters/agent-repository';
import { agentGrpcHandlers } from './adapters/agent-grpc';
import { agentRoutes, taskRoutes } from './adapters/agent-http';
import { agentTaskExecutor } from './adapters/agent-task-executor';
import { BarFeed } from './adapters/bar-feed';
import { CachedBarHistory } from './adapters/cached-history';
import { seedDefaultAgents } from './adapters/default-agents';
import { ModelRegistry } from './adapters/model-registry';
import { modelRoutes } from './adapters/models-http';
import { PriceStreamHistory } from './adapters/price-history';
import { SignalLoop } from './adapters/signal-loop';
import { SignalRepository } from './adapters/signal-repository';
import { signalRoutes } from './adapters/signals-http';
import { TaskRepository } from './adapters/task-repository';

async function main(cfg: SignalGeneratorConfig): Promise<void> {
  const { logger, registry, readiness, lifecycle, quarantine } = createServiceBasics(cfg, { modelDir: cfg.modelDir, timeframes: cfg.timeframes });

  const db = createPool({ url: cfg.mysqlUrl, logger });
  const bus = new RedisBus({ url: cfg.redisUrl, logger, namespace: cfg.busNamespace });
  const models = new ModelRegistry({ dir: cfg.modelDir, pipelineFeatures: FEATURE_NAMES, logger });
  const history = new CachedBarHistory(new PriceStreamHistory(cfg.priceStreamAddr, cfg.apiKey), {
    redisUrl: cfg.redisUrl,
    logger,
    registry,
    l1Max: cfg.cacheL1Max,
    ttlMs: cfg.cacheTtlMs,
  });

  const runtime = new AgentRuntime({
    emitHold: cfg.emitHold,
    onError: (agent, err) => void agents.markError(agent.id, (err as Error).message).catch(() => undefined),
  });
  const agents = new AgentService({ store: new AgentRepository(db), symbols: cfg.tradableSymbols, logger, runtime });
  const loop = new SignalLoop({
    history,
    warmStartBars: cfg.warmStartBars,
    runtime,
    models,
    signals: new SignalRepository(db),
    bus,
    logger,
    registry,
    onNewMarket: cfg.seedAgents ? (bar) => seedDefaultAgents(agents, models, bar, logger) : undefined,
  });
  const tasks = new TaskEngine({
    store: new TaskRepository(db),
    agents,
    executor: agentTaskExecutor(loop),
    logger,
    registry,
    config: {
      concurrency: cfg.taskConcurrency,
      defaultTimeoutMs: cfg.taskDefaultTimeoutMs,
      maxAttempts: cfg.taskMaxAttempts,
      backoffMs: cfg.taskBackoffMs,
    },
  });
  const followed = new Set<string>(cfg.symbols.length > 0 ? cfg.symbols : cfg.tradableSymbols.list());
  const feed = new BarFeed({ bus, timeframes: cfg.timeframes, logger, follows: (s) => followed.has(s), onBar: (bar, origin) => loop.onBar(bar, origin) });

  readiness.addCheck('mysql', () => db.ping());
  readiness.addCheck('redis', () => bus.ping());
  readiness.addCheck('models', () => {
    const snap = models.snapshot();
    if (snap.dir_error) throw new Error(`MODEL_DIR unreadable: ${snap.dir_error}`);
  });

  const http = createHttpApp({ service: cfg.service, version: cfg.version, apiKey: cfg.apiKeys, logger, registry, readiness, bodyLimit: cfg.httpBodyLimit });
  http.router.use(agentRoutes(agents));
  http.router.use(taskRoutes(tasks));
  http.router.use(modelRoutes(models));
  http.router.use(signalRoutes(new SignalRepository(db), cfg.tradableSymbols));
  const grpcKit = createGrpcServer({ service: cfg.service, apiKey: cfg.apiKeys, logger, registry, readiness });
  const proto = loadProto<SignalGeneratorProtoGrpcType>('cte/signals/v1/signal_generator.proto');
  grpcKit.addService(proto.cte.signals.v1.SignalGenerator.service, agentGrpcHandlers(agents, tasks));

  lifecycle.onShutdown('intake', 'bar feed', () => feed.stop());
  lifecycle.onShutdown('drain', 'http', (grace) => httpHandle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => grpcKit.shutdown(grace));
  lifecycle.onShutdown('drain', 'tasks', (grace) => tasks.close(grace));
  lifecycle.onShutdown('close', 'models', () => models.close());
  lifecycle.onShutdown('close', 'cache', () => history.close());
  lifecycle.onShutdown('close', 'redis', () => bus.close());
  lifecycle.onShutdown('close', 'mysql', () => db.close());

  const report = await models.start();
  const restored = await agents.restore(quarantine);
  const recovered = await tasks.recover(quarantine);
  await feed.start();
  const httpHandle = await http.listen(cfg.httpPort);
  const grpcPort = await grpcKit.listen(cfg.grpcPort);
  logger.info(
    { http: httpHandle.port, grpc: grpcPort, models: report, agents_restored: restored.length, tasks_recovered: recovered },
    'signal-generator ready',
  );
}

runService('signal-generator', readConfig, main);

/**
 * The ledger's real consumer path, wired in-process like main.ts does it (real RedisBus consumer
 * group, real repository on a throw-away MariaDB database, real FillIntake and Portfolio).
 */
import { createLogger, createMetrics, RedisBus, type Consumer, type Database, type Logger } from '@cte/shared';
import type { Registry } from 'prom-client';
import { CONSUMER_GROUP } from '../../config';
import { FillIntake, type FillOutcome } from '../../adapters/fill-intake';
import { createPortfolioMetrics, type PortfolioMetrics } from '../../adapters/metrics';
import { PortfolioRepository } from '../../adapters/repository';
import { Serial } from '../../adapters/serial';
import { Portfolio } from '../../engine/portfolio';
import { Exact } from '../../engine/money';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Rig {
  portfolio: Portfolio;
  repo: PortfolioRepository;
  bus: RedisBus;
  intake: FillIntake;
  metrics: PortfolioMetrics;
  registry: Registry;
  outcomes: Record<FillOutcome, number>;
  consumer: Consumer | undefined;
  stop(): Promise<void>;
}

export interface RigOptions {
  db: Database;
  namespace: string;
  stream: string;
  consumerName?: string;
  /** Start consuming (default true). */
  consume?: boolean;
  logger?: Logger;
}

export async function startRig(o: RigOptions): Promise<Rig> {
  const logger = o.logger ?? createLogger({ service: 'portfolio', level: 'silent' });
  const repo = new PortfolioRepository(o.db);
  await repo.seed('USD', new Exact('100000'), Date.now());
  const stored = await repo.load();
  if (!stored) throw new Error('not seeded');
  const portfolio = new Portfolio({ quoteCurrency: 'USD', initialCapital: stored.initialCapital, ledger: stored.ledger, watermarks: stored.watermarks });
  const registry = createMetrics('portfolio');
  const metrics = createPortfolioMetrics(registry, {
    gauges: () => ({ equity: portfolio.equity().toNumber(), unrealized: portfolio.valuation().unrealized.toNumber(), drawdown: portfolio.valuation().drawdown.toNumber() }),
  });
  const bus = new RedisBus({ url: REDIS_URL, logger, namespace: o.namespace });
  const stop = new AbortController();
  const name = o.consumerName ?? 'portfolio';
  const intake = new FillIntake({ portfolio, repo, bus, stream: o.stream, group: CONSUMER_GROUP, consumer: name, serial: new Serial(), metrics, logger, shutdown: stop.signal });
  const outcomes: Record<FillOutcome, number> = { applied: 0, duplicate: 0, rejected: 0 };
  intake.onOutcome((outcome) => outcomes[outcome]++);
  const rig: Rig = {
    portfolio,
    repo,
    bus,
    intake,
    metrics,
    registry,
    outcomes,
    consumer: undefined,
    async stop() {
      stop.abort();
      await rig.consumer?.stop();
      await bus.close();
    },
  };
  if (o.consume !== false) rig.consumer = await bus.consume(o.stream, CONSUMER_GROUP, name, intake.handle, { batchSize: 100, claimIdleMs: 60_000 });
  return rig;
}

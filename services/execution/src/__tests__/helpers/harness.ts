/**
 * The execution service assembled in-process (as main.ts does) against the real MariaDB and
 * Redis, with the real mock venue wrapped to count submissions. Risk's GetTradingState is a
 * function the test controls (the process test uses a real in-test gRPC server instead).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import {
  createLogger,
  Dec,
  RedisBus,
  tickChannel,
  TRADING_CHANNELS,
  TradableSymbols,
  type FillMessage,
  type Symbol,
  type TradingStateMessage,
  type TradingStateName,
} from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { ExecutionService } from '../../adapters/execution-service';
import { createExecutionMetrics, type ExecutionMetrics } from '../../adapters/metrics';
import { MockVenue } from '../../adapters/mock-venue';
import { OutboxRelay } from '../../adapters/outbox-relay';
import { ExecutionRepository } from '../../adapters/repository';
import { TraceTimes } from '@cte/shared';
import { TradingStateGuard } from '../../adapters/trading-state';
import type { VenueAck, VenueOrderRequest } from '../../adapters/venue';
import { PrecisionTable } from '../../engine/precision';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The real mock venue, counting what reaches it. */
export class CountingVenue extends MockVenue {
  readonly submissions = new Map<string, number>();

  override async submit(order: VenueOrderRequest): Promise<VenueAck> {
    this.submissions.set(order.clientOrderId, (this.submissions.get(order.clientOrderId) ?? 0) + 1);
    // Yield once, as a network venue would, so concurrent callers really interleave.
    await new Promise((r) => setImmediate(r));
    return super.submit(order);
  }
}

export interface Harness {
  namespace: string;
  tdb: TestDatabase;
  bus: RedisBus;
  repo: ExecutionRepository;
  venue: CountingVenue;
  relay: OutboxRelay;
  guard: TradingStateGuard;
  svc: ExecutionService;
  metrics: ExecutionMetrics;
  registry: Registry;
  /** What the risk double answers; undefined = unreachable. */
  risk: { state: TradingStateMessage | undefined };
  price(symbol: Symbol, price: string, ts: number): void;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Share a database (two replicas). */
  tdb?: TestDatabase;
  namespace?: string;
  state?: TradingStateName | undefined;
  startRelay?: boolean;
  reconcile?: boolean;
  /** TRADABLE_SYMBOLS of this execution; default BTC/USD, ETH/USD, SOL/USD. */
  symbols?: string[];
}

const namespaces = new Set<string>();

export function newNamespace(prefix: string): string {
  const ns = `test-${prefix}-${randomBytes(4).toString('hex')}:`;
  namespaces.add(ns);
  return ns;
}

/** Deletes the Redis keys (streams) of every namespace this test file made. */
export async function dropNamespaces(redis: Redis): Promise<void> {
  for (const ns of namespaces) {
    const keys = await redis.keys(`${ns}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
}

export async function createHarness(o: HarnessOptions = {}): Promise<Harness> {
  const namespace = o.namespace ?? newNamespace('exec');
  const tdb = o.tdb ?? (await createTestDatabase(logger));
  const bus = new RedisBus({ url: REDIS_URL, logger, namespace });
  const repo = new ExecutionRepository(tdb.db);
  const registry = new Registry();
  const precision = new PrecisionTable();
  const venue = new CountingVenue({
    venue: 'mock',
    precision,
    slippageBps: new Dec(5),
    impactBps: new Dec(10),
    liquidityNotional: new Dec(100_000),
    takerFeeBps: new Dec(10),
    makerFeeBps: new Dec(5),
    maxPriceAgeMs: 60_000,
    maxPriceSilenceMs: 0,
  });
  const relay: OutboxRelay = new OutboxRelay({ repo, bus, logger, pollMs: 50, batchSize: 10, retainMs: 0, onAppended: (n) => metrics.fillsAppended.inc(n) });
  const metrics = createExecutionMetrics(registry, { outboxLagSeconds: () => relay.lagSeconds() });
  // `state: undefined` given explicitly = risk unreachable; not given = ACTIVE.
  const unreachable = 'state' in o && o.state === undefined;
  const risk: Harness['risk'] = { state: unreachable ? undefined : { state: o.state ?? 'ACTIVE', reason: 'test', updated_at: 1, updated_by: 'test' } };
  const guard: TradingStateGuard = new TradingStateGuard({
    repo,
    bus,
    logger,
    refreshMs: 60_000,
    fetch: async () => {
      if (!risk.state) throw new Error('risk unreachable');
      return risk.state;
    },
    onChange: (next, prev) => svc.onTradingState(next, prev),
  });
  const traceTimes = new TraceTimes();
  const svc: ExecutionService = new ExecutionService({
    repo,
    venue,
    bus,
    relay,
    tradingState: guard,
    validation: { symbols: new TradableSymbols(o.symbols ?? ['BTC/USD', 'ETH/USD', 'SOL/USD'], 'TRADABLE_SYMBOLS'), precision },
    metrics,
    traceTimes,
    logger,
    haltCancelsOpeningOrders: true,
  });
  if (o.startRelay !== false) relay.start();
  await guard.start();
  if (o.reconcile !== false) await svc.reconcile();
  return {
    namespace,
    tdb,
    bus,
    repo,
    venue,
    relay,
    guard,
    svc,
    metrics,
    registry,
    risk,
    price: (symbol, price, ts) => {
      venue.onPrice(symbol, new Dec(price), ts);
    },
    stop: async () => {
      svc.stopIntake();
      await guard.stop();
      await svc.drain();
      await relay.stop();
      await bus.close();
    },
  };
}

/** Every fill on `events.fills` of a namespace, in stream order. */
export async function readFills(redis: Redis, namespace: string): Promise<FillMessage[]> {
  const entries = (await redis.xrange(namespace + TRADING_CHANNELS.fills, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, fields]) => {
    const i = fields.indexOf('envelope');
    return (JSON.parse(fields[i + 1]!) as { data: FillMessage }).data;
  });
}

export { tickChannel };

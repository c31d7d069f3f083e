/**
 * The execution service assembled in-process (as main.ts does in TRADING_MODE=live) with a real
 * CcxtVenue talking to the venue emulator's Binance.US private side on 127.0.0.1, against the real
 * MariaDB and Redis. Log lines are captured so tests can assert what was (not) logged.
 */
import { Registry } from 'prom-client';
import { createLogger, RedisBus, TradableSymbols, type Logger } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { CcxtVenue, createCcxtExchange, type ProExchange } from '../../adapters/ccxt-venue';
import { createCcxtVenueMetrics, createVenueUpdateMetrics } from '../../adapters/ccxt-venue-metrics';
import { ExecutionService } from '../../adapters/execution-service';
import { createExecutionMetrics } from '../../adapters/metrics';
import { OutboxRelay } from '../../adapters/outbox-relay';
import { ExecutionRepository } from '../../adapters/repository';
import { TradingStateGuard } from '../../adapters/trading-state';
import { Secret, type LiveVenueId } from '../../config';
import { PrecisionTable } from '../../engine/precision';
import { TraceTimes } from '@cte/shared';
import { newNamespace, REDIS_URL } from './harness';

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  text(): string;
}

export function capturedLogger(): CapturedLog {
  const lines: string[] = [];
  const logger = createLogger({ service: 'execution-test', level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines, text: () => lines.join('') };
}

export interface LiveHarness {
  namespace: string;
  tdb: TestDatabase;
  repo: ExecutionRepository;
  bus: RedisBus;
  venue: CcxtVenue;
  exchange: ProExchange;
  svc: ExecutionService;
  registry: Registry;
  log: CapturedLog;
  stop(): Promise<void>;
}

export interface LiveHarnessOptions {
  /** binanceus unless given. */
  venue?: LiveVenueId;
  port: number;
  apiKey: string;
  secret: string;
  /** KuCoin's passphrase. */
  password?: string;
  symbols: string[];
  settleMs?: number;
  maxSends?: number;
  maxLookups?: number;
  reconcileMs?: number;
  timeoutMs?: number;
  /** false: as a venue without an order stream (statuses only from REST reconciliation). */
  orderStream?: boolean;
}

export async function createLiveHarness(o: LiveHarnessOptions): Promise<LiveHarness> {
  const namespace = newNamespace('exec-live');
  const log = capturedLogger();
  const logger = log.logger;
  const tdb = await createTestDatabase(logger);
  const bus = new RedisBus({ url: REDIS_URL, logger, namespace });
  const repo = new ExecutionRepository(tdb.db);
  const registry = new Registry();
  const id = o.venue ?? 'binanceus';
  const credentials = { apiKey: new Secret(o.apiKey), secret: new Secret(o.secret), ...(o.password !== undefined ? { password: new Secret(o.password) } : {}) };
  const exchange = await createCcxtExchange(
    { id, symbols: o.symbols, baseUrl: `http://127.0.0.1:${o.port}`, credentials },
    o.timeoutMs ?? 3000,
  );
  exchange.enableRateLimit = false;
  if (o.orderStream === false) exchange.has['watchOrders'] = false;
  const venue = new CcxtVenue({
    id,
    exchange,
    symbols: o.symbols,
    secrets: [o.apiKey, o.secret, ...(o.password !== undefined ? [o.password] : [])],
    policy: { maxSends: o.maxSends ?? 2, maxLookups: o.maxLookups ?? 3, settleMs: o.settleMs ?? 50, lookupBackoffMs: 50 },
    reconcileMs: o.reconcileMs ?? 0,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
    logger,
    metrics: createCcxtVenueMetrics(registry, [id]),
  });
  const relay: OutboxRelay = new OutboxRelay({ repo, bus, logger, pollMs: 50, batchSize: 10, retainMs: 0 });
  const metrics = createExecutionMetrics(registry, { outboxLagSeconds: () => relay.lagSeconds() });
  const guard: TradingStateGuard = new TradingStateGuard({
    repo,
    bus,
    logger,
    refreshMs: 60_000,
    fetch: async () => ({ state: 'ACTIVE', reason: 'test', updated_at: 1, updated_by: 'test' }),
    onChange: (next, prev) => svc.onTradingState(next, prev),
  });
  const svc: ExecutionService = new ExecutionService({
    repo,
    venue,
    bus,
    relay,
    tradingState: guard,
    // The venue's own rules decide the decimals; the fleet's precision table allows up to 8.
    validation: { symbols: new TradableSymbols(o.symbols, 'TRADABLE_SYMBOLS'), precision: new PrecisionTable() },
    metrics,
    traceTimes: new TraceTimes(),
    logger,
    haltCancelsOpeningOrders: true,
    venueUpdates: createVenueUpdateMetrics(registry),
  });
  await venue.start();
  relay.start();
  await guard.start();
  await svc.reconcile();
  return {
    namespace,
    tdb,
    repo,
    bus,
    venue,
    exchange,
    svc,
    registry,
    log,
    stop: async () => {
      svc.stopIntake();
      await guard.stop();
      await svc.drain();
      await relay.stop();
      await venue.close();
      await bus.close();
      await tdb.drop();
    },
  };
}

/**
 * The venue reconciliation against a stub execution peer over real gRPC (GetVenueBalances):
 * paper mode (no venue listed) compares nothing and exports the families without series; a live
 * venue's balances give one drift series per asset; an unreadable venue or a malformed reply is
 * counted and compares nothing.
 */
import { Registry } from 'prom-client';
import { createGrpcServer, createLogger, createMetrics, loadProto, type ExecutionHandlers, type ExecutionProtoGrpcType, type GrpcServerKit } from '@cte/shared';
import { createPortfolioMetrics, type PortfolioMetrics } from '../adapters/metrics';
import { ExecutionBalances, VenueReconciler } from '../adapters/venue-reconciler';
import { Exact, exactState, Portfolio } from '../engine';

const API_KEY = 'reconcile-test-key';
const logLines: string[] = [];
const logger = createLogger({ service: 'portfolio-test', level: 'warn', destination: { write: (s: string) => void logLines.push(s) } });

interface Reply {
  venues: Array<{ venue: string; balances: Array<{ asset: string; total: string }>; error: string }>;
}
let reply: Reply = { venues: [] };
let kit: GrpcServerKit;
let source: ExecutionBalances;
let registry: Registry;
let metrics: PortfolioMetrics;
let reconciler: VenueReconciler;

beforeAll(async () => {
  kit = createGrpcServer({ service: 'execution', apiKey: API_KEY, logger, registry: createMetrics('execution-stub') });
  const handlers: Pick<ExecutionHandlers, 'GetVenueBalances'> = { GetVenueBalances: (_call, cb) => cb(null, reply) };
  kit.addService(loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto').cte.execution.v1.Execution.service, handlers);
  const port = await kit.listen(0, '127.0.0.1');
  source = new ExecutionBalances({ address: `127.0.0.1:${port}`, apiKey: API_KEY, deadlineMs: 5_000, logger });
});

beforeEach(() => {
  registry = new Registry();
  metrics = createPortfolioMetrics(registry, { gauges: () => ({ equity: 0, unrealized: 0, drawdown: 0 }) });
  const ledger = exactState({ seq: 3, balances: [{ asset: 'USDT', total: '1000' }, { asset: 'BTC', total: '0.5' }], positions: [] });
  const portfolio = new Portfolio({ quoteCurrency: 'USDT', initialCapital: new Exact('1000'), ledger });
  reconciler = new VenueReconciler({ source, portfolio, metrics, tolerance: { absolute: new Exact('0.00000001'), relative: new Exact('0.001') }, intervalMs: 0, logger });
  logLines.length = 0;
});

afterAll(async () => {
  source?.close();
  await kit?.shutdown(100);
});

async function runs(outcome: string): Promise<number> {
  const m = await registry.getSingleMetric('cte_portfolio_reconciliation_runs_total')!.get();
  return m.values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
}

async function drifts(name = 'cte_portfolio_reconciliation_drift'): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(m.values.map((v) => [`${v.labels['venue']}/${v.labels['asset']}`, v.value]));
}

it('paper mode: execution lists no venue, nothing is compared, the families have no drift series', async () => {
  reply = { venues: [] };
  expect(await reconciler.runOnce()).toBe('no_venues');
  expect(await runs('no_venues')).toBe(1);
  expect(await drifts()).toEqual({});
  const text = await registry.metrics();
  expect(text).toContain('# TYPE cte_portfolio_reconciliation_drift gauge');
  expect(text).not.toMatch(/^cte_portfolio_reconciliation_drift\{/m);
});

it('a live venue: one drift series per asset (venue − ledger), a warning when over tolerance', async () => {
  reply = { venues: [{ venue: 'binanceus', balances: [{ asset: 'BTC', total: '0.5' }, { asset: 'USDT', total: '1000' }], error: '' }] };
  expect(await reconciler.runOnce()).toBe('ok');
  expect(await drifts()).toEqual({ 'binanceus/BTC': 0, 'binanceus/USDT': 0 });
  expect(logLines.join('')).toBe('');

  reply = { venues: [{ venue: 'binanceus', balances: [{ asset: 'BNB', total: '0.02' }, { asset: 'USDT', total: '990.5' }], error: '' }] };
  expect(await reconciler.runOnce()).toBe('drift');
  expect(await drifts()).toEqual({ 'binanceus/BNB': 0.02, 'binanceus/BTC': -0.5, 'binanceus/USDT': -9.5 });
  expect(await drifts('cte_portfolio_reconciliation_drift_ratio')).toEqual({ 'binanceus/BNB': 1, 'binanceus/BTC': 1, 'binanceus/USDT': 0.0095 });
  expect(await runs('ok')).toBe(1);
  expect(await runs('drift')).toBe(1);
  expect(logLines.join('')).toMatch(/ledger differs from the venue balances/);
});

it('an unreadable venue or a malformed reply compares nothing', async () => {
  reply = { venues: [{ venue: 'binanceus', balances: [], error: 'binanceus fetchBalance failed: NetworkError' }] };
  expect(await reconciler.runOnce()).toBe('venue_error');
  reply = { venues: [{ venue: 'binanceus', balances: [{ asset: 'USDT', total: '-5' }], error: '' }] };
  expect(await reconciler.runOnce()).toBe('failed');
  reply = { venues: [{ venue: 'binanceus', balances: [{ asset: 'USDT', total: '1e3' }], error: '' }] };
  expect(await reconciler.runOnce()).toBe('failed');
  expect([await runs('venue_error'), await runs('failed')]).toEqual([1, 2]);
  expect(await drifts()).toEqual({});
  expect(await drifts('cte_portfolio_reconciliation_drift_ratio')).toEqual({});
});

/**
 * portfolio as a real process (compiled dist/main.js) against real MariaDB and Redis: fills in on
 * the durable stream, prices in over pub/sub, books out over REST, gRPC and MySQL; rebalancing
 * through a test double of recommendations (a real gRPC server implementing its proto); metrics;
 * SIGTERM → exit 0, and everything (books, peak, start of day) reloaded after a restart.
 * Build first: `npx tsc -b services/portfolio` (make test does).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import {
  createGrpcClient,
  createGrpcServer,
  createLogger,
  createMetrics,
  FailedPreconditionError,
  lintMetricsText,
  loadProto,
  NotFoundError,
  RedisBus,
  unary,
  type FillMessage,
  type GrpcClient,
  type GrpcServerKit,
  type PortfolioClient,
  type PortfolioProtoGrpcType,
  type RecommendationsHandlers,
  type RecommendationsProtoGrpcType,
  type UnaryRequest,
} from '@cte/shared';
import {
  findPromtool,
  createTestDatabase,
  freePort,
  waitFor,
  type RunningService,
  type TestDatabase,
} from '@cte/testkit';
import { UNITLESS_MONEY_METRICS } from '../adapters/metrics';
import type { PortfolioApi } from '../adapters/portfolio-api';
import { Exact } from '../engine/money';
import { metricValue, startPortfolio } from './helpers/service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const tag = randomBytes(4).toString('hex');
const NAMESPACE = `test-pf-svc-${tag}:`;
const API_KEY = `test-key-${tag}-${randomBytes(8).toString('hex')}`;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const D1 = Date.UTC(2019, 7, 20);

let tdb: TestDatabase;
let bus: RedisBus;
let redis: Redis;
let svc: RunningService;
let client: GrpcClient<PortfolioClient>;
let recs: GrpcServerKit;
const proposals: Array<UnaryRequest<import('@cte/shared').RecommendationsClient, 'Propose'>> = [];
let n = 0;

const env = (recsAddr: string): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE: NAMESPACE,
  INITIAL_CAPITAL: '50000',
  SNAPSHOT_INTERVAL_MS: '100',
  RECOMMENDATIONS_GRPC_ADDR: recsAddr,
  REBALANCE_MIN_NOTIONAL: '10',
  TRADABLE_SYMBOLS: 'BTC/USD,ETH/USD,SOL/USD',
});
let recsAddr = '';

const api = (p: string, init: RequestInit = {}) => fetch(`${svc.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': API_KEY, 'content-type': 'application/json', ...(init.headers ?? {}) } });
/** What each route answers: the return type of the PortfolioApi method behind it (adapters/http.ts). */
type RouteBody<P extends string> = P extends `/portfolio${string}`
  ? ReturnType<PortfolioApi['summary']>
  : P extends `/positions${string}`
    ? ReturnType<PortfolioApi['positions']>
    : P extends `/balances${string}`
      ? ReturnType<PortfolioApi['balances']>
      : P extends `/pnl${string}`
        ? ReturnType<PortfolioApi['pnl']>
        : P extends `/exposure${string}`
          ? ReturnType<PortfolioApi['exposure']>
          : P extends `/snapshots${string}`
            ? Awaited<ReturnType<PortfolioApi['snapshots']>>
            : P extends `/rebalance${string}`
              ? Awaited<ReturnType<PortfolioApi['rebalance']>>
              : unknown;
const json = async <P extends string>(p: P, init?: RequestInit): Promise<RouteBody<P>> => (await (await api(p, init)).json()) as RouteBody<P>;
const post = (p: string, body: unknown) => api(p, { method: 'POST', body: JSON.stringify(body) });
const metrics = async () => (await fetch(`${svc.httpUrl}/metrics`)).text();

function fill(symbol: string, side: 'buy' | 'sell', qty: string, price: string, fee = '0', over: Partial<FillMessage> = {}): FillMessage {
  n++;
  return {
    fill_id: `svc-${tag}-${n}`, venue: 'paper', venue_trade_id: `vt-${tag}-${n}`, order_id: `o-${n}`, client_order_id: `c-${n}`, symbol, side, qty, price, fee,
    fee_currency: 'USD', liquidity: 'taker', ts: Date.now(), trace_id: `trace-${tag}-${n}`, ...over,
  };
}
const appendFill = (f: unknown) => bus.append('events.fills', { type: 'fill', data: f, trace_id: `trace-${tag}-${randomBytes(3).toString('hex')}` });
const tick = (symbol: string, price: string, ts: number) => bus.publish(`data.ticks.${symbol.replace('/', '-')}`, { type: 'tick', data: { exchange: 'test', symbol, price, ts } });
const fillsApplied = async (): Promise<number> => (await json('/portfolio')).fills_applied;

/** A stand-in for recommendations: its real proto on a real gRPC server, idempotent by key; refuses ETH. */
async function startFakeRecommendations(): Promise<void> {
  const proto = loadProto<RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
  recs = createGrpcServer({ service: 'recommendations-double', apiKey: API_KEY, logger, registry: createMetrics('recommendations-double') });
  const byKey = new Map<string, string>();
  const handlers: RecommendationsHandlers = {
    Propose: unary(async (req) => {
      proposals.push(req);
      if (req.symbol.startsWith('ETH/')) throw new FailedPreconditionError('trading is REDUCING: ETH/USD refused');
      const id = byKey.get(req.idempotency_key) ?? `rec-${byKey.size + 1}`;
      byKey.set(req.idempotency_key, id);
      return { id, symbol: req.symbol, side: req.side, status: 'pending', source: req.source, qty: req.qty, approved_qty: '', reasons: [], trace_id: req.trace_id };
    }),
    GetRecommendation: unary(async () => {
      throw new NotFoundError('no such recommendation');
    }),
    ListRecommendations: unary(async () => ({ recommendations: [], total: 0 })),
  };
  recs.addService(proto.cte.recommendations.v1.Recommendations.service, handlers);
  const port = await recs.listen(await freePort(), '127.0.0.1');
  recsAddr = `127.0.0.1:${port}`;
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: NAMESPACE });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await startFakeRecommendations();
  svc = await startPortfolio({ env: env(recsAddr), apiKey: API_KEY });
  const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
  client = createGrpcClient<PortfolioClient>(proto.cte.portfolio.v1.Portfolio, svc.grpcAddress, { apiKey: API_KEY, deadlineMs: 3000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await recs?.shutdown(100);
  await bus?.close();
  if (redis) {
    await redis.del(`${NAMESPACE}events.fills`, `${NAMESPACE}events.fills.dlq`).catch(() => undefined);
    redis.disconnect();
  }
  await tdb?.drop();
});

describe('probes and auth', () => {
  it('health and ready need no key; ready checks mysql and redis', async () => {
    expect(await (await fetch(`${svc.httpUrl}/health`)).json()).toMatchObject({ status: 'ok', service: 'portfolio' });
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(Object.keys(ready.checks).sort()).toEqual(['mysql', 'redis']);
  });

  it('every API route and RPC needs the key', async () => {
    for (const p of ['/portfolio', '/positions', '/balances', '/pnl', '/exposure', '/snapshots']) expect((await fetch(`${svc.httpUrl}${p}`)).status).toBe(401);
    expect((await fetch(`${svc.httpUrl}/rebalance`, { method: 'POST' })).status).toBe(401);
    const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
    const raw = new proto.cte.portfolio.v1.Portfolio(svc.grpcAddress, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => raw.GetExposure({}, (err) => resolve(err?.code ?? 0)));
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('the books', () => {
  it('starts with the initial capital seeded once', async () => {
    const p = await json('/portfolio');
    expect(p).toMatchObject({
      quote_currency: 'USD', initial_capital: '50000', cash: '50000', equity: '50000', realized_pnl: '0', unrealized_pnl: '0', fees: '0',
      peak_equity: '50000', drawdown_pct: '0', positions: [], balances: [{ asset: 'USD', total: '50000' }], fills_applied: 0,
    });
    expect(await json('/balances')).toMatchObject({ quote_currency: 'USD', balances: [{ asset: 'USD', total: '50000' }] });
  });

  it('applies fills; a position without a price is valued at its average entry', async () => {
    await appendFill(fill('BTC/USD', 'buy', '1', '10000', '10'));
    await appendFill(fill('ETH/USD', 'sell', '5', '200', '1'));
    await waitFor('two fills', async () => (await fillsApplied()) === 2);
    const p = await json('/portfolio');
    expect(p).toMatchObject({ cash: '40989', equity: '49989', unrealized_pnl: '0', fees: '11', open_positions: 2 });
    expect(p.positions).toEqual([
      { symbol: 'BTC/USD', qty: '1', avg_entry_price: '10000', realized_pnl: '0', fees: '10', mark_price: null, mark_ts: null, valued_at: 'avg_entry', unrealized_pnl: '0', notional: '10000', market_value: '10000', fills: 1, updated_at: expect.any(Number) },
      { symbol: 'ETH/USD', qty: '-5', avg_entry_price: '200', realized_pnl: '0', fees: '1', mark_price: null, mark_ts: null, valued_at: 'avg_entry', unrealized_pnl: '0', notional: '1000', market_value: '-1000', fills: 1, updated_at: expect.any(Number) },
    ]);
    expect(p.balances).toEqual([{ asset: 'BTC', total: '1' }, { asset: 'ETH', total: '-5' }, { asset: 'USD', total: '40989' }]);
    const [row] = await tdb.db.query<{ total: string }>("SELECT total FROM balances WHERE asset = 'USD'");
    expect(row!.total).toBe('40989.000000000000000000');
  });

  it('marks positions with prices; the day and the peak follow price data time', async () => {
    await tick('BTC/USD', '11000', D1 + HOUR);
    await waitFor('BTC marked', async () => (await json('/portfolio')).equity === '50989');
    let pnl = await json('/pnl');
    expect(pnl.daily).toEqual({ day_start: D1, start_of_day_equity: '49989', daily_pnl: '1000' });
    expect(pnl.drawdown).toMatchObject({ peak_equity: '50989', peak_at: D1 + HOUR, drawdown_ratio: '0', drawdown_pct: '0' });
    await tick('BTC/USD', '12000', D1 + 2 * HOUR);
    await tick('BTC/USD', '11500', D1 + DAY + HOUR);
    await tick('ETH/USD', '210', D1 + DAY + 2 * HOUR);
    await waitFor('ETH marked', async () => (await json('/portfolio')).equity === '51439');
    pnl = await json('/pnl');
    expect(pnl).toMatchObject({ realized_pnl: '0', unrealized_pnl: '1450', fees: '11', net_pnl: '1439', total_pnl: '1439', equity: '51439', initial_capital: '50000' });
    expect(pnl.daily).toEqual({ day_start: D1 + DAY, start_of_day_equity: '51989', daily_pnl: '-550' });
    const ratio = new Exact(550).div(51989);
    expect(pnl.drawdown).toEqual({ peak_equity: '51989', peak_at: D1 + 2 * HOUR, drawdown_ratio: ratio.toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed(), drawdown_pct: ratio.times(100).toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed() });
    expect(pnl.by_symbol).toEqual([
      { symbol: 'BTC/USD', realized_pnl: '0', unrealized_pnl: '1500', fees: '10' },
      { symbol: 'ETH/USD', realized_pnl: '0', unrealized_pnl: '-50', fees: '1' },
    ]);
    const eth = (await json('/positions?open=true')).positions[1];
    expect(eth).toMatchObject({ symbol: 'ETH/USD', mark_price: '210', mark_ts: D1 + DAY + 2 * HOUR, valued_at: 'mark', notional: '1050', market_value: '-1050' });
  });

  it('serves the same over gRPC, from memory', async () => {
    const rest = await json('/portfolio');
    const g = await client.unary('GetPortfolio', {});
    expect(g).toMatchObject({
      quote_currency: 'USD', initial_capital: '50000', cash: rest.cash, equity: '51439', realized_pnl: '0', unrealized_pnl: '1450', fees: '11',
      peak_equity: '51989', drawdown_pct: rest.drawdown_pct, fills_applied: '2', balances: rest.balances,
    });
    expect(g.positions.map((p) => [p.symbol, p.qty, p.avg_entry_price, p.mark_price, p.unrealized_pnl, p.notional])).toEqual([
      ['BTC/USD', '1', '10000', '11500', '1500', '11500'],
      ['ETH/USD', '-5', '200', '210', '-50', '1050'],
    ]);
    const positions = await client.unary('GetPositions', {});
    expect(positions.positions.map((p) => p.symbol)).toEqual(['BTC/USD', 'ETH/USD']);
    const e = await client.unary('GetExposure', {});
    const pct = (x: number) => new Exact(x).div(51439).times(100).toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed();
    expect(e).toMatchObject({
      equity: '51439', gross_exposure: '12550', gross_exposure_pct: pct(12550), net_exposure: '10450', start_of_day_equity: '51989', daily_pnl: '-550', peak_equity: '51989',
      drawdown_pct: rest.drawdown_pct,
    });
    expect(e.symbols).toEqual([
      { symbol: 'BTC/USD', qty: '1', notional: '11500', pct_of_equity: pct(11500) },
      { symbol: 'ETH/USD', qty: '-5', notional: '1050', pct_of_equity: pct(1050) },
    ]);
    expect(Number(e.as_of)).toBeGreaterThan(Date.now() - 60_000);
    const restExposure = await json('/exposure');
    expect({ ...restExposure, as_of: 0 }).toEqual({ ...e, as_of: 0 });
  });

  it('skips a redelivered fill and dead-letters a bad one; neither changes the books', async () => {
    const before = await json('/portfolio');
    const dup = fill('BTC/USD', 'buy', '1', '10000', '10', { fill_id: `svc-${tag}-1`, venue_trade_id: `vt-${tag}-1` });
    await appendFill(dup);
    await appendFill({ ...fill('BTC/USD', 'buy', '1', '1'), price: '12.3.4' });
    await waitFor('dead-lettered', async () => (await redis.xlen(`${NAMESPACE}events.fills.dlq`)) === 1);
    await waitFor('duplicate counted', async () => metricValue(await metrics(), 'cte_fills_duplicate_total', { key: 'fill_id' }) === 1);
    const after = await json('/portfolio');
    expect({ ...after, as_of: 0 }).toEqual({ ...before, as_of: 0 });
    const [entry] = (await redis.call('XRANGE', `${NAMESPACE}events.fills.dlq`, '-', '+')) as Array<[string, string[]]>;
    expect(JSON.parse(entry![1][1]!)).toMatchObject({ type: 'fill_rejected', data: { reason: 'invalid', error: expect.stringContaining('fill.price') } });
  });

  it('writes the equity curve to portfolio_snapshots and serves it', async () => {
    const body = await waitFor('a snapshot at the current equity', async () => {
      const s = await json('/snapshots');
      return s.snapshots.at(-1)?.equity === '51439' ? s : undefined;
    });
    const last = body.snapshots.at(-1)!;
    expect(last).toMatchObject({ equity: '51439', cash: '40989', unrealized_pnl: '1450', peak_equity: '51989', start_of_day_equity: '51989', daily_pnl: '-550', open_positions: 2, fills_applied: 2, data_ts: D1 + DAY + 2 * HOUR });
    const ts = body.snapshots.map((s) => s.ts);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect((await json(`/snapshots?limit=1`)).snapshots).toEqual([last]);
    expect((await json(`/snapshots?from=${last.ts + 1}&to=${last.ts + 2}`)).snapshots).toEqual([]);
    expect((await json(`/snapshots?from=${last.ts}`)).snapshots[0]).toEqual(last);
    for (const [q, field] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['limit=10001', 'limit'], ['from=-1', 'from'], ['from=5&to=4', 'from']]) {
      const res = await api(`/snapshots?${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    }
    expect((await api('/positions?open=maybe')).status).toBe(400);
  });
});

describe('rebalancing', () => {
  it('refuses bad targets with 400 naming the field, and symbols without a price with 409', async () => {
    for (const [body, field] of [
      [{ targets: { 'BTC/USD': 1.5 } }, 'targets.BTC/USD'],
      [{ targets: { 'BTC/USD': 0.6, 'ETH/USD': 0.6 } }, 'sum to at most 1'],
      [{ targets: { 'BTC/EUR': 0.1 } }, 'quoted in USD'],
      [{ targets: { 'BTC/USD': 0.1, 'FOO/USD': 0.1 } }, 'targets: unknown symbol FOO/USD: tradable symbols are BTC/USD, ETH/USD, SOL/USD'],
      [{ targets: 'all in' }, 'targets'],
      [{ targets: { 'BTC/USD': 0.1 }, execute: 1 }, 'execute'],
    ] as const) {
      const res = await post('/rebalance', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    }
    const bad = await api('/rebalance', { method: 'POST', body: '{"targets":' });
    expect(bad.status).toBe(400);
    const noPrice = await post('/rebalance', { targets: { 'SOL/USD': 0.1 } });
    expect(noPrice.status).toBe(409);
    expect(await noPrice.json()).toMatchObject({ error: { code: 'FAILED_PRECONDITION', message: expect.stringContaining('SOL/USD') } });
    expect(proposals).toEqual([]);
  });

  it('proposes the orders that reach the weights, without sending anything unless asked', async () => {
    const r = await json('/rebalance', { method: 'POST', body: JSON.stringify({ targets: { 'BTC/USD': 0.3, 'ETH/USD': 0 } }) });
    expect(r).toMatchObject({ executed: false, quote_currency: 'USD', equity: '51439', proposed: 0, failed: 0, skipped: [] });
    // BTC: (0.3 × 51439 − 11500) / 11500 = 0.34188695|65… → 0.34188695; ETH: (0 − (−1050)) / 210 = 5
    expect(r.orders).toEqual([
      { symbol: 'BTC/USD', side: 'buy', qty: '0.34188695', price: '11500', notional: '3931.699925', target_weight: '0.3', current_weight: new Exact(11500).div(51439).toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed(), target_notional: '15431.7', current_notional: '11500', idempotency_key: `rebalance:${r.rebalance_id}:BTC-USD` },
      { symbol: 'ETH/USD', side: 'buy', qty: '5', price: '210', notional: '1050', target_weight: '0', current_weight: new Exact(-1050).div(51439).toDecimalPlaces(18, Exact.ROUND_HALF_UP).toFixed(), target_notional: '0', current_notional: '-1050', idempotency_key: `rebalance:${r.rebalance_id}:ETH-USD` },
    ]);
    expect(proposals).toEqual([]);
  });

  it('with execute, sends them through recommendations Propose (never execution), idempotently', async () => {
    const body = JSON.stringify({ targets: { 'BTC/USD': 0.3, 'ETH/USD': 0 }, execute: true, rebalance_id: `rb-${tag}` });
    const r = await json('/rebalance', { method: 'POST', body, headers: { 'x-trace-id': `trace-rb-${tag}` } });
    expect(r).toMatchObject({ rebalance_id: `rb-${tag}`, executed: true, proposed: 1, failed: 1 });
    expect(r.orders[0]?.recommendation).toEqual({ id: 'rec-1', status: 'pending', qty: '0.34188695', approved_qty: '', reasons: [] });
    expect(r.orders[1]?.error).toEqual({ code: 'FAILED_PRECONDITION', message: 'trading is REDUCING: ETH/USD refused' });
    expect(proposals).toEqual([
      { symbol: 'BTC/USD', side: 'buy', qty: '0.34188695', source: 'rebalance', reason: expect.stringContaining(`rebalance rb-${tag}`), idempotency_key: `rebalance:rb-${tag}:BTC-USD`, trace_id: `trace-rb-${tag}` },
      { symbol: 'ETH/USD', side: 'buy', qty: '5', source: 'rebalance', reason: expect.any(String), idempotency_key: `rebalance:rb-${tag}:ETH-USD`, trace_id: `trace-rb-${tag}` },
    ]);
    // The same rebalance again: the same keys, so recommendations answers with the same recommendation.
    const again = await json('/rebalance', { method: 'POST', body });
    expect(again.orders[0]?.recommendation?.id).toBe('rec-1');
    expect(proposals[2]!.idempotency_key).toBe(`rebalance:rb-${tag}:BTC-USD`);
  });
});

describe('hostile input (issue 10)', () => {
  it('POST /rebalance: 45,000-deep JSON is a 400 naming the field (not a 500); a 90 KB bad key gets a bounded message', async () => {
    const deep = `${'['.repeat(45_000)}0${']'.repeat(45_000)}`;
    const res = await api('/rebalance', { method: 'POST', body: `{"targets":{"BTC/USD":${deep}}}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'targets is nested deeper than 32 levels',
      details: { field: 'targets', max_depth: 32 },
    });
    const big = await post('/rebalance', { targets: { ['X'.repeat(90_000)]: 0.1 } });
    expect(big.status).toBe(400);
    const error = ((await big.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message.length).toBeLessThanOrEqual(512);
  });
});

describe('metrics', () => {
  it('exposes the ledger metrics; every name but the two the issue fixes passes the kit lint', async () => {
    const text = await metrics();
    expect(metricValue(text, 'cte_fills_applied_total')).toBe(2);
    expect(metricValue(text, 'cte_fills_duplicate_total', { key: 'fill_id' })).toBe(1);
    expect(metricValue(text, 'cte_fills_rejected_total', { reason: 'invalid' })).toBe(1);
    expect(metricValue(text, 'cte_equity')).toBe(51439);
    expect(metricValue(text, 'cte_unrealized_pnl')).toBe(1450);
    expect(metricValue(text, 'cte_drawdown_ratio')).toBeCloseTo(550 / 51989, 12);
    expect(metricValue(text, 'cte_fill_apply_seconds_count')).toBe(2);
    expect(metricValue(text, 'cte_pipeline_latency_seconds_count', { stage: 'portfolio' })).toBe(2);
    expect(metricValue(text, 'cte_portfolio_prices_total')).toBe(4);
    const problems = lintMetricsText(text);
    expect(problems.filter((p) => !UNITLESS_MONEY_METRICS.some((m) => p.startsWith(`${m}:`)))).toEqual([]);
    // The only findings are the names the issue fixes (money and asset units have no unit suffix).
    expect(problems.map((p) => p.slice(0, p.indexOf(':'))).sort()).toEqual(['cte_equity', 'cte_portfolio_reconciliation_drift', 'cte_unrealized_pnl']);
    const promtool = findPromtool();
    if (promtool) {
      const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const findings = `${res.stdout}${res.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/^(process_|nodejs_)/.test(l));
      expect(findings).toEqual([]);
    }
  });
});

describe('shutdown and restart', () => {
  it('SIGTERM exits 0 after a last snapshot; a restart reloads books, peak and start of day from MySQL', async () => {
    const before = await json('/portfolio');
    const beforePnl = await json('/pnl');
    expect(await svc.stop()).toBe(0);
    const [last] = await tdb.db.query<{ equity: string }>('SELECT equity FROM portfolio_snapshots ORDER BY id DESC LIMIT 1');
    expect(new Exact(last!.equity).toFixed()).toBe('51439');

    // A fill that arrives while portfolio is down waits in the stream.
    await appendFill(fill('BTC/USD', 'buy', '0.5', '11000'));
    svc = await startPortfolio({ env: env(recsAddr), apiKey: API_KEY });
    client.close();
    const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
    client = createGrpcClient<PortfolioClient>(proto.cte.portfolio.v1.Portfolio, svc.grpcAddress, { apiKey: API_KEY, deadlineMs: 3000 });
    expect(svc.logs()).toContain('"seeded":false');
    await waitFor('the fill sent while down', async () => (await fillsApplied()) === 3);

    const p = await json('/portfolio');
    expect(p).toMatchObject({ initial_capital: '50000', cash: '35489', peak_equity: before.peak_equity, fills_applied: 3 });
    expect(p.positions.map((x: { symbol: string; qty: string; avg_entry_price: string; realized_pnl: string; fees: string; valued_at: string }) => [x.symbol, x.qty, x.avg_entry_price, x.realized_pnl, x.fees, x.valued_at])).toEqual([
      ['BTC/USD', '1.5', '10333.333333333333333333', '0', '10', 'avg_entry'],
      ['ETH/USD', '-5', '200', '0', '1', 'avg_entry'],
    ]);
    // Marks are not persisted (prices come back with the next ticks): valued at average entry meanwhile.
    // 35489 + 1.5 × 10333.333333333333333333 − 5 × 200 = 49988.9999999999999999995 → 49989 (18 decimals, half up)
    expect(p.equity).toBe('49989');
    const pnl = await json('/pnl');
    expect(pnl.daily).toEqual({ day_start: beforePnl.daily.day_start, start_of_day_equity: beforePnl.daily.start_of_day_equity, daily_pnl: '-2000' });
    expect(pnl.drawdown.peak_at).toBe(beforePnl.drawdown.peak_at);
    const g = await client.unary('GetExposure', {});
    expect(g).toMatchObject({ equity: '49989', start_of_day_equity: '51989', peak_equity: '51989' });
  });
});

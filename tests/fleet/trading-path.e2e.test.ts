/**
 * The trading path end to end, every service a real process on real MariaDB and Redis:
 * replayed bars → signals → consensus → recommendations → risk → execution (mock venue) → fills →
 * portfolio. The books must agree exactly with the trades table, and the kill switch must stop
 * every path to the venue. Needs `make build` first (make test does it).
 */
import path from 'node:path';
import type { PortfolioApi } from '../../services/portfolio/src/adapters/portfolio-api';
import { createLogger, Dec, type ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, startService, waitFor, type RunningService, type TestDatabase, peerAddressEnv } from '@cte/testkit';
import { countRows, settleCount, tearDownOnSharedRedis } from './helpers/shared';

const REPO = path.resolve(__dirname, '..', '..');
const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');
const BUS_NAMESPACE = `test-e2e-${Math.random().toString(36).slice(2)}:`;
const HISTORY_END = Date.UTC(2019, 5, 15);
const apiKey = `e2e-key-${Date.now()}`;
const logger = createLogger({ service: 'test', level: 'silent' });

const SERVICES_UP: ServiceName[] = ['portfolio', 'risk', 'execution', 'signals-aggregator', 'signal-generator', 'recommendations'];
let tdb: TestDatabase;
const ports = new Map<ServiceName, { http: number; grpc: number }>();
const running = new Map<ServiceName, RunningService>();

function envFor(name: ServiceName, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MYSQL_URL: tdb.url,
    BUS_NAMESPACE,
    ...peerAddressEnv((n) => ports.get(n)?.grpc),
    ...(name === 'price-stream' ? { REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50' } : {}),
    ...(name === 'signal-generator' ? { MODEL_DIR, WARM_START_BARS: '300', SIGNAL_TIMEFRAMES: '1h' } : {}),
    // One decision per bar (issue 13): over these 14 days the four seeded sources rarely agree on
    // a bar, so a lone BUY/SELL source may decide (quorum 1) and the path gets trades to check.
    ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h', CONSENSUS_MIN_QUORUM: '1' } : {}),
    ...(name === 'recommendations' ? { ALLOW_SHORT: 'true', REC_TIMEFRAME: '1h' } : {}),
    ...extra,
  };
}

async function start(name: ServiceName, extra: Record<string, string> = {}): Promise<RunningService> {
  const p = ports.get(name)!;
  const svc = await startService(name, { apiKey, httpPort: p.http, grpcPort: p.grpc, env: envFor(name, extra), readyTimeoutMs: 60_000 });
  running.set(name, svc);
  return svc;
}

const api = (name: ServiceName, p: string, init: RequestInit = {}) =>
  fetch(`${running.get(name)!.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) } });

const count = (sql: string): Promise<number> => countRows(tdb.db, sql);

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  for (const n of [...SERVICES_UP, 'price-stream'] as ServiceName[]) ports.set(n, { http: await freePort(), grpc: await freePort() });
  // History for warm starts, as an earlier run of price-stream would have left it.
  const history = await start('price-stream', { REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: String(HISTORY_END - 1), REPLAY_SPEED: '0' });
  await waitFor('history', async () => ((await count("SELECT COUNT(*) AS n FROM crypto_prices WHERE timeframe = '1h'")) >= 300 ? true : undefined), 30_000);
  expect(await history.stop()).toBe(0);
  for (const n of SERVICES_UP) await start(n);
  await start('price-stream', { REPLAY_START: String(HISTORY_END), REPLAY_END: String(HISTORY_END + 14 * 86_400_000 - 1), REPLAY_SPEED: '100000' });
  await waitFor('replay finished', () => running.get('price-stream')!.logs().includes('"replay finished"') || undefined, 90_000);
  await settleCount(tdb.db, 'SELECT COUNT(*) AS n FROM trades', 2500, 90_000);
}, 240_000);

afterAll(() => tearDownOnSharedRedis(running.values(), BUS_NAMESPACE, tdb), 60_000);

it('turns replayed bars into signals, consensus, recommendations, risk decisions, orders and fills', async () => {
  expect(await count('SELECT COUNT(*) AS n FROM ml_signals')).toBeGreaterThan(0);
  expect(await count("SELECT COUNT(*) AS n FROM consensus_signals WHERE side <> 'HOLD'")).toBeGreaterThan(0);
  expect(await count('SELECT COUNT(*) AS n FROM trade_recommendations')).toBeGreaterThan(0);
  expect(await count('SELECT COUNT(*) AS n FROM risk_events')).toBeGreaterThan(0);
  expect(await count('SELECT COUNT(*) AS n FROM orders')).toBeGreaterThan(0);
  expect(await count('SELECT COUNT(*) AS n FROM trades')).toBeGreaterThan(0);
  // One order per submitted recommendation, never two.
  const dupes = await tdb.db.query<{ recommendation_id: string }>(
    "SELECT recommendation_id FROM orders WHERE recommendation_id <> '' GROUP BY recommendation_id HAVING COUNT(*) > 1",
  );
  expect(dupes).toEqual([]);
  const recs = (await (await api('recommendations', '/recommendations?limit=200')).json()) as { total: number; recommendations: { status: string }[] };
  expect(recs.total).toBeGreaterThan(0);
  expect(recs.recommendations.some((r) => ['filled', 'partially_filled', 'submitted'].includes(r.status))).toBe(true);
});

it('portfolio positions and cash agree exactly with the trades table', async () => {
  const fills = await count('SELECT COUNT(*) AS n FROM trades');
  await waitFor('every fill applied', async () => ((await count('SELECT COUNT(*) AS n FROM applied_fills')) === fills ? true : undefined), 30_000);
  // Independent recomputation in SQL, with DECIMAL arithmetic.
  const bySymbol = await tdb.db.query<{ symbol: string; qty: string }>(
    "SELECT symbol, SUM(CASE WHEN side = 'buy' THEN qty ELSE -qty END) AS qty FROM trades GROUP BY symbol",
  );
  const [cashRow] = await tdb.db.query<{ cash: string }>(
    "SELECT 100000 + SUM(CASE WHEN side = 'sell' THEN qty * price ELSE -(qty * price) END) - SUM(fee) AS cash FROM trades",
  );
  const list = ((await (await api('portfolio', '/positions')).json()) as ReturnType<PortfolioApi['positions']>).positions;
  for (const row of bySymbol) {
    const pos = list.find((p) => p.symbol === row.symbol);
    expect(new Dec(pos?.qty ?? '0').toFixed()).toBe(new Dec(row.qty).toFixed());
  }
  const balances = (await (await api('portfolio', '/balances')).json()) as ReturnType<PortfolioApi['balances']>;
  const usd = balances.balances.find((b) => b.asset === 'USD');
  expect(new Dec(usd?.total ?? '0').toFixed()).toBe(new Dec(cashRow!.cash).toFixed());
});

it('exposes the trading metrics', async () => {
  const text = async (n: ServiceName) => (await fetch(`${running.get(n)!.httpUrl}/metrics`)).text();
  expect(await text('execution')).toMatch(/cte_orders_total\{[^}]*status="FILLED"/);
  expect(await text('execution')).toMatch(/cte_fills_total[^\n]* [1-9]/);
  expect(await text('risk')).toMatch(/cte_risk_decisions_total\{[^}]*decision="/);
  expect(await text('portfolio')).toMatch(/^cte_equity[ {]/m);
});

it('with HALTED set, no opening order reaches the venue through any path', async () => {
  const halt = await api('risk', '/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'HALTED', reason: 'e2e test' }) });
  expect(halt.status).toBe(200);
  await waitFor('execution sees HALTED', async () => {
    const r = await api('execution', '/orders', {
      method: 'POST',
      body: JSON.stringify({ client_order_id: `probe-${Date.now()}`, symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.001' }),
    });
    const body = await r.json();
    return /halt/i.test(JSON.stringify(body)) ? true : undefined;
  });
  const tradesBefore = await count('SELECT COUNT(*) AS n FROM trades');
  // Path 1: straight to execution, bypassing risk.
  const direct = await api('execution', '/orders', {
    method: 'POST',
    body: JSON.stringify({ client_order_id: `bypass-${Date.now()}`, symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01' }),
  });
  expect(JSON.stringify(await direct.json())).toMatch(/halt/i);
  // Path 2: through risk, as recommendations does.
  const check = await api('risk', '/check', {
    method: 'POST',
    body: JSON.stringify({ recommendation_id: `e2e-${Date.now()}`, symbol: 'BTC/USD', side: 'buy', qty: '0.01' }),
  });
  const decision = (await check.json()) as { decision: string };
  expect(decision.decision).toBe('REJECTED');
  await new Promise((r) => setTimeout(r, 1000));
  expect(await count('SELECT COUNT(*) AS n FROM trades')).toBe(tradesBefore);
  await api('risk', '/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'ACTIVE', reason: 'e2e test done' }) });
});

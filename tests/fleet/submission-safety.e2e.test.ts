/**
 * Submission safety with the real services as processes (MariaDB, Redis real): execution stores
 * the order, but recommendations never records the acknowledgement (we erase it, as a crash
 * between execution's write and recommendations' bookkeeping would); then both processes are
 * killed and restarted. The sweeper must re-submit the same client order id, and exactly one
 * order (and one set of fills) must exist.
 */
import path from 'node:path';
import {
  createGrpcClient,
  createLogger,
  loadProto,
  type RecommendationsClient,
  type RecommendationsProtoGrpcType,
  type ServiceName,
} from '@cte/shared';
import {
  createTestDatabase,
  freePort,
  startService,
  waitFor,
  type RunningService,
  type TestDatabase,
  peerAddressEnv,
} from '@cte/testkit';
import { countRows, tearDownOnSharedRedis } from './helpers/shared';

const HOURLY = path.resolve(__dirname, '..', '..', 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const BUS_NAMESPACE = `test-subsafe-${Math.random().toString(36).slice(2)}:`;
const apiKey = `subsafe-key-${Date.now()}`;
const logger = createLogger({ service: 'test', level: 'silent' });
const NAMES: ServiceName[] = ['portfolio', 'risk', 'execution', 'recommendations', 'price-stream'];

let tdb: TestDatabase;
const ports = new Map<ServiceName, { http: number; grpc: number }>();
const running = new Map<ServiceName, RunningService>();

async function start(name: ServiceName): Promise<RunningService> {
  const p = ports.get(name)!;
  const svc = await startService(name, {
    apiKey,
    httpPort: p.http,
    grpcPort: p.grpc,
    readyTimeoutMs: 60_000,
    env: {
      MYSQL_URL: tdb.url,
      BUS_NAMESPACE,
      ...peerAddressEnv((n) => ports.get(n)?.grpc),
      REPLAY_FILES: HOURLY,
      REPLAY_START: '2019-06-01T00:00:00Z',
      REPLAY_SPEED: '3600',
      REPLAY_LOOP: 'true',
      TIMEFRAMES: '1h',
      SUBMIT_RETRY_AFTER_MS: '500',
      SWEEP_INTERVAL_MS: '200',
    },
  });
  running.set(name, svc);
  return svc;
}

const count = (sql: string, params: string[] = []): Promise<number> => countRows(tdb.db, sql, params);

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  for (const n of NAMES) ports.set(n, { http: await freePort(), grpc: await freePort() });
  for (const n of NAMES) await start(n);
  await waitFor('execution has a BTC/USD price', async () => {
    const r = await fetch(`${running.get('execution')!.httpUrl}/prices`, { headers: { 'X-TRADING-API-KEY': apiKey } });
    return JSON.stringify(await r.json()).includes('BTC/USD') ? true : undefined;
  }, 30_000);
}, 180_000);

afterAll(() => tearDownOnSharedRedis(running.values(), BUS_NAMESPACE, tdb), 60_000);

it('a lost acknowledgement and a restart of everything never create a second order', async () => {
  const proto = loadProto<RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
  const client = createGrpcClient<RecommendationsClient>(proto.cte.recommendations.v1.Recommendations, `127.0.0.1:${ports.get('recommendations')!.grpc}`, {
    apiKey,
    deadlineMs: 10_000,
  });
  const rec = await client.unary('Propose', { symbol: 'BTC/USD', side: 'buy', qty: '0.01', source: 'manual', reason: 'submission safety test', idempotency_key: `k-${Date.now()}` });
  client.close();
  const clientOrderId = await waitFor('the order acknowledged', async () => {
    const rows = await tdb.db.query<{ client_order_id: string | null; order_id: string | null }>(
      'SELECT client_order_id, order_id FROM trade_recommendations WHERE id = ?',
      [rec.id],
    );
    return rows[0]?.order_id ? rows[0].client_order_id! : undefined;
  }, 30_000);
  expect(await count('SELECT COUNT(*) AS n FROM orders WHERE client_order_id = ?', [clientOrderId])).toBe(1);

  // The crash: the order exists at execution, but recommendations' record of the ack is gone.
  running.get('recommendations')!.child.kill('SIGKILL');
  await running.get('recommendations')!.exited;
  running.get('execution')!.child.kill('SIGKILL');
  await running.get('execution')!.exited;
  await tdb.db.execute("UPDATE trade_recommendations SET status = 'approved', order_id = NULL, order_status = NULL WHERE id = ?", [rec.id]);

  await start('execution');
  await start('recommendations');
  await waitFor('the sweeper re-adopts the order', async () => {
    const rows = await tdb.db.query<{ order_id: string | null; status: string }>('SELECT order_id, status FROM trade_recommendations WHERE id = ?', [rec.id]);
    return rows[0]?.order_id ? rows[0] : undefined;
  }, 30_000);
  expect(await count('SELECT COUNT(*) AS n FROM orders WHERE client_order_id = ?', [clientOrderId])).toBe(1);
  expect(await count('SELECT COUNT(*) AS n FROM orders WHERE recommendation_id = ?', [rec.id])).toBe(1);
  const [filled] = await tdb.db.query<{ qty: string | null }>(
    'SELECT SUM(t.qty) AS qty FROM trades t JOIN orders o ON o.id = t.order_id WHERE o.client_order_id = ?',
    [clientOrderId],
  );
  expect(Number(filled!.qty ?? 0)).toBeLessThanOrEqual(0.01);
});

/**
 * signal-generator as a real process, fed by a real price-stream, against real MariaDB and Redis:
 * warm start from stored history, default agents, ML and strategy signals in MySQL and on the
 * signals.raw stream, models and task APIs, and agents surviving a restart.
 * Needs `make build` first (make test does it).
 */
import path from 'node:path';
import Redis from 'ioredis';
import { createLogger } from '@cte/shared';
import { createTestDatabase, freePort, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import type { ModelsSnapshot } from '../adapters/model-registry';

const HOURLY = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.resolve(__dirname, '..', '..', 'models');
const BUS_NAMESPACE = `test-sg-${Math.random().toString(36).slice(2)}:`;
const HISTORY_END = Date.UTC(2019, 5, 15); // phase 1 stores history up to here; phase 2 replays after it
const logger = createLogger({ service: 'test', level: 'silent' });

let tdb: TestDatabase;
let sg: RunningService | undefined;
let ps: RunningService | undefined;
const apiKey = `sg-test-key-${Date.now()}`;
let psPorts: { http: number; grpc: number };

/** Response bodies as the routes send them; the assertions check the values. */
interface AgentsBody { total: number; agents: { id: string; name: string; status: string }[] }
interface TaskBody { status: string; attempts: number; result: { model_version?: unknown } | null }

const api = (svc: RunningService, p: string, init: RequestInit = {}) =>
  fetch(`${svc.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) } });

function priceStream(extra: Record<string, string>): Promise<RunningService> {
  return startService('price-stream', {
    apiKey,
    httpPort: psPorts.http,
    grpcPort: psPorts.grpc,
    env: { MYSQL_URL: tdb.url, BUS_NAMESPACE, REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50', ...extra },
  });
}

function signalGenerator(): Promise<RunningService> {
  return startService('signal-generator', {
    apiKey,
    env: { MYSQL_URL: tdb.url, BUS_NAMESPACE, MODEL_DIR, PRICE_STREAM_GRPC_ADDR: `127.0.0.1:${psPorts.grpc}`, WARM_START_BARS: '300', SIGNAL_TIMEFRAMES: '1h' },
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  psPorts = { http: await freePort(), grpc: await freePort() };
  // Phase 1: 14 days of hourly bars into MySQL, as an earlier run of price-stream would have left them.
  ps = await priceStream({ REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: String(HISTORY_END - 1), REPLAY_SPEED: '0' });
  await waitFor('history in MySQL', async () => {
    const [row] = await tdb.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM crypto_prices WHERE timeframe = '1h'");
    return Number(row!.n) >= 300 ? true : undefined;
  });
  await ps.stop();
  // Phase 2: the generator starts, then price-stream replays the following ten days.
  sg = await signalGenerator();
  ps = await priceStream({ REPLAY_START: String(HISTORY_END), REPLAY_END: String(HISTORY_END + 10 * 86_400_000 - 1), REPLAY_SPEED: '200000' });
}, 120_000);

afterAll(async () => {
  for (const s of [sg, ps]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${BUS_NAMESPACE}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await tdb?.drop();
});

it('seeds and runs the default agents for the new market, including ml_model for the shipped model', async () => {
  // Seeding creates each agent, then starts it: wait until all four exist and run.
  const body = await waitFor('4 running agents', async () => {
    const b = (await (await api(sg!, '/agents?limit=50')).json()) as AgentsBody;
    return b.total === 4 && b.agents.every((a) => a.status === 'running') ? b : undefined;
  });
  expect(body.agents.map((a) => a.name).sort()).toEqual([
    'btc_breakout_1h',
    'btc_mean_reversion_1h',
    'btc_ml_model_1h',
    'btc_trend_follower_1h',
  ]);
  expect(body.agents.every((a) => a.status === 'running')).toBe(true);
});

it('warms the pipeline from 300 stored bars before the first replayed bar, then the ML agent decides', async () => {
  const metrics = await waitFor('a warm start', async () => {
    const text = await (await fetch(`${sg!.httpUrl}/metrics`)).text();
    return /cte_warm_starts_total\{result="ok"[^}]*\} 1/.test(text) ? text : undefined;
  });
  expect(metrics).toContain('cte_cache_hit_ratio');
  const latency = await waitFor('pipeline latency samples', async () => {
    const text = await (await fetch(`${sg!.httpUrl}/metrics`)).text();
    const m = /cte_pipeline_latency_seconds_count\{[^}]*stage="signal"[^}]*\} (\d+)/.exec(text);
    return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
  });
  expect(latency).toBeGreaterThan(0);
  expect(sg!.logs()).toMatch(/"bars":300,"warm":true[^\n]*feature pipeline warmed from history/);
  // The pipeline is warm before the first replayed bar, so ML decisions start right away.
  await waitFor('ml signals', async () => {
    const [r] = await tdb.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM ml_signals WHERE source_type = 'ml_model'");
    return Number(r!.n) > 0 ? true : undefined;
  }, 30_000);
  const decisions = sg!.logs();
  expect(decisions).not.toContain('warm start failed');
});

it('stores every signal in ml_signals and appends the same ones to signals.raw', async () => {
  await waitFor('replay finished', () => ps!.logs().includes('"replay finished"') || undefined, 60_000);
  const count = async () => Number((await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM ml_signals'))[0]!.n);
  // Settle: the generator may still be working through the last bars.
  let before = -1;
  let now = await count();
  while (now !== before) {
    before = now;
    await new Promise((r) => setTimeout(r, 500));
    now = await count();
  }
  expect(now).toBeGreaterThan(0);
  const rows = await tdb.db.query<{ id: string; source_type: string; side: string; confidence: string; bar_time: number }>(
    'SELECT id, source_type, side, confidence, bar_time FROM ml_signals',
  );
  // HOLD decisions are published too (SIGNAL_EMIT_HOLD), so every running source speaks on every bar.
  expect(rows.every((r) => ['BUY', 'SELL', 'HOLD'].includes(r.side))).toBe(true);
  expect(rows.some((r) => r.side !== 'HOLD')).toBe(true);
  const perBar = new Map<number, Set<string>>();
  for (const r of rows) perBar.set(Number(r.bar_time), (perBar.get(Number(r.bar_time)) ?? new Set()).add(r.source_type));
  expect([...perBar.values()].filter((s) => s.size === 4).length).toBeGreaterThan(100);
  expect(rows.every((r) => Number(r.confidence) >= 0 && Number(r.confidence) <= 1)).toBe(true);
  expect(rows.every((r) => Number(r.bar_time) >= HISTORY_END)).toBe(true);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const entries = (await redis.xrange(`${BUS_NAMESPACE}signals.raw`, '-', '+')) as [string, string[]][];
  redis.disconnect();
  const streamed = entries.map(([, fields]) => (JSON.parse(fields[fields.indexOf('envelope') + 1]!) as { data: { id: string } }).data.id);
  expect(new Set(streamed)).toEqual(new Set(rows.map((r) => r.id)));
  const listed = (await (await api(sg!, '/signals?symbol=BTC-USD&limit=5')).json()) as { total: number; signals: unknown[] };
  expect(listed.total).toBe(rows.length);
  expect(listed.signals).toHaveLength(Math.min(5, rows.length));
  // The fleet's id alphabet for the agent filter (tests/fuzz found "-1" accepted).
  expect((await api(sg!, '/signals?agent=-1')).status).toBe(400);
});

it('lists the shipped model with its metadata, and reloads on request', async () => {
  const models = (await (await api(sg!, '/models')).json()) as ModelsSnapshot;
  const m = models.models.find((x) => x.key === 'BTC-USD_1h');
  expect(m?.loaded).toBe(true);
  const reload = await api(sg!, '/models/reload', { method: 'POST' });
  expect(reload.status).toBe(200);
});

it('executes an agent as a task and reports its outcome, attempts and timings', async () => {
  const agents = (await (await api(sg!, '/agents?type=ml_model')).json()) as AgentsBody;
  const ml = agents.agents[0]!;
  const res = await api(sg!, `/agents/${ml.id}/execute`, { method: 'POST', body: JSON.stringify({ parameters: {} }) });
  expect(res.status).toBe(202);
  const { taskId } = (await res.json()) as { taskId: string };
  const task = await waitFor('task done', async () => {
    const t = (await (await api(sg!, `/tasks/${taskId}`)).json()) as TaskBody;
    return t.status === 'succeeded' || t.status === 'failed' ? t : undefined;
  });
  expect(task.status).toBe('succeeded');
  expect(task.attempts).toBe(1);
  expect(task.result).toMatchObject({ features_warm: true, side: expect.stringMatching(/^(BUY|SELL|HOLD)$/) });
  expect(task.result?.model_version).toEqual(expect.any(String));
  expect((await api(sg!, '/agents/no-such-agent/execute', { method: 'POST', body: '{}' })).status).toBe(404);
});

it('keeps running agents running across a restart, and exits 0 on SIGTERM', async () => {
  expect(await sg!.stop()).toBe(0);
  sg = await signalGenerator();
  const body = (await (await api(sg, '/agents?status=running&limit=50')).json()) as AgentsBody;
  expect(body.total).toBe(4);
  expect(sg.logs()).toMatch(/"agents_restored":4/);
});

/**
 * price-stream as a real process against real MariaDB and Redis: REST, gRPC, bus,
 * persistence and graceful shutdown. Needs `make build` first (make test does it).
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import mysql from 'mysql2/promise';
import {
  createGrpcClient,
  createLogger,
  lintMetricsText,
  loadProto,
  RedisBus,
  type Envelope,
  type MarketProtoGrpcType,
  type PriceStreamClient,
} from '@cte/shared';
import { findPromtool, createTestDatabase, type TestDatabase } from '@cte/testkit';
import { BarAggregator } from '../engine/bar-aggregator';
import { barToTicks } from '../engine/replay-path';
import { readAnyFile } from '../adapters/readers';
import type { StoredBar } from '../adapters/bar-repository';
import type { AlertMessage, BarMessage, PriceMessage } from '../adapters/dto/messages';
import type { StoredAlert, StoredMonitor } from '../adapters/monitor-repository';
import { startPriceStream, waitFor, type RunningService } from './helpers/service-process';

const DAY_FILE = path.resolve(__dirname, '..', '..', 'data', 'replay', 'lean', 'coinbase', 'minute', 'btcusd', '20180404_trade.zip');
const logger = createLogger({ service: 'test', level: 'silent' });
// Its own bus namespace, so parallel test files sharing the machine's Redis never hear each other.
const BUS_NAMESPACE = `test-ps-${Math.random().toString(36).slice(2)}:`;

let tdb: TestDatabase;
let svc: RunningService;
let bus: RedisBus;
let client: ReturnType<typeof createGrpcClient<PriceStreamClient>>;
const seenBars: BarMessage[] = [];
const seenAlerts: AlertMessage[] = [];

/** Response bodies as the routes send them; the assertions check the values. */
interface ErrorBody { error: { code: string; message: string } }
interface ReadyBody { failed?: string[]; checks: Record<string, { ok: boolean; error?: string }> }
interface PricesBody { prices: PriceMessage[]; missing: string[] }
interface BarsBody { bars: StoredBar[]; next_cursor: string | null }
type MonitorBody = StoredMonitor & { id: string };

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${svc.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': svc.apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) } });

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger, namespace: BUS_NAMESPACE });
  await bus.subscribe<BarMessage>('data.bars.1m.*', (env: Envelope<BarMessage>) => void seenBars.push(env.data));
  await bus.subscribe<AlertMessage>('data.alerts', (env: Envelope<AlertMessage>) => void seenAlerts.push(env.data));
  svc = await startPriceStream({
    MYSQL_URL: tdb.url,
    BUS_NAMESPACE,
    REPLAY_FILES: DAY_FILE,
    REPLAY_SPEED: '86400', // a day of data per second
    REPLAY_LOOP: 'true',
    TIMEFRAMES: '1m,1h',
    TICK_CONFLATE_MS: '50',
    BAR_FLUSH_MS: '50',
    PERSIST_MAX_LAG_MS: '300',
  });
  const proto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
  client = createGrpcClient<PriceStreamClient>(proto.cte.market.v1.PriceStream, svc.grpcAddress, { apiKey: svc.apiKey, deadlineMs: 3000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await bus?.close();
  await tdb?.drop();
});

describe('probes and auth', () => {
  it('health and ready need no key; ready names its checks', async () => {
    const health = await fetch(`${svc.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'price-stream' });
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as ReadyBody;
    expect(Object.keys(ready.checks).sort()).toEqual(['mysql', 'persist_lag', 'redis']);
  });

  it('every other route needs the key', async () => {
    expect((await fetch(`${svc.httpUrl}/prices`)).status).toBe(401);
    const wrong = await fetch(`${svc.httpUrl}/prices`, { headers: { 'X-TRADING-API-KEY': 'nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  });

  it('serves the issue-named metrics', async () => {
    await waitFor('ticks', async () => (((await (await api('/prices')).json()) as PricesBody).prices.length > 0 ? true : undefined));
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    for (const name of ['cte_ticks_ingested_total', 'cte_bars_closed_total', 'cte_publish_seconds', 'cte_persist_lag_seconds', 'cte_source_staleness_seconds']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toMatch(/cte_ticks_ingested_total\{symbol="BTC\/USD"[^}]*\} [1-9]/);
    expect(lintMetricsText(text, { units: ['bars'] })).toEqual([]);
  });

  it('passes promtool check metrics, apart from prom-client default-metric lint warnings', async () => {
    const promtool = findPromtool();
    if (!promtool) return;
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${res.stdout}${res.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => !/^(process_|nodejs_)/.test(l)); // prom-client's default metrics
    expect(problems).toEqual([]);
  });
});

describe('prices', () => {
  it('GET /prices/:symbol returns a decimal-string price, in either symbol form', async () => {
    const a = await (await api('/prices/BTC-USD')).json();
    expect(a).toMatchObject({ exchange: 'coinbase', symbol: 'BTC/USD', price: expect.stringMatching(/^\d+(\.\d+)?$/) });
    expect((await api(`/prices/${encodeURIComponent('BTC/USD')}`)).status).toBe(200);
  });

  it('rejects bad and untradable symbols with 400 naming them; a tradable one without a price is 404', async () => {
    const bad = await api('/prices/NOT_A$YMBOL');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('INVALID_ARGUMENT');
    const unknown = await api('/prices/DOGE-USD');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as ErrorBody).error.message).toMatch(/unknown symbol DOGE\/USD: tradable symbols are BTC\/USD, ETH\/USD \(TRADABLE_SYMBOLS\)/);
    expect((await api('/bars/FOO-BAR?timeframe=1m')).status).toBe(400);
    expect((await api('/alerts?symbol=FOO/BAR')).status).toBe(400);
    expect((await api('/prices/ETH-USD')).status).toBe(404);
  });

  it('GET /prices lists missing symbols instead of failing', async () => {
    const body = (await (await api('/prices?symbols=BTC/USD,ETH/USD')).json()) as PricesBody;
    expect(body.prices.map((p) => p.symbol)).toEqual(['BTC/USD']);
    expect(body.missing).toEqual(['ETH/USD']);
    expect((await api('/prices?symbols=BTC/USD,ETH/EUR')).status).toBe(400);
  });

  it('gRPC GetPrice / GetPrices, with INVALID_ARGUMENT, NOT_FOUND and UNAUTHENTICATED', async () => {
    const p = await client.unary('GetPrice', { symbol: 'BTC/USD' });
    expect(p.symbol).toBe('BTC/USD');
    expect(Number(p.price)).toBeGreaterThan(1000);
    const many = await client.unary('GetPrices', { symbols: ['BTC/USD', 'ETH/USD'] });
    expect(many.missing).toEqual(['ETH/USD']);
    await expect(client.unary('GetPrices', { symbols: ['BTC/USD', 'XRP/USD'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.unary('GetPrice', { symbol: '???' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.unary('GetPrice', { symbol: 'XRP/USD' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/unknown symbol XRP\/USD/) as unknown });
    await expect(client.unary('GetPrice', { symbol: 'ETH/USD' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const proto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
    // The kit's client reports a dependency's auth failure as INTERNAL (not our caller's fault), so check the raw status.
    const raw = new proto.cte.market.v1.PriceStream(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-trading-api-key', 'wrong-key');
    const code = await new Promise<number>((resolve) => raw.GetPrice({ symbol: 'BTC/USD' }, md, (err) => resolve(err?.code ?? 0)));
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('gRPC StreamPrices delivers conflated prices for the requested symbol', async () => {
    const stream = client.serverStream('StreamPrices', { symbols: ['BTC/USD'] });
    const got = await new Promise<{ symbol: string; price: string }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.cancel();
    expect(got.symbol).toBe('BTC/USD');
  });
});

describe('bars', () => {
  it('persists exactly the bars a batch aggregation of the same file produces', async () => {
    const contents = readAnyFile(DAY_FILE, { exchange: 'coinbase' });
    if (contents.kind !== 'bars') throw new Error('expected bars');
    const agg = new BarAggregator(['1h']);
    const expected = [...contents.bars.flatMap((b) => barToTicks(b)).flatMap((t) => [...agg.onTick(t)]), ...agg.flush()];
    // The recorded day ends at 16:47 UTC: 17 hourly bars. The last closes when the loop restarts.
    const n = expected.length;
    expect(n).toBe(17);
    const day = { from: String(expected[0]!.openTime), to: String(expected[n - 1]!.openTime) };
    const page = await waitFor(`${n} hourly bars in MySQL`, async () => {
      const body = (await (await api(`/bars/BTC-USD?timeframe=1h&from=${day.from}&to=${day.to}&limit=100`)).json()) as BarsBody;
      return body.bars.length === n ? body : undefined;
    });
    for (let i = 0; i < n; i++) {
      const got = page.bars[i]!;
      const want = expected[i]!;
      expect(got.openTime).toBe(want.openTime);
      expect([Number(got.open), Number(got.high), Number(got.low), Number(got.close)]).toEqual([want.open, want.high, want.low, want.close]);
      expect(Number(got.volume)).toBeCloseTo(want.volume, 8);
    }
  });

  it('paginates with a cursor, REST and gRPC alike', async () => {
    const first = (await (await api('/bars/BTC-USD?timeframe=1h&limit=5')).json()) as BarsBody;
    expect(first.bars).toHaveLength(5);
    expect(first.next_cursor).toEqual(expect.any(String));
    const cursor = first.next_cursor ?? '';
    const second = (await (await api(`/bars/BTC-USD?timeframe=1h&limit=5&cursor=${cursor}`)).json()) as BarsBody;
    expect(second.bars[0]!.openTime).toBe(first.bars[4]!.openTime + 3_600_000);
    const g = await client.unary('GetBars', { symbol: 'BTC/USD', timeframe: '1h', limit: 5, cursor });
    expect(g.bars.map((b) => Number(b.open_time))).toEqual(second.bars.map((b) => b.openTime));
  });

  it.each([
    ['bad timeframe', '/bars/BTC-USD?timeframe=7m'],
    ['from after to', '/bars/BTC-USD?timeframe=1h&from=2000&to=1000'],
    ['oversized limit', '/bars/BTC-USD?timeframe=1h&limit=999999'],
    ['non-numeric limit', '/bars/BTC-USD?timeframe=1h&limit=ten'],
    ['forged cursor', '/bars/BTC-USD?timeframe=1h&cursor=xyz'],
    // Found by tests/fuzz: Date.parse took "-1" as the year -1; any 32 characters passed as an exchange; include_inactive took anything as false.
    ['a negative from', '/bars/BTC-USD?timeframe=1h&from=-1'],
    ['an exchange that is no exchange id', `/bars/BTC-USD?timeframe=1h&exchange=${encodeURIComponent("' OR '1'='1")}`],
    ['include_inactive neither true nor false', '/monitors?include_inactive=yes'],
  ])('400 for %s', async (_name, url) => {
    const res = await api(url);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('INVALID_ARGUMENT');
  });

  it('gRPC GetBars maps bad input to INVALID_ARGUMENT', async () => {
    await expect(client.unary('GetBars', { symbol: 'BTC/USD', timeframe: '2h' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // "0" is a value (an invalid one), not "unset", in a string field.
    await expect(client.unary('GetBars', { symbol: 'BTC/USD', timeframe: '1h', exchange: '0' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('hostile input (issue 10)', () => {
  it('POST /monitors: 45,000-deep JSON is a 400 naming the field, not a 500; nothing is stored', async () => {
    const before = ((await (await api('/monitors')).json()) as { monitors: unknown[] }).monitors.length;
    const deep = `${'['.repeat(45_000)}0${']'.repeat(45_000)}`;
    const res = await api('/monitors', { method: 'POST', body: `{"symbol":"BTC/USD","thresholdPct":${deep},"windowMs":60000}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'thresholdPct is nested deeper than 32 levels',
      details: { field: 'thresholdPct', max_depth: 32 },
    });
    expect(((await (await api('/monitors')).json()) as { monitors: unknown[] }).monitors).toHaveLength(before);
  });

  it('gRPC StartMonitor with a 200 KB symbol: a bounded INVALID_ARGUMENT, and a concurrent call on the connection is served', async () => {
    // Before the cap the status trailer never arrived: both calls on the connection waited for the deadline.
    const [big, small] = await Promise.allSettled([
      client.unary('StartMonitor', { symbol: 'B'.repeat(200 * 1024), threshold_pct: 1, window_ms: 60_000 }),
      client.unary('GetBars', { symbol: 'BTC/USD', timeframe: '1m' }),
    ]);
    expect(big.status).toBe('rejected');
    const bigErr = (big as PromiseRejectedResult).reason as { code: string; message: string };
    expect(bigErr.code).toBe('INVALID_ARGUMENT');
    expect(bigErr.message).toMatch(/symbol/);
    expect(bigErr.message.length).toBeLessThanOrEqual(512);
    expect(small.status).toBe('fulfilled');
  });
});

describe('monitors and alerts', () => {
  it.each([
    ['negative threshold', { symbol: 'BTC/USD', thresholdPct: -1, windowMs: 60000 }],
    ['non-numeric threshold', { symbol: 'BTC/USD', thresholdPct: 'lots', windowMs: 60000 }],
    ['unknown symbol', { symbol: 'DOGE/USD', thresholdPct: 1, windowMs: 60000 }],
    ['tiny window', { symbol: 'BTC/USD', thresholdPct: 1, windowMs: 5 }],
  ])('POST /monitors rejects %s with 400', async (_name, body) => {
    const res = await api('/monitors', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
  });

  it('refuses a monitor on a well-formed but unknown symbol over REST and gRPC, naming it, and stores nothing (issue 10)', async () => {
    const before = await tdb.db.query('SELECT id FROM price_monitors');
    const res = await api('/monitors', { method: 'POST', body: JSON.stringify({ symbol: 'FOO/BAR', thresholdPct: 1, windowMs: 60000 }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/unknown symbol FOO\/BAR: tradable symbols are BTC\/USD, ETH\/USD/);
    await expect(client.unary('StartMonitor', { symbol: 'FOO/BAR', threshold_pct: 1, window_ms: 60_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await tdb.db.query('SELECT id FROM price_monitors')).toEqual(before);
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await api('/monitors', { method: 'POST', body: '{"symbol":' });
    expect(res.status).toBe(400);
  });

  it('start → alert on bus, gRPC stream and REST → stop, over REST and gRPC', async () => {
    const stream = client.serverStream('StreamAlerts', { symbols: ['BTC/USD'] });
    const streamed = new Promise<{ monitor_id: string }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    const res = await api('/monitors', { method: 'POST', body: JSON.stringify({ symbol: 'BTC/USD', thresholdPct: 0.3, windowMs: 3_600_000 }) });
    expect(res.status).toBe(201);
    const monitor = (await res.json()) as MonitorBody;
    expect(monitor).toMatchObject({ symbol: 'BTC/USD', active: true });

    const viaGrpc = await client.unary('IsMonitorActive', { id: monitor.id });
    expect(viaGrpc.active).toBe(true);
    const listed = await client.unary('ListMonitors', {});
    expect(listed.monitors.map((m) => m.id)).toContain(monitor.id);

    const alert = await waitFor('an alert on data.alerts', () => seenAlerts.find((a) => a.monitor_id === monitor.id));
    expect(Math.abs(alert.change_pct)).toBeGreaterThan(0.3);
    expect((await streamed).monitor_id).toBe(monitor.id);
    stream.cancel();
    const stored = await waitFor('the alert in MySQL', async () => {
      const body = (await (await api(`/alerts?monitor_id=${monitor.id}`)).json()) as { alerts: StoredAlert[] };
      return body.alerts.find((a) => a.id === alert.id);
    });
    expect(stored).toMatchObject({ symbol: 'BTC/USD', direction: alert.direction, traceId: alert.trace_id });

    const stopped = (await (await api(`/monitors/${monitor.id}`, { method: 'DELETE' })).json()) as MonitorBody;
    expect(stopped.active).toBe(false);
    expect((await client.unary('IsMonitorActive', { id: monitor.id })).active).toBe(false);
    expect((await api('/monitors/no-such-monitor', { method: 'DELETE' })).status).toBe(404);

    const viaGrpcStart = await client.unary('StartMonitor', { symbol: 'BTC/USD', threshold_pct: 2, window_ms: 60_000 });
    expect(viaGrpcStart.active).toBe(true);
    expect((await client.unary('StopMonitor', { id: viaGrpcStart.id })).active).toBe(false);
    await expect(client.unary('StartMonitor', { symbol: 'BTC/USD', threshold_pct: 0, window_ms: 60_000 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('MySQL slow', () => {
  it('keeps serving prices, reports not-ready naming persist_lag, and recovers', async () => {
    const locker = await mysql.createConnection(tdb.url);
    try {
      await locker.query('LOCK TABLES crypto_prices WRITE');
      const notReady = await waitFor('persist_lag not ready', async () => {
        const res = await fetch(`${svc.httpUrl}/ready`);
        return res.status === 503 ? ((await res.json()) as ReadyBody) : undefined;
      });
      expect(notReady.failed).toEqual(['persist_lag']);
      expect(notReady.checks['persist_lag']?.error).toMatch(/waiting \d+ s for MySQL/);
      expect((await api('/prices/BTC-USD')).status).toBe(200);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    await waitFor('ready again', async () => ((await fetch(`${svc.httpUrl}/ready`)).status === 200 ? true : undefined));
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM exits 0 and every closed bar it published is in MySQL', async () => {
    await waitFor('published 1m bars', () => (seenBars.length > 100 ? true : undefined));
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
    const logs = svc.logs();
    expect(logs).toContain('shutdown: readiness off');
    const published = [...seenBars];
    const rows = await tdb.db.query<{ open_time: number }>("SELECT open_time FROM crypto_prices WHERE symbol = 'BTC/USD' AND timeframe = '1m'");
    const stored = new Set(rows.map((r) => Number(r.open_time)));
    const lost = published.filter((b) => !stored.has(b.open_time));
    expect(published.length).toBeGreaterThan(100);
    expect(lost).toEqual([]);
  });
});

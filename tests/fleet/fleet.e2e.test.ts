/**
 * The fleet's operational guarantees end to end, all seven services as real processes on real
 * MariaDB and a private Redis (so Redis can be stopped without disturbing other tests): open
 * probes and closed APIs, the kill switch across the fleet, a drained SIGTERM of execution, and
 * recovery from a Redis outage. The trading path itself is trading-path.e2e.test.ts.
 * Needs `make build` first (make test does it).
 */
import * as grpc from '@grpc/grpc-js';
import { createLogger, loadProto, type ServiceName } from '@cte/shared';
import { waitFor } from '@cte/testkit';
import { ALL_SERVICES, Fleet } from './helpers/fleet-rig';

const logger = createLogger({ service: 'test', level: 'silent' });
const HISTORY_END = Date.UTC(2019, 5, 15);
const fleet = new Fleet();
let seq = 0;
const coid = (tag: string) => `fleet-${tag}-${Date.now()}-${seq++}`;
/** Execution refused the order because trading is halted (the order comes back REJECTED with the reason). */
const isHalted = (body: unknown) => {
  const o = (body ?? {}) as { status?: string; reason?: string; error?: { message?: string } };
  return /halt/i.test(`${o.status === 'REJECTED' ? o.reason : ''} ${o.error?.message ?? ''}`);
};

beforeAll(async () => {
  await fleet.init(logger);
  // History for warm starts, as an earlier run of price-stream would have left it.
  const history = await fleet.start('price-stream', { REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: String(HISTORY_END - 1), REPLAY_SPEED: '0' });
  await waitFor('history', async () => ((await fleet.count("SELECT COUNT(*) AS n FROM crypto_prices WHERE timeframe = '1h'")) >= 300 ? true : undefined), 30_000);
  expect(await history.stop()).toBe(0);
  for (const n of ['portfolio', 'risk', 'execution', 'signals-aggregator', 'signal-generator', 'recommendations'] as ServiceName[]) await fleet.start(n);
  // A short replay (≈150 ms a bar, ≈20 s) that is still running while the SIGTERM test runs. Execution's
  // mock venue prices orders from price-stream's ticks, so a restarted execution needs them flowing.
  await fleet.start('price-stream', { REPLAY_START: String(HISTORY_END), REPLAY_END: String(HISTORY_END + 6 * 86_400_000 - 1), REPLAY_SPEED: '24000' });
  await fleet.start('console');
}, 180_000);

afterAll(async () => {
  await fleet.shutdown();
}, 60_000);

/** Services whose API takes the fleet's API key. The console's takes an operator session instead (tested below). */
type KeyedService = Exclude<ServiceName, 'console'>;
const KEYED_SERVICES = ALL_SERVICES.filter((n): n is KeyedService => n !== 'console');

describe('API key: open probes, everything else closed', () => {
  const ROUTE: Record<KeyedService, string> = {
    'price-stream': '/prices',
    'signal-generator': '/agents',
    'signals-aggregator': '/consensus',
    recommendations: '/recommendations',
    risk: '/limits',
    execution: '/orders',
    portfolio: '/positions',
  };

  it.each(KEYED_SERVICES)('%s answers /health, /ready and /metrics without a key and 401s its API', async (name) => {
    for (const p of ['/health', '/ready', '/metrics']) expect([p, (await fetch(fleet.url(name, p))).status]).toEqual([p, 200]);
    expect((await fetch(fleet.url(name, ROUTE[name]))).status).toBe(401);
    expect((await fetch(fleet.url(name, ROUTE[name]), { headers: { 'X-TRADING-API-KEY': 'wrong' } })).status).toBe(401);
    expect((await fleet.api(name, ROUTE[name])).status).toBe(200);
  });

  // The console's gRPC port serves only the health service: it has no keyed method to call.
  const GRPC: Record<KeyedService, { proto: string; service: string; method: string }> = {
    'price-stream': { proto: 'cte/market/v1/market.proto', service: 'cte.market.v1.PriceStream', method: 'GetPrices' },
    'signal-generator': { proto: 'cte/signals/v1/signal_generator.proto', service: 'cte.signals.v1.SignalGenerator', method: 'ListAgents' },
    'signals-aggregator': { proto: 'cte/consensus/v1/consensus.proto', service: 'cte.consensus.v1.SignalsAggregator', method: 'ListSources' },
    recommendations: { proto: 'cte/recommendations/v1/recommendations.proto', service: 'cte.recommendations.v1.Recommendations', method: 'ListRecommendations' },
    risk: { proto: 'cte/risk/v1/risk.proto', service: 'cte.risk.v1.Risk', method: 'GetTradingState' },
    execution: { proto: 'cte/execution/v1/execution.proto', service: 'cte.execution.v1.Execution', method: 'ListOrders' },
    portfolio: { proto: 'cte/portfolio/v1/portfolio.proto', service: 'cte.portfolio.v1.Portfolio', method: 'GetPortfolio' },
  };

  /** One unary call with a raw grpc-js client; resolves with the status code (OK = 0). */
  function rawCall(name: KeyedService, key: string | undefined): Promise<number> {
    const g = GRPC[name];
    let ctor: unknown = loadProto(g.proto);
    for (const part of g.service.split('.')) ctor = (ctor as Record<string, unknown>)[part];
    const Client = ctor as grpc.ServiceClientConstructor;
    const client = new Client(`127.0.0.1:${fleet.ports.get(name)!.grpc}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (key !== undefined) md.set('x-trading-api-key', key);
    type RawUnary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => void;
    const method = (client as unknown as Record<string, RawUnary>)[g.method]!.bind(client);
    return new Promise((resolve) => {
      method({}, md, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => {
        client.close();
        resolve(err ? err.code : grpc.status.OK);
      });
    });
  }

  it.each(KEYED_SERVICES)('%s refuses gRPC calls without the right key (UNAUTHENTICATED)', async (name) => {
    expect(grpc.status[await rawCall(name, undefined)]).toBe('UNAUTHENTICATED');
    expect(grpc.status[await rawCall(name, 'wrong-key')]).toBe('UNAUTHENTICATED');
    expect(grpc.status[await rawCall(name, fleet.apiKey)]).not.toBe('UNAUTHENTICATED');
  });
});

describe('console: operator sessions, not the API key', () => {
  const api = (p: string) => fleet.url('console', `/dashboard/api${p}`);

  it('answers /health, /ready and /metrics without a session and 401s its API, API key or not', async () => {
    for (const p of ['/health', '/ready', '/metrics']) expect([p, (await fetch(fleet.url('console', p))).status]).toEqual([p, 200]);
    expect((await fetch(api('/fleet'))).status).toBe(401);
    expect((await fetch(api('/fleet'), { headers: { 'X-TRADING-API-KEY': fleet.apiKey } })).status).toBe(401);
  });

  it("signs in with this run's operator and sees every other service reachable and ready", async () => {
    const origin = fleet.url('console', '').replace(/\/$/, '');
    const { operator, password } = fleet.consoleCredentials;
    const wrong = await fetch(api('/session'), { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ name: operator, password: `${password}x` }) });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(api('/session'), { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ name: operator, password }) });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=./);
    const res = await fetch(api('/fleet'), { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: Array<Record<string, unknown>> };
    expect(body.services.map((s) => s.service).sort()).toEqual(KEYED_SERVICES.slice().sort());
    // Probed on the ports this fleet runs on (<NAME>_HTTP_URL), which are not the declared ones.
    expect(body.services.filter((s) => s.reachable !== true || s.ready !== true).map((s) => `${String(s.service)}: ${String(s.reason)}`)).toEqual([]);
  });
});

describe('SIGTERM on execution mid-run', () => {
  it('drains and exits 0; after a restart no fill is lost or duplicated', async () => {
    const results: number[] = [];
    let restarted = false;
    let acceptedAfterRestart = 0;
    let done = false;
    let n = 0;
    // Three clients keep market orders flowing before, during and after the SIGTERM (unreachable = status 0).
    const worker = async () => {
      while (!done) {
        const i = n++;
        const { status } = await fleet.order(coid('term'), i % 2 ? 'sell' : 'buy');
        results.push(status);
        // Not 2xx: execution is draining, down, or (just restarted) has not seen a BTC/USD tick yet.
        if (status === 200 || status === 201) {
          if (restarted) acceptedAfterRestart++;
        } else await new Promise((r) => setTimeout(r, 100));
      }
    };
    const workers = Promise.all([worker(), worker(), worker()]);
    try {
      await waitFor('orders flowing', () => results.length >= 10 || undefined, 20_000);
      // In the middle of the run: replay, the rest of the fleet and the order clients keep going.
      const replayRunning = !fleet.running.get('price-stream')!.logs().includes('"replay finished"');
      const exitCode = await fleet.running.get('execution')!.stop();
      const logs = fleet.running.get('execution')!.logs();
      await fleet.start('execution').catch((err: Error) => {
        throw new Error(`${err.message}\n--- previous run:\n${logs.slice(-3000)}`);
      });
      restarted = true;
      expect(exitCode).toBe(0);
      await waitFor('orders accepted after the restart', () => acceptedAfterRestart >= 10 || undefined, 30_000);
      const tally = results.reduce<Record<number, number>>((m, st) => ({ ...m, [st]: (m[st] ?? 0) + 1 }), {});
      console.log(`SIGTERM test: replay still running at SIGTERM: ${replayRunning}; order answers by status: ${JSON.stringify(tally)}`);
    } finally {
      done = true;
      await workers;
    }
    expect(await fleet.count("SELECT COUNT(*) AS n FROM trades WHERE client_order_id LIKE 'fleet-term-%'")).toBeGreaterThanOrEqual(20);
    await fleet.settle('SELECT COUNT(*) AS n FROM trades');
    expect(await fleet.fillsConsistency()).toEqual({ missing: [], extra: [], duplicated: [] });
    const books = await fleet.booksVsTrades();
    for (const p of books.positions) expect(p.book).toBe(p.trades);
    expect(books.cash.book).toBe(books.cash.trades);
  }, 90_000);
});

describe('kill switch set on risk', () => {
  it('stops new opening orders at execution within one second, and ACTIVE lets them through again', async () => {
    const before = await fleet.order(coid('before'));
    expect(isHalted(before.body)).toBe(false);
    expect([200, 201]).toContain(before.status);

    const halt = await fleet.api('risk', '/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'HALTED', reason: 'fleet e2e' }) });
    expect(halt.status).toBe(200);
    const haltedAt = Date.now();
    try {
      // The issue asks for < 1 s (execution hears commands.trading_state at once); the bound here is
      // generous so a loaded machine does not fail it, and the measured value is logged.
      await waitFor('execution rejects opening orders', async () => isHalted((await fleet.order(coid('probe'))).body), 5_000);
      console.log(`kill switch: execution rejected opening orders ${Date.now() - haltedAt} ms after risk was set HALTED`);
      const afterHalt = await fleet.order(coid('during'));
      expect(isHalted(afterHalt.body)).toBe(true);
    } finally {
      const active = await fleet.api('risk', '/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'ACTIVE', reason: 'fleet e2e done' }) });
      expect(active.status).toBe(200);
    }
    await waitFor('execution accepts opening orders again', async () => {
      const r = await fleet.order(coid('resume'));
      return !isHalted(r.body) && (r.status === 200 || r.status === 201);
    }, 10_000);
  }, 60_000);
});

describe('Redis outage', () => {
  const readyStatus = async (name: ServiceName) => {
    try {
      const r = await fetch(fleet.url(name, '/ready'), { signal: AbortSignal.timeout(10_000) });
      return { status: r.status, failed: ((await r.json().catch(() => ({}))) as { failed?: string[] }).failed ?? [] };
    } catch {
      return { status: 0, failed: [] };
    }
  };

  it('services report not-ready naming redis, recover by themselves, and no fill is lost', async () => {
    await waitFor('replay finished', () => fleet.running.get('price-stream')!.logs().includes('"replay finished"') || undefined, 60_000);
    for (let i = 0; i < 5; i++) await fleet.order(coid('pre-outage'), i % 2 ? 'sell' : 'buy');
    await fleet.settle('SELECT COUNT(*) AS n FROM trades', 1000);
    expect(await fleet.fillsConsistency()).toEqual({ missing: [], extra: [], duplicated: [] });
    const pids = new Map(ALL_SERVICES.map((n) => [n, fleet.running.get(n)!.child.pid]));

    const groups = await fleet.consumerGroups();
    expect(groups.some((g) => g.includes('events.fills'))).toBe(true);
    console.log(`Redis outage: ${groups.length} consumer groups before the outage`);
    let outageAccepted = 0;
    await fleet.redis.stop();
    try {
      for (const name of ALL_SERVICES) {
        const r = await waitFor(`${name} not ready without redis`, async () => {
          const s = await readyStatus(name);
          return s.status === 503 ? s : undefined;
        }, 20_000);
        expect(r.failed).toContain('redis');
      }
      // Orders while Redis is down: execution may take them (the fill waits in the outbox) or refuse them.
      const during: number[] = [];
      for (let i = 0; i < 3; i++) during.push((await fleet.order(coid('outage'), i % 2 ? 'sell' : 'buy')).status);
      console.log(`orders during the Redis outage answered ${during.join(', ')}`);
      outageAccepted = during.filter((st) => st === 200 || st === 201).length;
    } finally {
      await fleet.redis.start(); // empty: no streams, no consumer groups
    }

    for (const name of ALL_SERVICES) {
      await waitFor(`${name} ready again`, async () => (await readyStatus(name)).status === 200, 30_000);
      expect(fleet.running.get(name)!.child.exitCode).toBeNull();
      expect(fleet.running.get(name)!.child.pid).toBe(pids.get(name));
    }
    // The new Redis started empty: every consumer group comes back (NOGROUP → re-created) on its own.
    await waitFor('consumer groups re-created', async () => {
      const now = await fleet.consumerGroups();
      return groups.every((g) => now.includes(g)) || undefined;
    }, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: had ${groups.join(', ')}; now ${(await fleet.consumerGroups()).join(', ')}`);
    });
    const after: number[] = [];
    for (let i = 0; i < 5; i++) after.push((await fleet.order(coid('post-outage'), i % 2 ? 'sell' : 'buy')).status);
    expect(after.filter((s) => s === 200 || s === 201).length).toBe(5);
    await fleet.settle('SELECT COUNT(*) AS n FROM trades', 1000);
    expect(await fleet.fillsConsistency(30_000)).toEqual({ missing: [], extra: [], duplicated: [] });
    expect(await fleet.count("SELECT COUNT(*) AS n FROM trades WHERE client_order_id LIKE 'fleet-post-outage-%'")).toBeGreaterThan(0);
    // Fills committed while Redis was down waited in execution's outbox and reached portfolio afterwards.
    if (outageAccepted > 0) expect(await fleet.count("SELECT COUNT(*) AS n FROM trades WHERE client_order_id LIKE 'fleet-outage-%'")).toBeGreaterThan(0);
    const books = await fleet.booksVsTrades();
    for (const p of books.positions) expect(p.book).toBe(p.trades);
    expect(books.cash.book).toBe(books.cash.trades);
  }, 120_000);
});

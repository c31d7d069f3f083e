/**
 * risk as a real process (the compiled service) against the real MariaDB and Redis, with a real
 * in-test gRPC server standing in for portfolio: Check over gRPC and REST, risk_events, the
 * limits API, the kill switch (persisted, broadcast, obeyed, surviving a restart), the circuit
 * breaker, the stale-price guard, portfolio down, idempotency across a restart, fills dropping
 * the cached exposure, metrics, SIGTERM. Needs `npx tsc -b services/risk` first (make test builds).
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import {
  createGrpcClient,
  createLogger,
  lintMetricsText,
  loadProto,
  RedisBus,
  type FillMessage,
  type GrpcClient,
  type RiskClient,
  type RiskProtoGrpcType,
  type TradingStateMessage,
} from '@cte/shared';
import {
  createTestDatabase,
  expectOversizedRefusedAlongside,
  metricValue,
  startService,
  waitFor,
  type RunningService,
  type TestDatabase,
} from '@cte/testkit';
import { startPortfolioDouble, type PortfolioDouble } from './helpers/portfolio-double';
import type { RiskService } from '../adapters/risk-service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const tag = randomBytes(4).toString('hex');
const BUS_NAMESPACE = `test-risk-${tag}:`;
const API_KEY = `risk-test-key-${tag}-0123456789`;
const BTC = 'BTC/USDT';
const ETH = 'ETH/USDT';

let tdb: TestDatabase;
let bus: RedisBus;
let portfolio: PortfolioDouble;
let svc: RunningService;
let client: GrpcClient<RiskClient>;
const states: TradingStateMessage[] = [];
let n = 0;

const env = (over: Record<string, string> = {}): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE,
  PORTFOLIO_GRPC_ADDR: portfolio.address,
  EXPOSURE_TTL_MS: '0',
  EVENTS_FLUSH_MS: '10',
  STATE_BROADCAST_MS: '0',
  PENDING_TTL_MS: '0',
  TRADABLE_SYMBOLS: `${BTC},${ETH},SOL/USDT`,
  ...over,
});

async function start(over: Record<string, string> = {}, ports: { httpPort?: number; grpcPort?: number } = {}): Promise<void> {
  svc = await startService('risk', { env: env(over), apiKey: API_KEY, ...ports });
  await waitFor('risk ready', () => svc.logs().includes('risk ready'));
  const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  client = createGrpcClient<RiskClient>(proto.cte.risk.v1.Risk, svc.grpcAddress, { apiKey: API_KEY, deadlineMs: 5000 });
}

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${svc.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': API_KEY, 'content-type': 'application/json', ...(init.headers ?? {}) } });
/** The fields of GET /stats this file reads (RiskService.stats() is an open record). */
interface StatsBody {
  trades_today: number;
  prices: { symbol: string; ts: number }[];
}
/** What each route answers: the RiskService method behind it (adapters/http.ts); the rest are asserted as unknown. */
type RouteBody<P extends string> = P extends `/stats${string}`
  ? StatsBody
  : P extends `/events${string}`
    ? Awaited<ReturnType<RiskService['listEvents']>>
    : P extends `/limits${string}`
      ? ReturnType<RiskService['getLimits']>
      : unknown;
const json = async <P extends string>(p: P, init: RequestInit = {}): Promise<RouteBody<P>> => (await (await api(p, init)).json()) as RouteBody<P>;
const metrics = async () => (await fetch(`${svc.httpUrl}/metrics`)).text();

/** Publishes a tick and waits until risk holds it. */
async function tick(symbol: string, price: string, ts = Date.now()): Promise<void> {
  await bus.publish(`data.ticks.${symbol.replace('/', '-')}`, { type: 'tick', data: { exchange: 'test', symbol, price, ts } });
  await waitFor(`tick ${symbol} ${ts}`, async () => {
    const s = await json('/stats');
    return s.prices.some((p) => p.symbol === symbol && p.ts >= ts);
  });
}

const rid = (what: string) => `it-${tag}-${what}-${++n}`;
const check = (over: Record<string, string> = {}) =>
  client.unary('Check', { recommendation_id: rid('chk'), symbol: BTC, side: 'buy', qty: '1', price: '', trace_id: '', ...over });

async function eventRows(recommendationId: string) {
  return tdb.db.query<Record<string, unknown>>('SELECT * FROM risk_events WHERE recommendation_id = ? ORDER BY seq', [recommendationId]);
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: BUS_NAMESPACE });
  await bus.subscribe<TradingStateMessage>('commands.trading_state', (e) => void states.push(e.data));
  portfolio = await startPortfolioDouble(API_KEY);
  await start();
  await tick(BTC, '100');
  await tick(ETH, '10');
}, 60_000);

afterAll(async () => {
  client?.close();
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await portfolio?.stop();
  await bus?.close();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.del(`${BUS_NAMESPACE}events.fills`, `${BUS_NAMESPACE}events.fills.dlq`).catch(() => undefined);
  redis.disconnect();
  await tdb?.drop();
});

describe('probes and auth', () => {
  it('health and ready need no key; ready checks mysql and redis, and details the market feeds', async () => {
    expect(await (await fetch(`${svc.httpUrl}/health`)).json()).toMatchObject({ status: 'ok', service: 'risk' });
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(Object.keys(ready.checks).sort()).toEqual(['market_feeds', 'mysql', 'redis']);
  });

  it('every API route and RPC needs the key', async () => {
    for (const p of ['/limits', '/kill-switch', '/trading-state', '/events', '/stats']) expect((await fetch(`${svc.httpUrl}${p}`)).status).toBe(401);
    const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
    const raw = new proto.cte.risk.v1.Risk(svc.grpcAddress, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => raw.GetTradingState({}, new grpc.Metadata(), (err) => resolve(err?.code ?? 0)));
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('Check', () => {
  it('approves, resizes with the reason, and records every decision in risk_events', async () => {
    const ok = await check({ qty: '2' });
    expect(ok).toMatchObject({ decision: 'APPROVED', approved_qty: '2', reasons: [], trading_state: 'ACTIVE', reduces_position: false });
    const id = rid('resize');
    const resized = await check({ recommendation_id: id, qty: '80', trace_id: `trace-${tag}-resize` });
    expect(resized).toMatchObject({ decision: 'RESIZED', approved_qty: '50', reasons: ['max_position_pct'] });
    const [row] = await waitFor('risk_events row', async () => {
      const rows = await eventRows(id);
      return rows.length > 0 && rows;
    });
    expect(row).toMatchObject({
      id: resized.event_id,
      kind: 'check',
      decision: 'RESIZED',
      symbol: BTC,
      side: 'buy',
      trading_state: 'ACTIVE',
      requested_qty: '80.000000000000000000',
      approved_qty: '50.000000000000000000',
      price: '100.000000000000000000',
      equity: '100000.000000000000000000',
      trace_id: `trace-${tag}-resize`,
    });
    expect(row!.reasons).toEqual(['max_position_pct']);
    const listed = await json('/events?decision=RESIZED&limit=10');
    expect(listed.events.map((e) => e.recommendation_id)).toContain(id);
    expect(listed.events.every((e) => e.decision === 'RESIZED')).toBe(true);
    expect(listed.total).toBeGreaterThanOrEqual(1);
  });

  it('is idempotent per recommendation_id: the stored decision, counted once', async () => {
    const id = rid('idem');
    const before = (await json('/stats')).trades_today;
    const first = await check({ recommendation_id: id, qty: '3' });
    const again = await check({ recommendation_id: id, qty: '300', side: 'sell' });
    const viaRest = await json('/check', { method: 'POST', body: JSON.stringify({ recommendation_id: id, symbol: BTC, side: 'buy', qty: '7' }) });
    expect(again).toEqual(first);
    expect(viaRest).toEqual(first);
    expect((await json('/stats')).trades_today).toBe(before + 1);
    await waitFor('row', async () => (await eventRows(id)).length === 1);
    expect(await eventRows(id)).toHaveLength(1);
  });

  it('rejects bad input with INVALID_ARGUMENT / 400 and records nothing', async () => {
    const id = rid('bad');
    await expect(check({ recommendation_id: id, qty: '-1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(check({ recommendation_id: id, side: 'hold' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(check({ recommendation_id: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const res = await api('/check', { method: 'POST', body: JSON.stringify({ recommendation_id: id, symbol: 'nope', side: 'buy', qty: '1' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/symbol/);
    await json('/events?limit=1');
    expect(await eventRows(id)).toHaveLength(0);
  });

  it('refuses a well-formed but unknown symbol as INVALID_ARGUMENT naming it, not stale_price (issue 10)', async () => {
    const id = rid('foo');
    await tick(BTC, '100');
    const grpcErr = (await check({ recommendation_id: id, symbol: 'FOO/BAR' }).then(() => undefined, (e: unknown) => e)) as { code?: string; message?: string } | undefined;
    expect(grpcErr).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(grpcErr?.message).toMatch(/unknown symbol FOO\/BAR: tradable symbols are BTC\/USDT, ETH\/USDT, SOL\/USDT/);
    const res = await api('/check', { method: 'POST', body: JSON.stringify({ recommendation_id: id, symbol: 'FOO/BAR', side: 'buy', qty: '1' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/unknown symbol FOO\/BAR/);
    const events = await api('/events?symbol=FOO/BAR');
    expect(events.status).toBe(400);
    expect(await eventRows(id)).toHaveLength(0);
  });

  it('rejects a stale price (data time behind the newest tick)', async () => {
    await tick('SOL/USDT', '20', Date.now() - 120_000);
    await tick(BTC, '100');
    const r = await check({ symbol: 'SOL/USDT' });
    expect(r).toMatchObject({ decision: 'REJECTED', approved_qty: '0', reasons: ['stale_price'] });
  });

  it('rejects orders on a symbol whose every feed is stale (data.feeds), reducing ones too, names it in /ready, and approves again once a feed is live', async () => {
    const ready = async () => ((await (await fetch(`${svc.httpUrl}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> });
    const status = (exchange: string, stale: boolean) => {
      const ts = Date.now();
      const age = stale ? 90_000 : 10;
      return { exchange, symbol: ETH, stale, last_message_ms: ts - age, age_ms: age, threshold_ms: 60_000, interval_ms: 60_000, ts };
    };
    const publish = (data: unknown) => bus.publish('data.feeds', { type: 'feed_status', data });
    const statuses = async (outcome: string) => metricValue(await metrics(), 'cte_risk_feed_statuses_total', { outcome });
    const live = async () => (await ready()).checks['market_feeds']?.detail === '1 symbols with live feeds';
    await tick(ETH, '10');
    await tick(BTC, '100');
    const applied = await statuses('applied');
    try {
      await publish(status('coinbase', true));
      await publish(status('kucoin', true));
      await waitFor('two statuses applied', async () => (await statuses('applied')) === applied + 2);
      expect(await check({ symbol: ETH })).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
      // A position-reducing order needs a fresh price too, as with the other price guards.
      portfolio.set({ equity: '100000', positions: { [ETH]: ['2', '20'] } });
      try {
        expect(await check({ symbol: ETH, side: 'sell', qty: '1' })).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
      } finally {
        portfolio.set({ equity: '100000' });
      }
      expect(await check({ symbol: BTC })).toMatchObject({ decision: 'APPROVED' });
      const r = await ready();
      expect(r.status).toBe('ready');
      expect(r.checks['market_feeds']).toEqual({ ok: true, detail: 'stale, orders rejected: ETH/USDT (coinbase+kucoin, 90 s); 0 of 1 symbols live' });
      expect(metricValue(await metrics(), 'cte_risk_symbol_stale_info', { symbol: ETH })).toBe(1);

      // One live venue is enough: the symbol's latest price is fresh again.
      await publish(status('kucoin', false));
      await waitFor('ETH live again', live);
      expect(await check({ symbol: ETH })).toMatchObject({ decision: 'APPROVED' });
      const m = await metrics();
      expect(m).toMatch(/^cte_risk_symbol_stale_info\{symbol="ETH\/USDT"[^}]*\} 0$/m);

      // A malformed status and one for a symbol not tradable here are dropped and counted; nothing changes.
      const [malformed, unknown] = [await statuses('malformed'), await statuses('unknown_symbol')];
      await publish({ ...status('coinbase', true), stale: 'yes' });
      await publish({ ...status('coinbase', true), symbol: 'FOO/BAR' });
      await waitFor('both counted', async () => (await statuses('malformed')) === malformed + 1 && (await statuses('unknown_symbol')) === unknown + 1);
      expect(await check({ symbol: ETH })).toMatchObject({ decision: 'APPROVED' });
    } finally {
      // The tests after this one price ETH: leave its feeds live whatever happened above.
      await publish(status('coinbase', false));
      await publish(status('kucoin', false));
      await waitFor('ETH feeds live', live);
    }
  });

  it('rejects portfolio_unavailable when portfolio is down, and decides again once it is back', async () => {
    const id = rid('down');
    portfolio.available = false;
    try {
      expect(await check({ recommendation_id: id })).toMatchObject({ decision: 'REJECTED', reasons: ['portfolio_unavailable'] });
    } finally {
      portfolio.available = true;
    }
    expect(await check({ recommendation_id: id })).toMatchObject({ decision: 'APPROVED' });
    await waitFor('both rows', async () => (await eventRows(id)).length === 2);
    const rows = await eventRows(id);
    expect(rows.map((r) => [r.decision, Number(r.final)])).toEqual([
      ['REJECTED', 0],
      ['APPROVED', 1],
    ]);
  });
});

describe('limits API', () => {
  it('shows the effective limits with their source', async () => {
    const l = await json('/limits');
    expect(l).toMatchObject({ max_position_pct: '5', max_gross_exposure_pct: '80', allowed_symbols: [], source: { max_position_pct: 'env' } });
    expect(await client.unary('GetLimits', {})).toMatchObject({ max_position_pct: '5', max_price_age_ms: '60000' });
  });

  it.each([
    [{ max_position_pct: -1 }, /max_position_pct/],
    [{ max_position_pct: 'NaN' }, /max_position_pct/],
    [{ max_trades_per_day: '2.5' }, /max_trades_per_day/],
    [{ max_leverage: '3' }, /unknown limit/],
    [{ min_order_notional: '60000' }, /min_order_notional/],
  ])('PUT /limits %j → 400, nothing changed', async (body, message) => {
    const before = await json('/limits');
    const res = await api('/limits', { method: 'PUT', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    expect(await json('/limits')).toEqual(before);
  });

  it('refuses allowed_symbols naming an unknown symbol over REST and gRPC, changing nothing (issue 10)', async () => {
    const before = await json('/limits');
    const res = await api('/limits', { method: 'PUT', body: JSON.stringify({ allowed_symbols: ['FOO/BAR'] }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/allowed_symbols: unknown symbol FOO\/BAR: tradable symbols are/);
    await expect(client.unary('UpdateLimits', { allowed_symbols: [ETH, 'FOO/BAR'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await json('/limits')).toEqual(before);
    expect(await tdb.db.query('SELECT name FROM risk_limits')).toEqual([]);
  });

  it('a PUT is persisted, overrides the environment, and is obeyed', async () => {
    const res = await json('/limits', { method: 'PUT', body: JSON.stringify({ max_position_pct: '2', allowed_symbols: [ETH] }) });
    expect(res).toMatchObject({ max_position_pct: '2', allowed_symbols: [ETH], source: { max_position_pct: 'db', allowed_symbols: 'db', max_gross_exposure_pct: 'env' } });
    const rows = await tdb.db.query<{ name: string; value: string }>('SELECT name, CAST(value AS CHAR) AS value FROM risk_limits ORDER BY name');
    expect(rows.map((r): [string, unknown] => [r.name, JSON.parse(r.value)])).toEqual([
      ['allowed_symbols', [ETH]],
      ['max_position_pct', '2'],
    ]);
    expect(await check({ symbol: BTC })).toMatchObject({ decision: 'REJECTED', reasons: ['symbol_not_allowed'] });
    expect(await check({ symbol: ETH, qty: '500' })).toMatchObject({ decision: 'RESIZED', approved_qty: '200', reasons: ['max_position_pct'] });
    // gRPC UpdateLimits: replace the list with "all symbols".
    expect(await client.unary('UpdateLimits', { allowed_symbols: [], replace_allowed_symbols: true })).toMatchObject({ allowed_symbols: [], max_position_pct: '2' });
    expect(await check({ symbol: BTC, qty: '80' })).toMatchObject({ decision: 'RESIZED', approved_qty: '20' });
    const events = await json('/events?kind=limits');
    expect(events.events.length).toBe(2);
  });
});

describe('kill switch', () => {
  it('HALTED is persisted, broadcast, reported and obeyed; reducing orders still pass', async () => {
    portfolio.set({ equity: '100000', positions: { [BTC]: ['10', '1000'] } });
    const res = await json('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'HALTED', reason: 'operator test' }) });
    expect(res).toMatchObject({ state: 'HALTED', reason: 'operator test', updated_by: 'operator' });
    await waitFor('broadcast', () => states.some((s) => s.state === 'HALTED' && s.reason === 'operator test'));
    expect(await tdb.db.query('SELECT state, reason, updated_by FROM trading_state')).toEqual([{ state: 'HALTED', reason: 'operator test', updated_by: 'operator' }]);
    expect(await json('/trading-state')).toMatchObject({ state: 'HALTED' });
    expect(await client.unary('GetTradingState', {})).toMatchObject({ state: 'HALTED', reason: 'operator test', updated_by: 'operator' });
    const m = await metrics();
    expect(m).toMatch(/cte_trading_state_info\{[^}]*state="HALTED"[^}]*\} 1/);
    expect(m).toMatch(/cte_trading_state_info\{[^}]*state="ACTIVE"[^}]*\} 0/);

    expect(await check({ side: 'buy' })).toMatchObject({ decision: 'REJECTED', reasons: ['halted'], trading_state: 'HALTED' });
    expect(await check({ side: 'sell', symbol: ETH, qty: '1' })).toMatchObject({ decision: 'REJECTED', reasons: ['halted'] });
    expect(await check({ side: 'sell', qty: '4' })).toMatchObject({ decision: 'APPROVED', reduces_position: true, trading_state: 'HALTED' });
  });

  it('REDUCING over gRPC: only orders that reduce a position', async () => {
    expect(await client.unary('SetTradingState', { state: 'REDUCING', reason: 'wind down' })).toMatchObject({ state: 'REDUCING', updated_by: 'operator' });
    expect(await check({ side: 'buy' })).toMatchObject({ decision: 'REJECTED', reasons: ['reducing_only'] });
    expect(await check({ side: 'sell', qty: '15' })).toMatchObject({ decision: 'RESIZED', approved_qty: '10', reasons: ['reducing_only'], reduces_position: true });
  });

  it('validates the request', async () => {
    expect((await api('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'PAUSED', reason: 'x' }) })).status).toBe(400);
    expect((await api('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'HALTED' }) })).status).toBe(400);
    await expect(client.unary('SetTradingState', { state: 'HALTED', reason: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await json('/kill-switch')).toMatchObject({ state: 'REDUCING' });
  });
});

describe('circuit breaker', () => {
  const tripped = async (reason: string) => {
    const s = await waitFor('HALTED row', async () => {
      const [row] = await tdb.db.query<{ state: string; updated_by: string; reason: string }>('SELECT state, updated_by, reason FROM trading_state');
      return row?.state === 'HALTED' && row.updated_by === 'circuit_breaker' && row;
    });
    expect(s.reason).toContain(reason);
    await waitFor('broadcast', () => states.some((m) => m.state === 'HALTED' && m.updated_by === 'circuit_breaker' && m.reason.includes(reason)));
    expect(await json('/kill-switch')).toMatchObject({ state: 'HALTED', updated_by: 'circuit_breaker' });
  };

  it('trips to HALTED on the daily loss', async () => {
    await json('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'ACTIVE', reason: 'resume' }) });
    portfolio.set({ equity: '94000', sod: '100000', peak: '100000' });
    expect(await check()).toMatchObject({ decision: 'REJECTED', reasons: ['max_daily_loss_pct', 'halted'], trading_state: 'HALTED' });
    await tripped('max_daily_loss_pct');
  });

  it('trips to HALTED on the drawdown from peak', async () => {
    await json('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'ACTIVE', reason: 'resume' }) });
    portfolio.set({ equity: '79000', sod: '79000', peak: '100000' });
    expect(await check()).toMatchObject({ decision: 'REJECTED', reasons: ['max_drawdown_pct', 'halted'] });
    await tripped('max_drawdown_pct');
    const events = await json('/events?kind=trading_state&limit=1');
    expect(events.events[0]).toMatchObject({ kind: 'trading_state', trading_state: 'HALTED', previous_state: 'ACTIVE', updated_by: 'circuit_breaker' });
  });
});

describe('hostile input (issue 10)', () => {
  const nested = (depth: number): string => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

  it.each([
    ['POST', '/check'],
    ['POST', '/kill-switch'],
    ['PUT', '/trading-state'],
    ['PUT', '/limits'],
  ])('%s %s: a value nested 45,000 deep is a 400 naming the field, not a 500, and changes nothing', async (method, p) => {
    const before: unknown = await json('/trading-state');
    const res = await api(p, { method, body: `{"recommendation_id":"${rid('deep')}","reason":${nested(45_000)}}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'reason is nested deeper than 32 levels',
      details: { field: 'reason', max_depth: 32 },
    });
    expect(await json('/trading-state')).toEqual(before);
  });

  it('a 90 KB invalid field over REST and a 200 KB one over gRPC: bounded INVALID_ARGUMENT, the connection keeps serving', async () => {
    const res = await api('/check', { method: 'POST', body: JSON.stringify({ recommendation_id: 'x'.repeat(90_000), symbol: BTC, side: 'buy', qty: '1' }) });
    expect(res.status).toBe(400);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message.length).toBeLessThanOrEqual(512);
    expect(message).toMatch(/^recommendation_id is invalid: "xxx/);
    await expectOversizedRefusedAlongside(check({ recommendation_id: 'y'.repeat(200 * 1024) }), check(), /^recommendation_id is invalid: "yyy/);
  });

  it('an invalid trace_id is refused naming trace_id over REST and gRPC, as execution does, and nothing is recorded', async () => {
    const id = rid('trace');
    const res = await api('/check', { method: 'POST', body: JSON.stringify({ recommendation_id: id, symbol: BTC, side: 'buy', qty: '1', trace_id: 'bad trace id!' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'trace_id must be 8-64 of A-Z a-z 0-9 -, got "bad trace id!"',
      details: { field: 'trace_id' },
    });
    const viaGrpc = (await check({ recommendation_id: id, trace_id: 'x' }).catch((e: unknown) => e)) as { code: string; message: string };
    expect([viaGrpc.code, viaGrpc.message]).toEqual(['INVALID_ARGUMENT', 'trace_id must be 8-64 of A-Z a-z 0-9 -, got "x"']);
    expect(await eventRows(id)).toHaveLength(0);
    const ok = await check({ recommendation_id: id, trace_id: 'trace-ok-12345678' });
    expect(ok.decision).toBeDefined();
  });
});

describe('metrics', () => {
  it('exports decisions, engine time and the trading state, and passes the lint', async () => {
    const m = await metrics();
    expect(lintMetricsText(m)).toEqual([]);
    expect(m).toMatch(/cte_risk_decisions_total\{[^}]*decision="RESIZED"[^}]*reason="max_position_pct"[^}]*\} \d+/);
    expect(m).toMatch(/cte_risk_decisions_total\{[^}]*decision="REJECTED"[^}]*reason="portfolio_unavailable"[^}]*\} \d+/);
    expect(m).toMatch(/cte_risk_check_seconds_count\{[^}]*\} [1-9]/);
    expect(m).toMatch(/cte_trading_state_info\{[^}]*state="HALTED"[^}]*\} 1/);
    expect(m).toMatch(/cte_risk_circuit_breaker_trips_total\{[^}]*reason="max_daily_loss_pct"[^}]*\} 1/);
  });
});

describe('restart', () => {
  it('SIGTERM exits 0 with every decision written; state, limits, decisions and counts survive', async () => {
    const lastId = rid('last');
    const last = await check({ recommendation_id: lastId });
    const stats = await json('/stats');
    const httpPort = Number(new URL(svc.httpUrl).port);
    client.close();
    expect(await svc.stop()).toBe(0);
    expect(await eventRows(lastId)).toHaveLength(1);

    portfolio.set({ equity: '100000' });
    await start({ EXPOSURE_TTL_MS: '60000' }, { httpPort });
    expect(await json('/kill-switch')).toMatchObject({ state: 'HALTED', updated_by: 'circuit_breaker' });
    await waitFor('state re-broadcast on start', () => states.filter((s) => s.updated_by === 'circuit_breaker').length >= 3);
    expect(await json('/limits')).toMatchObject({ max_position_pct: '2', source: { max_position_pct: 'db' } });
    expect(await client.unary('Check', { recommendation_id: lastId, symbol: ETH, side: 'sell', qty: '9', price: '', trace_id: '' })).toEqual(last);
    await tick(BTC, '100');
    expect((await json('/stats')).trades_today).toBe(stats.trades_today);
  });

  it('a fill on events.fills drops the cached exposure (and is acked)', async () => {
    await json('/kill-switch', { method: 'POST', body: JSON.stringify({ state: 'ACTIVE', reason: 'resume after restart' }) });
    await tick(BTC, '100');
    expect(await check({ qty: '1' })).toMatchObject({ decision: 'APPROVED', reasons: [] });
    portfolio.set({ equity: '100000', positions: { [BTC]: ['20', '2000'] } });
    // Cached for 60 s: the new position is not seen yet.
    expect(await check({ qty: '1' })).toMatchObject({ decision: 'APPROVED' });
    const calls = portfolio.calls();
    const fill: FillMessage = {
      fill_id: `fill-${tag}`,
      venue: 'mock',
      venue_trade_id: `t-${tag}`,
      order_id: `o-${tag}`,
      client_order_id: `c-${tag}`,
      symbol: BTC,
      side: 'buy',
      qty: '18',
      price: '100',
      fee: '0',
      fee_currency: 'USDT',
      liquidity: 'taker',
      ts: Date.now(),
      trace_id: `trace-${tag}-fill`,
    };
    await bus.append('events.fills', { type: 'fill', data: fill });
    await waitFor('exposure refetched after the fill', () => portfolio.calls() > calls);
    expect(await check({ qty: '1' })).toMatchObject({ decision: 'REJECTED', reasons: ['max_position_pct'] });
    const redis = new Redis(REDIS_URL);
    try {
      await waitFor('fill acked', async () => {
        const pending = (await redis.xpending(`${BUS_NAMESPACE}events.fills`, 'risk')) as [number, ...unknown[]];
        return Number(pending[0]) === 0;
      });
    } finally {
      redis.disconnect();
    }
  });
});


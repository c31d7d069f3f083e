/**
 * execution as a real process (services/execution/dist/main.js) against real MariaDB and Redis,
 * with prices published on data.ticks.* and risk played by a small in-test gRPC server
 * implementing Risk.GetTradingState (plus commands.trading_state on the bus):
 * REST and gRPC APIs, bad input → 400/INVALID_ARGUMENT with no row written, fills on events.fills
 * and order events on events.orders, the kill switch (HALTED, REDUCING), not-ready while the
 * trading state is unknown, restart reconciliation after SIGKILL, metrics, SIGTERM → exit 0,
 * TRADING_MODE=live refused at start without keys and acknowledgement. Needs `npx tsc -b services/execution` first (make test does it).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  createGrpcClient,
  createGrpcServer,
  createMetrics,
  InvalidArgumentError,
  lintMetricsText,
  loadProto,
  parseFillMessage,
  RedisBus,
  tickChannel,
  TRADING_CHANNELS,
  type Envelope,
  type ExecutionClient,
  type ExecutionProtoGrpcType,
  type GrpcServerKit,
  type OrderEventMessage,
  type RiskHandlers,
  type RiskProtoGrpcType,
  type TradingStateMessage,
} from '@cte/shared';
import {
  findPromtool,
  createTestDatabase,
  expectOversizedRefusedAlongside,
  freePort,
  startService,
  waitFor,
  type RunningService,
  type TestDatabase,
} from '@cte/testkit';
import { dropNamespaces, logger, newNamespace, readFills, REDIS_URL } from './helpers/harness';

const tag = randomBytes(3).toString('hex').toUpperCase();
/** Symbols nobody else publishes. */
const SYM = `XA${tag}/USD`;
const KS = `XK${tag}/USD`;
const API_KEY = `exec-test-key-${tag}-${Date.now()}`;
const T0 = Date.UTC(2019, 9, 1);

let tdb: TestDatabase;
let bus: RedisBus;
let redis: Redis;
let namespace: string;
let svc: RunningService;
let riskKit: GrpcServerKit;
let riskAddr: string;
const risk: { state: TradingStateMessage } = { state: { state: 'ACTIVE', reason: 'start', updated_at: 1, updated_by: 'test' } };
const orderEvents: OrderEventMessage[] = [];
let dataTs = T0;

async function startRisk(port = 0): Promise<{ kit: GrpcServerKit; addr: string }> {
  const kit = createGrpcServer({ service: 'risk', apiKey: API_KEY, logger, registry: createMetrics('risk-double') });
  const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  const handlers: Pick<RiskHandlers, 'GetTradingState'> = {
    GetTradingState: (_call, cb) => cb(null, { ...risk.state, updated_at: String(risk.state.updated_at) }),
  };
  kit.addService(proto.cte.risk.v1.Risk.service, handlers);
  const bound = await kit.listen(port, '127.0.0.1');
  return { kit, addr: `127.0.0.1:${bound}` };
}

const env = (over: Record<string, string> = {}): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE: namespace,
  RISK_GRPC_ADDR: riskAddr,
  TRADING_STATE_REFRESH_MS: '200',
  SHUTDOWN_GRACE_MS: '5000',
  TRADABLE_SYMBOLS: `${SYM},${KS}`,
  ...over,
});

const headers = (): Record<string, string> => ({ 'X-TRADING-API-KEY': API_KEY, 'content-type': 'application/json' });
/** The fields of response bodies this file reads (an order, a list, the trading state, an error); the assertions check them. */
interface Body {
  id: string;
  status: string;
  state: string;
  total: number;
  orders: { id: string }[];
  trades: { id: string }[];
  positions: { symbol: string; qty: string }[];
  prices: { symbol: string; ts: number }[];
  error: { code: string; message: string; details?: unknown };
}
async function call(method: string, path: string, body?: unknown, s: RunningService = svc): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${s.httpUrl}${path}`, { method, headers: headers(), body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Body };
}

async function distinctPorts(k: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < k) ports.add(await freePort());
  return [...ports];
}

async function countOrders(): Promise<number> {
  return Number((await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))[0]!.n);
}

/** Publishes a tick and waits until the service's mock venue has it. */
async function tick(symbol: string, price: string, s: RunningService = svc): Promise<void> {
  dataTs += 1000;
  const ts = dataTs;
  await bus.publish(tickChannel(symbol), { type: 'tick', data: { exchange: 'test', symbol, price, ts } });
  await waitFor(`tick ${symbol} ${price}`, async () => {
    const r = await call('GET', '/prices', undefined, s);
    return r.body.prices.some((p: { symbol: string; ts: number }) => p.symbol === symbol && p.ts === ts);
  });
}

let n = 0;
const cid = (p = 'ord') => `${p}-${tag}-${++n}`;

async function setTradingState(state: TradingStateMessage['state']): Promise<void> {
  risk.state = { state, reason: `test ${state}`, updated_at: Date.now(), updated_by: 'operator' };
  await bus.publish(TRADING_CHANNELS.tradingState, { type: 'trading_state', data: risk.state });
  await waitFor(`trading state ${state}`, async () => (await call('GET', '/trading-state')).body.state === state);
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  namespace = newNamespace('exec-svc');
  bus = new RedisBus({ url: REDIS_URL, logger, namespace });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  ({ kit: riskKit, addr: riskAddr } = await startRisk());
  await bus.subscribe<OrderEventMessage>(TRADING_CHANNELS.orders, (e: Envelope<OrderEventMessage>) => {
    orderEvents.push(e.data);
  });
  svc = await startService('execution', { env: env(), apiKey: API_KEY });
}, 60_000);

afterAll(async () => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await riskKit?.shutdown(100);
  await bus?.close();
  await dropNamespaces(redis);
  redis?.disconnect();
  await tdb?.drop();
});

describe('execution service (process)', () => {
  it('is ready once reconciled and the trading state is known; probes and auth', async () => {
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks).toMatchObject({ mysql: { ok: true }, redis: { ok: true }, trading_state: { ok: true }, reconciled: { ok: true } });
    expect((await fetch(`${svc.httpUrl}/orders`)).status).toBe(401);
    expect((await call('GET', '/trading-state')).body).toMatchObject({ known: true, state: 'ACTIVE', source: 'risk_grpc' });
  });

  it('rejects every bad order with 400 naming the field, and writes nothing', async () => {
    await tick(SYM, '100.00');
    const good = { client_order_id: cid('bad'), symbol: SYM, side: 'buy', type: 'limit', qty: '1', limit_price: '90' };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, qty: '0' }, /qty must be > 0/],
      [{ ...good, qty: '-1' }, /qty must be > 0/],
      [{ ...good, qty: 'NaN' }, /qty must be a decimal/],
      [{ ...good, qty: '1.000000001' }, /qty has too many decimals/],
      [{ ...good, limit_price: '90.001' }, /limit_price has too many decimals/],
      [{ ...good, symbol: 'NOPE/USD' }, new RegExp(`^unknown symbol NOPE/USD: tradable symbols are ${SYM}, ${KS}`)],
      [{ ...good, symbol: 'FOO/BAR' }, /unknown symbol FOO\/BAR/],
      [{ ...good, side: 'short' }, /side must be buy or sell/],
      [{ ...good, type: 'stop_loss' }, /type must be market or limit/],
      [{ ...good, client_order_id: undefined }, /client_order_id is required/],
      [{ ...good, limit_price: undefined }, /limit_price is required/],
      [{ ...good, qtty: '1' }, /unknown field/],
      ['{"client_order_id": ', /not valid JSON/],
      [[], /must be a JSON object/],
    ];
    const before = await countOrders();
    for (const [body, message] of cases) {
      const r = await call('POST', '/orders', body);
      expect([r.status, r.body.error.code]).toEqual([400, 'INVALID_ARGUMENT']);
      expect(r.body.error.message).toMatch(message);
    }
    expect(await countOrders()).toBe(before);
    // Bad list queries too.
    expect((await call('GET', '/orders?status=DONE')).status).toBe(400);
    expect((await call('GET', '/orders?limit=100000')).status).toBe(400);
    expect((await call('GET', '/trades?symbol=nope')).status).toBe(400);
    expect((await call('GET', `/trades?order_id=${encodeURIComponent("' OR '1'='1")}`)).status).toBe(400); // found by tests/fuzz
    // A well-formed symbol outside TRADABLE_SYMBOLS is refused by every route and RPC alike (issue 10).
    expect(await call('GET', '/orders?symbol=FOO-BAR')).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/unknown symbol FOO\/BAR/) as unknown } } });
    expect((await call('GET', '/trades?symbol=FOO/BAR')).status).toBe(400);
    const client = createGrpcClient<ExecutionClient>(loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto').cte.execution.v1.Execution, svc.grpcAddress, { apiKey: API_KEY });
    try {
      await expect(client.unary('Submit', { ...good, client_order_id: cid('foo'), symbol: 'FOO/BAR' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/unknown symbol FOO\/BAR/) as unknown });
      await expect(client.unary('ListOrders', { status: '', symbol: 'FOO/BAR', limit: 0, offset: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      client.close();
    }
    expect(await countOrders()).toBe(before);
  });

  it('fills a market order over REST; idempotent replay; reads; fill on events.fills; events on events.orders', async () => {
    await tick(SYM, '100.00');
    const body = { client_order_id: cid('mkt'), symbol: SYM, side: 'buy', type: 'market', qty: '2', recommendation_id: 'rec-1', trace_id: `trace${tag}mkt` };
    const first = await call('POST', '/orders', body);
    expect(first.status).toBe(201);
    // 2 × 100 = 200 notional → 5 + 10 × 200/100,000 = 5.02 bps
    expect(first.body).toMatchObject({ status: 'FILLED', filled_qty: '2', avg_fill_price: '100.0502', fees: '0.2001004', fee_currency: 'USD', venue: 'mock', recommendation_id: 'rec-1' });
    const again = await call('POST', '/orders', body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    expect((await call('GET', `/orders/${first.body.id}`)).body.status).toBe('FILLED');
    expect((await call('GET', `/orders/${body.client_order_id}`)).body.id).toBe(first.body.id);
    expect((await call('GET', '/orders/nope')).status).toBe(404);
    const list = await call('GET', `/orders?status=FILLED&symbol=${SYM.replace('/', '-')}&limit=10`);
    expect(list.body.total).toBe(1);
    expect(list.body.orders[0]?.id).toBe(first.body.id);
    const trades = await call('GET', `/trades?order_id=${first.body.id}`);
    expect(trades.body.total).toBe(1);
    expect(trades.body.trades[0]).toMatchObject({ qty: '2', price: '100.0502', liquidity: 'taker' });

    const fills = await waitFor('fill on events.fills', async () => {
      const f = (await readFills(redis, namespace)).filter((x) => x.order_id === first.body.id);
      return f.length > 0 && f;
    });
    expect(fills.map((f) => parseFillMessage(f))).toEqual([expect.objectContaining({ fill_id: trades.body.trades[0]?.id, qty: '2', price: '100.0502', trace_id: body.trace_id })]);
    await waitFor('order events', () => orderEvents.filter((e) => e.order_id === first.body.id).length >= 3);
    expect(orderEvents.filter((e) => e.order_id === first.body.id).map((e) => e.event)).toEqual(['created', 'submitted', 'filled']);
    expect((await call('GET', '/positions')).body.positions).toContainEqual({ symbol: SYM, qty: '2' });
  });

  it('serves gRPC: Submit, GetOrder, ListOrders, Cancel, StreamOrderEvents; bad input is INVALID_ARGUMENT', async () => {
    const proto = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
    const client = createGrpcClient<ExecutionClient>(proto.cte.execution.v1.Execution, svc.grpcAddress, { apiKey: API_KEY });
    const stream = client.serverStream('StreamOrderEvents', { symbols: [SYM] });
    const streamed: Array<{ event: string; order: { id: string; status: string } }> = [];
    stream.on('data', (e: { event: string; order: { id: string; status: string } }) => streamed.push(e));
    stream.on('error', () => undefined);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const id = cid('grpc');
      const o = await client.unary('Submit', { client_order_id: id, symbol: SYM, side: 'sell', type: 'limit', qty: '0.5', limit_price: '150', trace_id: `trace${tag}grpc` });
      expect(o).toMatchObject({ client_order_id: id, status: 'SUBMITTED', limit_price: '150', qty: '0.5', venue_order_id: `mock-${o.id}` });
      expect(await client.unary('GetOrder', { client_order_id: id })).toMatchObject({ id: o.id });
      const list = await client.unary('ListOrders', { status: 'SUBMITTED', symbol: SYM, limit: 0, offset: 0 });
      expect(list.orders.map((x) => x.id)).toContain(o.id);
      expect((await client.unary('Cancel', { id: o.id })).status).toBe('CANCELED');
      await expect(client.unary('Cancel', { id: o.id })).rejects.toThrow(/cannot be canceled/);
      await expect(client.unary('Submit', { client_order_id: cid(), symbol: SYM, side: 'buy', type: 'market', qty: '-1' })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.unary('Submit', { client_order_id: '', symbol: SYM, side: 'buy', type: 'market', qty: '1' })).rejects.toThrow(/client_order_id is required/);
      await waitFor('streamed events', () => streamed.filter((e) => e.order.id === o.id).length >= 3);
      expect(streamed.filter((e) => e.order.id === o.id).map((e) => [e.event, e.order.status])).toEqual([
        ['created', 'NEW'],
        ['submitted', 'SUBMITTED'],
        ['canceled', 'CANCELED'],
      ]);
    } finally {
      stream.cancel();
      client.close();
    }
  });

  it('hostile input (issue 10): 45,000-deep JSON is a 400 naming the field; a 200 KB field over gRPC is a bounded INVALID_ARGUMENT', async () => {
    const before = await countOrders();
    const deep = `${'['.repeat(45_000)}0${']'.repeat(45_000)}`;
    const r = await call('POST', '/orders', `{"client_order_id":"${cid('deep')}","symbol":"${SYM}","side":"buy","type":"market","qty":${deep}}`);
    expect([r.status, (r.body as { error: unknown }).error]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'qty is nested deeper than 32 levels', details: { field: 'qty', max_depth: 32 } }]);
    const big = await call('POST', '/orders', { client_order_id: 'x'.repeat(90_000), symbol: SYM, side: 'buy', type: 'market', qty: '1' });
    const bigError = (big.body as { error: { code: string; message: string } }).error;
    expect([big.status, bigError.code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(bigError.message.length).toBeLessThanOrEqual(512);

    const proto = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
    const client = createGrpcClient<ExecutionClient>(proto.cte.execution.v1.Execution, svc.grpcAddress, { apiKey: API_KEY, deadlineMs: 5_000 });
    try {
      await expectOversizedRefusedAlongside(
        client.unary('Submit', { client_order_id: 'y'.repeat(200 * 1024), symbol: SYM, side: 'buy', type: 'market', qty: '1' }),
        client.unary('ListOrders', { status: '', symbol: SYM, limit: 1, offset: 0 }),
        /^client_order_id is invalid/,
      );
      const badTrace = (await client
        .unary('Submit', { client_order_id: cid('tr'), symbol: SYM, side: 'buy', type: 'market', qty: '1', trace_id: 'bad trace!' })
        .catch((e: unknown) => e)) as { code: string; message: string };
      expect([badTrace.code, badTrace.message]).toEqual(['INVALID_ARGUMENT', 'trace_id must be 8-64 of A-Z a-z 0-9 -, got "bad trace!"']);
    } finally {
      client.close();
    }
    expect(await countOrders()).toBe(before);
  });

  it('kill switch: HALTED rejects every order; REDUCING accepts only orders that reduce the position', async () => {
    await tick(KS, '50.00');
    const buy = await call('POST', '/orders', { client_order_id: cid('ks'), symbol: KS, side: 'buy', type: 'market', qty: '4' });
    expect(buy.body.status).toBe('FILLED'); // position +4

    await setTradingState('HALTED');
    for (const side of ['buy', 'sell']) {
      const r = await call('POST', '/orders', { client_order_id: cid('halt'), symbol: KS, side, type: 'market', qty: '1' });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ status: 'REJECTED', reason: 'trading_halted', filled_qty: '0' });
    }

    await setTradingState('REDUCING');
    const grow = await call('POST', '/orders', { client_order_id: cid('red'), symbol: KS, side: 'buy', type: 'market', qty: '1' });
    expect(grow.body).toMatchObject({ status: 'REJECTED', reason: 'trading_reducing' });
    const flip = await call('POST', '/orders', { client_order_id: cid('red'), symbol: KS, side: 'sell', type: 'market', qty: '5' });
    expect(flip.body).toMatchObject({ status: 'REJECTED', reason: 'trading_reducing' });
    const reduce = await call('POST', '/orders', { client_order_id: cid('red'), symbol: KS, side: 'sell', type: 'market', qty: '1.5' });
    expect(reduce.body.status).toBe('FILLED');
    const flat = await call('POST', '/orders', { client_order_id: cid('red'), symbol: KS, side: 'sell', type: 'market', qty: '2.5' });
    expect(flat.body.status).toBe('FILLED');
    const nothingLeft = await call('POST', '/orders', { client_order_id: cid('red'), symbol: KS, side: 'sell', type: 'market', qty: '0.1' });
    expect(nothingLeft.body).toMatchObject({ status: 'REJECTED', reason: 'trading_reducing' });
    expect((await call('GET', '/positions')).body.positions).toContainEqual({ symbol: KS, qty: '0' });

    await setTradingState('ACTIVE');
    expect((await call('POST', '/orders', { client_order_id: cid('act'), symbol: KS, side: 'buy', type: 'market', qty: '1' })).body.status).toBe('FILLED');
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/cte_trading_state_info\{state="ACTIVE"[^}]*\} 1/);
    expect(metrics).toMatch(/cte_orders_total\{status="REJECTED"[^}]*\} [4-9]/);
  });

  it('is not ready and refuses orders while the trading state is unknown (risk down), then becomes ready', async () => {
    const own = await createTestDatabase(logger);
    const [riskPort, httpPort, grpcPort] = await distinctPorts(3);
    const starting = startService('execution', {
      env: env({ MYSQL_URL: own.url, RISK_GRPC_ADDR: `127.0.0.1:${riskPort}`, BUS_NAMESPACE: newNamespace('exec-down') }),
      apiKey: API_KEY,
      httpPort,
      grpcPort,
      readyTimeoutMs: 20_000,
    });
    let late: GrpcServerKit | undefined;
    let started: RunningService | undefined;
    try {
      const url = `http://127.0.0.1:${httpPort}`;
      let last = '';
      const notReady = await waitFor('not-ready answer', async () => {
        try {
          const r = await fetch(`${url}/ready`);
          last = `${r.status}`;
          return r.status === 503 && ((await r.json()) as { checks: Record<string, { ok: boolean; error?: string }> });
        } catch (err) {
          last = String(err);
          return undefined;
        }
      }).catch((err: Error) => {
        throw new Error(`${err.message}; last /ready: ${last}`);
      });
      expect(notReady.checks.trading_state).toMatchObject({ ok: false });
      expect(notReady.checks.trading_state!.error).toMatch(/trading state unknown/);
      const r = await fetch(`${url}/orders`, { method: 'POST', headers: headers(), body: JSON.stringify({ client_order_id: 'x1', symbol: SYM, side: 'buy', type: 'market', qty: '1' }) });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/trading state unknown/);
      expect(await own.db.query('SELECT id FROM orders')).toHaveLength(0);
      // Risk comes up: the service becomes ready.
      late = (await startRisk(riskPort)).kit;
      started = await starting;
      expect((await call('GET', '/trading-state', undefined, started)).body).toMatchObject({ known: true, state: 'ACTIVE' });
      expect(await started.stop()).toBe(0);
    } finally {
      if (!started) await starting.then((s) => s.child.kill('SIGKILL')).catch(() => undefined);
      await late?.shutdown(100);
      await own.drop();
    }
  });

  it('after SIGKILL and restart, a resting order is still open, reconciled, and fills when the price crosses', async () => {
    await tick(SYM, '100.00');
    const r = await call('POST', '/orders', { client_order_id: cid('rest'), symbol: SYM, side: 'buy', type: 'limit', qty: '3', limit_price: '95.5' });
    expect(r.body.status).toBe('SUBMITTED');
    svc.child.kill('SIGKILL');
    expect(await svc.exited).toBeNull();

    svc = await startService('execution', { env: env(), apiKey: API_KEY });
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks.reconciled).toEqual({ ok: true });
    expect((await call('GET', `/orders/${r.body.id}`)).body).toMatchObject({ status: 'SUBMITTED', filled_qty: '0' });
    await tick(SYM, '96.00');
    expect((await call('GET', `/orders/${r.body.id}`)).body.status).toBe('SUBMITTED');
    await tick(SYM, '95.00');
    const filled = await waitFor('fill after restart', async () => {
      const o = (await call('GET', `/orders/${r.body.id}`)).body;
      return o.status === 'FILLED' && o;
    });
    expect(filled).toMatchObject({ filled_qty: '3', avg_fill_price: '95.5' });
    const fills = await waitFor('fill on the stream', async () => {
      const f = (await readFills(redis, namespace)).filter((x) => x.order_id === r.body.id);
      return f.length > 0 && f;
    });
    expect(fills).toEqual([expect.objectContaining({ qty: '3', price: '95.5', liquidity: 'maker', fee: '0.14325' })]);
  });

  it('a market order with a data time fills at the first price at or after it, also when restored after SIGKILL (issue 13)', async () => {
    await tick(SYM, '100.00');
    const dataTime = dataTs + 2500;
    const r = await call('POST', '/orders', { client_order_id: cid('dt'), symbol: SYM, side: 'buy', type: 'market', qty: '1', data_time: dataTime });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('SUBMITTED');
    const stored = await tdb.db.query<{ data_time: string | number }>('SELECT data_time FROM orders WHERE id = ?', [r.body.id]);
    expect(Number(stored[0]!.data_time)).toBe(dataTime);
    await tick(SYM, '100.50'); // before the data time: no fill
    expect((await call('GET', `/orders/${r.body.id}`)).body.status).toBe('SUBMITTED');
    svc.child.kill('SIGKILL');
    expect(await svc.exited).toBeNull();

    svc = await startService('execution', { env: env(), apiKey: API_KEY });
    await tick(SYM, '100.70'); // still before it
    expect((await call('GET', `/orders/${r.body.id}`)).body.status).toBe('SUBMITTED');
    await tick(SYM, '101.00');
    const fills = await waitFor('fill at the data time', async () => {
      const f = (await readFills(redis, namespace)).filter((x) => x.order_id === r.body.id);
      return f.length > 0 && f;
    });
    expect(fills).toEqual([expect.objectContaining({ qty: '1', ts: dataTs })]);
    expect(dataTs).toBeGreaterThanOrEqual(dataTime);
    // 101 + 5.0101 bps (5 + 10 × 101/100,000)
    expect(fills[0]!.price).toBe('101.05060201');
  });

  it('exposes lint-clean metrics', async () => {
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(lintMetricsText(text)).toEqual([]);
    for (const name of ['cte_orders_total', 'cte_fills_total', 'cte_order_submit_seconds_bucket', 'cte_fill_outbox_lag_seconds', 'cte_trading_state_info']) expect(text).toContain(name);
    const promtool = findPromtool();
    if (!promtool) return;
    const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${res.stdout}${res.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => !/^(process_|nodejs_)/.test(l)); // prom-client's default metrics
    expect(problems).toEqual([]);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await svc.stop()).toBe(0);
    expect(svc.logs()).toContain('shutdown complete');
  });

  it('refuses TRADING_MODE=live without keys and acknowledgement: exit 2 naming what is missing', async () => {
    await expect(startService('execution', { env: env({ TRADING_MODE: 'live', LIVE_VENUES: 'binanceus' }), apiKey: API_KEY })).rejects.toThrow(
      /exited with 2[\s\S]*LIVE_TRADING_ACK: is not set[\s\S]*BINANCEUS_API_KEY: is required[\s\S]*BINANCEUS_API_SECRET: is required/,
    );
  });
});

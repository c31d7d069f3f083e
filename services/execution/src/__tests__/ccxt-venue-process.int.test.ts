/**
 * TRADING_MODE=live as a real process (services/execution/dist/main.js): without keys and the
 * acknowledgement it exits 2 naming what is missing; with them, pointed at the venue emulator's
 * Binance.US (VENUE_URL_BINANCEUS), it loads the markets, becomes ready, fills a REST order through
 * the venue, and neither its logs nor /metrics contain a credential.
 * Needs `npx tsc -b services/execution` first (make test does it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createGrpcServer, createMetrics, loadProto, type GrpcServerKit, type RiskHandlers, type RiskProtoGrpcType } from '@cte/shared';
import { createTestDatabase, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { Account } from '../../../venue-emulator/src/engine/private/exchange';
import { LIVE_ACK_VALUE } from '../config';
import { dropNamespaces, logger, newNamespace, REDIS_URL } from './helpers/harness';
import Redis from 'ioredis';

const tag = randomBytes(3).toString('hex');
const API_KEY = `exec-live-key-${tag}-0123456789`;
const SYMBOL = 'COMP/USDT';

let tdb: TestDatabase;
let emu: RunningEmulator;
let account: Account;
let risk: GrpcServerKit;
let riskAddr: string;
let redis: Redis;

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  redis = new Redis(REDIS_URL);
  emu = await startEmulator({ venues: ['binanceus'] });
  emu.emu.advanceBy('binanceus', 60_000);
  account = emu.emu.privateSides.get('binanceus')!.createAccount({ balances: { USDT: '100000' } }).account;
  risk = createGrpcServer({ service: 'risk', apiKey: API_KEY, logger, registry: createMetrics('risk-double') });
  const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  const handlers: Pick<RiskHandlers, 'GetTradingState'> = {
    GetTradingState: (_call, cb) => cb(null, { state: 'ACTIVE', reason: 'test', updated_at: String(Date.now()), updated_by: 'test' }),
  };
  risk.addService(proto.cte.risk.v1.Risk.service, handlers);
  riskAddr = `127.0.0.1:${await risk.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await risk?.shutdown(1000);
  await emu?.close();
  await tdb?.drop();
  await dropNamespaces(redis);
  redis.disconnect();
});

const base = (): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE: newNamespace('exec-live-proc'),
  RISK_GRPC_ADDR: riskAddr,
  TRADABLE_SYMBOLS: SYMBOL,
  TRADING_MODE: 'live',
});

it('without the acknowledgement and keys: exit 2 naming each missing variable, quoting no value', async () => {
  const err = await startService('execution', { env: { ...base(), LIVE_VENUES: 'binanceus', BINANCEUS_API_SECRET: `s-${account.secret}` }, apiKey: API_KEY }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  const text = (err as Error).message;
  expect(text).toMatch(/exited with 2/);
  expect(text).toMatch(/LIVE_TRADING_ACK: is not set: TRADING_MODE=live sends real orders with real money/);
  expect(text).toMatch(/BINANCEUS_API_KEY: is required for TRADING_MODE=live on binanceus/);
  expect(text).not.toMatch(/BINANCEUS_API_SECRET/);
  expect(text).not.toContain(account.secret);
});

describe('with keys and the acknowledgement, against the emulator', () => {
  let svc: RunningService;

  beforeAll(async () => {
    svc = await startService('execution', {
      apiKey: API_KEY,
      env: {
        ...base(),
        LIVE_TRADING_ACK: LIVE_ACK_VALUE,
        LIVE_VENUES: 'binanceus',
        BINANCEUS_API_KEY: account.apiKey,
        BINANCEUS_API_SECRET: account.secret,
        VENUE_URL_BINANCEUS: `http://127.0.0.1:${emu.ports.binanceus}`,
        VENUE_SETTLE_MS: '50',
        LOG_LEVEL: 'debug',
      },
    });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('fills a REST order at the venue and stores the venue’s fill', async () => {
    const headers = { 'X-TRADING-API-KEY': API_KEY, 'content-type': 'application/json' };
    const clientOrderId = `rec-${randomUUID()}`; // 40 characters, as recommendations sends: mapped for Binance
    const res = await fetch(`${svc.httpUrl}/orders`, { method: 'POST', headers, body: JSON.stringify({ client_order_id: clientOrderId, symbol: SYMBOL, side: 'buy', type: 'market', qty: '0.1' }) });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string; venue: string };
    expect(order.venue).toBe('binanceus');
    const done = await waitFor('order filled', async () => {
      const o = (await (await fetch(`${svc.httpUrl}/orders/${order.id}`, { headers })).json()) as { status: string; filled_qty: string };
      return o.status === 'FILLED' ? o : undefined;
    });
    expect(done.filled_qty).toBe('0.1');
    const trades = (await (await fetch(`${svc.httpUrl}/trades?order_id=${order.id}`, { headers })).json()) as { trades: Array<{ venue: string; venue_trade_id: string }> };
    const venueOrders = [...account.orders.values()];
    expect(venueOrders).toHaveLength(1);
    expect(venueOrders[0]!.clientOrderId).toMatch(/^cte-[0-9a-f]{32}$/);
    const venueTrades = account.trades.map((t) => `${SYMBOL}:${t.tradeId}`).sort();
    expect(trades.trades.map((t) => t.venue_trade_id).sort()).toEqual(venueTrades);
    expect(trades.trades.every((t) => t.venue === 'binanceus')).toBe(true);
  });

  it('neither the logs nor /metrics contain a credential', async () => {
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/cte_venue_calls_total\{[^}]*call="createOrder",outcome="ok"[^}]*\} 1\n/);
    for (const secret of [account.apiKey, account.secret]) {
      expect(metrics).not.toContain(secret);
      expect(svc.logs()).not.toContain(secret);
    }
    expect(svc.logs()).toContain('live venue ready');
  });
});

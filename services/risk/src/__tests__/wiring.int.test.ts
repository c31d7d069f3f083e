/**
 * The adapters wired in one process against the real MariaDB and Redis and the portfolio test
 * double over gRPC: idempotency through MySQL when memory has forgotten a decision, concurrent
 * duplicates, durable mode, what a restart restores, limit precedence, the fills consumer, order
 * events freeing pending exposure.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { ConfigError, createLogger, RedisBus, TradableSymbols, type TradingStateMessage } from '@cte/shared';
import { createTestDatabase, waitFor, type TestDatabase } from '@cte/testkit';
import { RiskBus, tradingStatePublisher } from '../adapters/bus';
import { DecisionIndex } from '../adapters/decision-index';
import { EventWriter } from '../adapters/event-writer';
import { LimitsStore } from '../adapters/limits-store';
import { ExposureCache, PortfolioGateway } from '../adapters/portfolio.gateway';
import { RiskRepository } from '../adapters/repository';
import { restoreDecisions } from '../adapters/restore';
import { RiskService } from '../adapters/risk-service';
import { TradingStateStore } from '../adapters/trading-state';
import { DEFAULT_WIRE_LIMITS } from '../engine/limits';
import { RiskEngine } from '../engine/risk-engine';
import { startPortfolioDouble, type PortfolioDouble } from './helpers/portfolio-double';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const tag = randomBytes(4).toString('hex');
const NS = `test-risk-w-${tag}:`;
const API_KEY = `risk-wiring-key-${tag}-0123456789`;
const BTC = 'BTC/USDT';

let tdb: TestDatabase;
let bus: RedisBus;
let portfolio: PortfolioDouble;
let gateway: PortfolioGateway;
const writers: EventWriter[] = [];
let n = 0;
const rid = () => `w-${tag}-${++n}`;

interface Built {
  service: RiskService;
  writer: EventWriter;
  exposure: ExposureCache;
  state: TradingStateStore;
  limits: LimitsStore;
}

async function build(o: { cacheSize?: number; durable?: boolean; ttlMs?: number; pendingTtlMs?: number; restore?: boolean } = {}): Promise<Built> {
  const repo = new RiskRepository(tdb.db);
  const writer = new EventWriter({ store: repo, logger, flushMs: 5, batchSize: 100, maxQueue: 1000 });
  writers.push(writer);
  const state = new TradingStateStore({ repo, publish: tradingStatePublisher(bus, 'commands.trading_state'), logger, broadcastMs: 0 });
  await state.load();
  const limits = new LimitsStore(DEFAULT_WIRE_LIMITS, repo, () => state.state);
  await limits.load();
  const exposure = new ExposureCache(gateway, o.ttlMs ?? 0);
  const restored = o.restore
    ? await restoreDecisions({ repo, cacheSize: o.cacheSize ?? 1000, logger, build: (c) => new DecisionIndex(o.cacheSize ?? 1000, c) })
    : { decisions: new DecisionIndex(o.cacheSize ?? 1000, 10_000), tradeCounts: [] };
  const service = new RiskService({
    engine: new RiskEngine(),
    symbols: new TradableSymbols([BTC, 'ETH/USDT'], 'test'),
    exposure,
    decisions: restored.decisions,
    events: writer,
    lookup: repo,
    state,
    limits,
    logger,
    pendingTtlMs: o.pendingTtlMs ?? 0,
    durable: o.durable ?? false,
  });
  for (const c of restored.tradeCounts) service.trades.record(c.day, c.symbol, c.n);
  service.onTick({ exchange: 't', symbol: BTC, price: '100', ts: Date.now() });
  return { service, writer, exposure, state, limits };
}

const req = (over: Record<string, string> = {}) => ({ recommendation_id: rid(), symbol: BTC, side: 'buy', qty: '1', ...over });
const rows = (id: string) => tdb.db.query<{ id: string; decision: string }>('SELECT id, decision FROM risk_events WHERE recommendation_id = ?', [id]);

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: NS });
  portfolio = await startPortfolioDouble(API_KEY);
  gateway = new PortfolioGateway({ address: portfolio.address, apiKey: API_KEY, deadlineMs: 2000, retries: 0 });
}, 30_000);

afterAll(async () => {
  for (const w of writers) await w.drain(1000);
  gateway?.close();
  await portfolio?.stop();
  await bus?.close();
  const redis = new Redis(REDIS_URL);
  await redis.del(`${NS}events.fills`, `${NS}events.fills.dlq`).catch(() => undefined);
  redis.disconnect();
  await tdb?.drop();
});

describe('idempotency', () => {
  it('finds a decision in MySQL once memory has forgotten it, without counting it again', async () => {
    const { service, writer } = await build({ cacheSize: 1 });
    const first = req({ qty: '2' });
    const decided = await service.check(first);
    await service.check(req());
    await service.check(req());
    await writer.flush();
    const day = Math.floor(Date.now() / 86_400_000);
    const counted = service.trades.total(day);
    expect(await service.check({ ...first, qty: '40' })).toEqual(decided);
    expect(service.trades.total(day)).toBe(counted);
    expect(await rows(first.recommendation_id)).toHaveLength(1);
  });

  it('decides once for concurrent duplicates', async () => {
    const { service, writer } = await build();
    const r = req();
    const all = await Promise.all([service.check(r), service.check(r), service.check({ ...r, qty: '5' })]);
    expect(new Set(all.map((d) => d.event_id)).size).toBe(1);
    await writer.flush();
    expect(await rows(r.recommendation_id)).toHaveLength(1);
  });

  it('in durable mode, the row is committed when Check answers', async () => {
    const { service } = await build({ durable: true });
    const r = req();
    const d = await service.check(r);
    expect(await rows(r.recommendation_id)).toEqual([{ id: d.event_id, decision: 'APPROVED' }]);
  });

  it('a restart restores decisions and the day’s trade counts from risk_events', async () => {
    const a = await build();
    const r = req();
    const d = await a.service.check(r);
    await a.writer.flush();
    const day = Math.floor(Date.now() / 86_400_000);
    const [approved] = await tdb.db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM risk_events WHERE kind = 'check' AND final = 1 AND decision IN ('APPROVED', 'RESIZED') AND day = ?",
      [day],
    );
    const approvedToday = Number(approved!.n);
    expect(approvedToday).toBeGreaterThan(a.service.trades.total(day));
    const b = await build({ restore: true });
    expect(b.service.trades.total(day)).toBe(approvedToday);
    expect(await b.service.check({ ...r, side: 'sell' })).toEqual(d);
  });
});

describe('limits precedence', () => {
  it('env, then a stored override, then back to env on reset', async () => {
    const { service } = await build();
    expect(service.getLimits()).toMatchObject({ max_order_notional: '50000', source: { max_order_notional: 'env' } });
    await service.updateLimits({ max_order_notional: '150' });
    const again = await build();
    expect(again.service.getLimits()).toMatchObject({ max_order_notional: '150', source: { max_order_notional: 'db' } });
    expect(await again.service.check(req({ qty: '3' }))).toMatchObject({ decision: 'RESIZED', approved_qty: '1.5', reasons: ['max_order_notional'] });
    await again.service.updateLimits({ max_order_notional: null });
    expect((await build()).service.getLimits()).toMatchObject({ max_order_notional: '50000', source: { max_order_notional: 'env' } });
  });

  it('without a quarantine (the service passes one), a stored value that is not valid is a ConfigError', async () => {
    await tdb.db.execute(`INSERT INTO risk_limits (name, value, updated_at, updated_by) VALUES ('max_position_pct', '"-4"', 0, 'x')`);
    try {
      await expect(build()).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await tdb.db.execute(`DELETE FROM risk_limits WHERE name = 'max_position_pct'`);
    }
  });
});

describe('bus inputs', () => {
  it('a fill drops the cached exposure and is acked; a malformed one too (no DLQ)', async () => {
    const built = await build({ ttlMs: 60_000 });
    const riskBus = new RiskBus({
      bus,
      service: built.service,
      logger,
      ticksPattern: 'data.ticks.*',
      fillsStream: 'events.fills',
      ordersChannel: 'events.orders',
      consumerGroup: 'risk',
      consumerName: `w-${tag}`,
    });
    await riskBus.subscribe();
    await riskBus.consumeFills();
    try {
      portfolio.set({ equity: '100000' });
      expect(await built.service.check(req())).toMatchObject({ decision: 'APPROVED' });
      portfolio.set({ equity: '100000', positions: { [BTC]: ['50', '5000'] } });
      expect(await built.service.check(req())).toMatchObject({ decision: 'APPROVED' });
      await bus.append('events.fills', { type: 'fill', data: { not: 'a fill' } });
      await waitFor('exposure dropped', () => built.exposure.peek() === undefined || built.exposure.peek()!.symbols.size > 0);
      expect(await built.service.check(req())).toMatchObject({ decision: 'REJECTED', reasons: ['max_position_pct'] });
      expect(riskBus.malformed).toBe(1);
      const redis = new Redis(REDIS_URL);
      try {
        await waitFor('acked', async () => Number(((await redis.xpending(`${NS}events.fills`, 'risk')))[0]) === 0);
        expect(await redis.exists(`${NS}events.fills.dlq`)).toBe(0);
      } finally {
        redis.disconnect();
      }
      // Ticks arrive over pub/sub.
      await bus.publish('data.ticks.ETH-USDT', { type: 'tick', data: { exchange: 't', symbol: 'ETH/USDT', price: '12.5', ts: Date.now() } });
      await waitFor('tick', () => built.service.prices.view('ETH/USDT')?.price.toFixed() === '12.5');
    } finally {
      await riskBus.stop();
    }
  });

  it('approved opening orders count as pending until their order ends unfilled', async () => {
    portfolio.set({ equity: '100000' });
    const built = await build({ pendingTtlMs: 60_000 });
    const first = req({ qty: '30' });
    expect(await built.service.check(first)).toMatchObject({ decision: 'APPROVED' });
    expect(await built.service.check(req({ qty: '30' }))).toMatchObject({ decision: 'RESIZED', approved_qty: '20', reasons: ['max_position_pct'] });
    built.service.onOrderEvent({ event: 'rejected', recommendation_id: first.recommendation_id, filled_qty: '0' });
    // Only the 20 of the resized order remain pending.
    expect(await built.service.check(req({ qty: '40' }))).toMatchObject({ decision: 'RESIZED', approved_qty: '30' });
  });
});

describe('trading state', () => {
  it('an operator change is persisted and broadcast; a failed write changes nothing', async () => {
    const heard: TradingStateMessage[] = [];
    const sub = await bus.subscribe<TradingStateMessage>('commands.trading_state', (e) => void heard.push(e.data));
    try {
      const { service, state } = await build();
      await service.setTradingState({ state: 'REDUCING', reason: 'test' }, 'ops-alice');
      await waitFor('broadcast', () => heard.some((m) => m.state === 'REDUCING' && m.updated_by === 'ops-alice'));
      expect((await build()).state.state).toBe('REDUCING');
      const failing = new TradingStateStore({
        repo: { loadTradingState: async () => undefined, saveTradingState: async () => Promise.reject(new Error('db down')) },
        publish: async () => undefined,
        logger,
        broadcastMs: 0,
      });
      await expect(failing.set('HALTED', 'x', 'operator')).rejects.toThrow('db down');
      expect(failing.state).toBe('ACTIVE');
      await service.setTradingState({ state: 'active', reason: 'back' });
      expect(state.state).toBe('ACTIVE');
    } finally {
      await sub.unsubscribe();
    }
  });

  it('a breaker trip halts at once, then persists with retries while MySQL fails', async () => {
    let failures = 2;
    const saved: string[] = [];
    const published: string[] = [];
    const store = new TradingStateStore({
      repo: {
        loadTradingState: async () => undefined,
        saveTradingState: async (s) => {
          if (failures-- > 0) throw new Error('db down');
          saved.push(s.state);
        },
      },
      publish: async (m) => void published.push(`${m.state}/${m.updated_by}`),
      logger,
      broadcastMs: 0,
      retryMs: 10,
    });
    const persisted = store.trip('max_drawdown_pct');
    expect(store.state).toBe('HALTED');
    expect(published).toEqual(['HALTED/circuit_breaker']);
    await persisted;
    expect(saved).toEqual(['HALTED']);
  });
});

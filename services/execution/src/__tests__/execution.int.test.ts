/**
 * The order path in-process against the real MariaDB and Redis: idempotent Submit (sequential,
 * concurrent, two replicas on one database), fill uniqueness, the transactional outbox (fills on
 * events.fills only after the commit, exactly once across a relay stop/restart and a failed
 * append), restart reconciliation, and the trading-state gate.
 */
import Redis from 'ioredis';
import {
  ConflictError,
  Dec,
  lintMetricsText,
  parseFillMessage,
  RedisBus,
  UnavailableError,
} from '@cte/shared';
import { createTestDatabase, waitFor, type TestDatabase } from '@cte/testkit';
import { OutboxRelay } from '../adapters/outbox-relay';
import type { Fill } from '../engine/types';
import { createHarness, dropNamespaces, logger, newNamespace, readFills, REDIS_URL, type Harness } from './helpers/harness';

const T0 = Date.UTC(2019, 8, 1);
const BTC = 'BTC/USD';
let redis: Redis;
let tdb: TestDatabase;
let h: Harness;
let seq = 0;
const cid = (p = 'c') => `${p}-${Date.now().toString(36)}-${++seq}`;

async function count(table: string, where = '1=1', params: unknown[] = []): Promise<number> {
  const rows = await tdb.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params as string[]);
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  tdb = await createTestDatabase(logger);
});

afterAll(async () => {
  await tdb.drop();
  await dropNamespaces(redis);
  redis.disconnect();
});

describe('submit', () => {
  beforeAll(async () => {
    h = await createHarness({ tdb });
    h.price(BTC, '10000', T0);
  });
  afterAll(() => h.stop());

  it('persists a market order, fills it at the slipped price and puts the fill on events.fills after the commit', async () => {
    const r = await h.svc.submit({ client_order_id: cid(), symbol: BTC, side: 'buy', type: 'market', qty: '0.1' }, 'edgetrace01');
    expect(r.created).toBe(true);
    expect(r.order).toMatchObject({ status: 'FILLED', venue: 'mock', traceId: 'edgetrace01', feeCurrency: 'USD' });
    expect(r.order.avgFillPrice!.toFixed()).toBe('10005.1');
    expect(r.order.fees.toFixed()).toBe('1.00051');
    const trades = await h.repo.listTrades({ orderId: r.order.id, limit: 10, offset: 0 });
    expect(trades.trades).toHaveLength(1);
    expect(trades.trades[0]).toMatchObject({ qty: '0.1', price: '10005.1', fee: '1.00051', liquidity: 'taker', ts: T0 });
    const fills = await waitFor('fill on the stream', async () => {
      const f = (await readFills(redis, h.namespace)).filter((x) => x.order_id === r.order.id);
      return f.length > 0 && f;
    });
    expect(fills).toHaveLength(1);
    expect(parseFillMessage(fills[0])).toMatchObject({ fill_id: trades.trades[0]!.id, venue: 'mock', qty: '0.1', price: '10005.1', fee: '1.00051', trace_id: 'edgetrace01' });
  });

  it('returns the existing order for a client_order_id seen before, sending nothing again', async () => {
    const id = cid();
    const body = { client_order_id: id, symbol: BTC, side: 'buy', type: 'limit', qty: '1', limit_price: '9000' };
    const a = await h.svc.submit(body, 'tracetrace1');
    const b = await h.svc.submit(body, 'tracetrace2');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.order.id).toBe(a.order.id);
    expect(b.order.status).toBe('SUBMITTED');
    expect(h.venue.submissions.get(id)).toBe(1);
    expect(await count('orders', 'client_order_id = ?', [id])).toBe(1);
  });

  it('concurrent submits of one client_order_id make one order and one venue submission', async () => {
    const id = cid('conc');
    const body = { client_order_id: id, symbol: BTC, side: 'sell', type: 'limit', qty: '0.5', limit_price: '11000' };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h.svc.submit(body, `concurrent${i}`)));
    expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(h.venue.submissions.get(id)).toBe(1);
    expect(await count('orders', 'client_order_id = ?', [id])).toBe(1);
  });

  it('refuses a client_order_id reused for a different order (409) and changes nothing', async () => {
    const id = cid();
    await h.svc.submit({ client_order_id: id, symbol: BTC, side: 'buy', type: 'limit', qty: '1', limit_price: '9000' }, 'tracetrace3');
    await expect(h.svc.submit({ client_order_id: id, symbol: BTC, side: 'buy', type: 'limit', qty: '2', limit_price: '9000' }, 'tracetrace4')).rejects.toBeInstanceOf(ConflictError);
    expect(await count('orders', 'client_order_id = ?', [id])).toBe(1);
    expect(h.venue.submissions.get(id)).toBe(1);
  });

  it('a rejected venue answer (stale price) is stored as REJECTED with its reason', async () => {
    h.price('ETH/USD', '200', T0 - 120_000);
    const r = await h.svc.submit({ client_order_id: cid(), symbol: 'ETH/USD', side: 'buy', type: 'market', qty: '1' }, 'tracetrace5');
    expect(r.order).toMatchObject({ status: 'REJECTED', reason: 'stale_price' });
    expect((await h.repo.findOrder(r.order.id))!.status).toBe('REJECTED');
  });

  it('cancels a resting order, refuses to cancel a final one', async () => {
    const r = await h.svc.submit({ client_order_id: cid(), symbol: BTC, side: 'buy', type: 'limit', qty: '1', limit_price: '9000' }, 'tracetrace6');
    const c = await h.svc.cancel({ id: r.order.id });
    expect(c).toMatchObject({ status: 'CANCELED', reason: 'canceled' });
    await expect(h.svc.cancel({ client_order_id: r.order.clientOrderId })).rejects.toThrow(/CANCELED and cannot be canceled/);
    h.price(BTC, '8000', T0 + 1);
    h.price(BTC, '10000', T0 + 2);
    expect((await h.repo.findOrder(r.order.id))!.filledQty.toFixed()).toBe('0');
  });

  it('exposes lint-clean metrics', async () => {
    const text = await h.registry.metrics();
    expect(lintMetricsText(text)).toEqual([]);
    expect(text).toMatch(/cte_orders_total\{status="FILLED"\} [1-9]/);
    expect(text).toMatch(/cte_fills_total [1-9]/);
    expect(text).toContain('cte_order_submit_seconds_bucket');
    expect(text).toContain('cte_fill_outbox_lag_seconds');
  });
});

describe('two replicas on one database', () => {
  it('make one order and one venue submission for one client_order_id', async () => {
    const a = await createHarness({ tdb });
    const b = await createHarness({ tdb });
    try {
      a.price(BTC, '10000', T0);
      b.price(BTC, '10000', T0);
      const id = cid('rep');
      const body = { client_order_id: id, symbol: BTC, side: 'buy', type: 'limit', qty: '0.25', limit_price: '9500' };
      const results = await Promise.all([...Array.from({ length: 5 }, () => a.svc.submit(body, 'replicaaaa')), ...Array.from({ length: 5 }, () => b.svc.submit(body, 'replicabbb'))]);
      expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
      expect((a.venue.submissions.get(id) ?? 0) + (b.venue.submissions.get(id) ?? 0)).toBe(1);
      expect(await count('orders', 'client_order_id = ?', [id])).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('fills', () => {
  let x: Harness;
  beforeAll(async () => {
    x = await createHarness({ tdb, startRelay: false });
    x.price(BTC, '10000', T0);
  });
  afterAll(() => x.stop());

  it('are unique per (venue, venue trade id)', async () => {
    const r = await x.svc.submit({ client_order_id: cid('uniq'), symbol: BTC, side: 'buy', type: 'limit', qty: '1', limit_price: '9000' }, 'uniquetrace');
    const fill: Fill = {
      venue: 'mock',
      venueTradeId: `${r.order.venueOrderId}-1`,
      venueOrderId: r.order.venueOrderId!,
      orderId: r.order.id,
      clientOrderId: r.order.clientOrderId,
      symbol: BTC,
      side: 'buy',
      qty: new Dec('0.4'),
      price: new Dec('9000'),
      fee: new Dec('1.8'),
      feeCurrency: 'USD',
      liquidity: 'maker',
      ts: T0 + 5,
    };
    const apply = (now: number) => (o: Parameters<typeof x.svc.manager.applyFill>[0]) => x.svc.manager.applyFill(o, fill, now);
    const first = await x.repo.recordFill(fill, 'fill-uniq-1', 1, apply(1));
    const again = await x.repo.recordFill(fill, 'fill-uniq-2', 2, apply(2));
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ duplicate: true });
    expect(await count('trades', 'order_id = ?', [r.order.id])).toBe(1);
    expect(await count('execution_outbox', 'fill_id IN (?)', [['fill-uniq-1', 'fill-uniq-2']])).toBe(1);
    const o = (await x.repo.findOrder(r.order.id))!;
    expect(o).toMatchObject({ status: 'PARTIALLY_FILLED' });
    expect(o.filledQty.toFixed()).toBe('0.4');
    // The same trade id at another venue is another fill.
    const other = await x.repo.recordFill({ ...fill, venue: 'kraken' }, 'fill-uniq-3', 3, apply(3));
    expect(other.duplicate).toBe(false);
  });

  it('reach events.fills only after the commit; a rolled-back fill never does', async () => {
    const relay = new OutboxRelay({ repo: x.repo, bus: x.bus, logger, pollMs: 1000, batchSize: 10, retainMs: 0 });
    await relay.pass(); // flush whatever earlier tests left pending
    const before = (await readFills(redis, x.namespace)).length;
    const payload = { fill_id: 'f-tx-1', venue: 'mock', venue_trade_id: 'tx-1', order_id: 'o-tx', client_order_id: 'c-tx', symbol: BTC, side: 'buy', qty: '1', price: '1', fee: '0', fee_currency: 'USD', liquidity: 'taker', ts: T0, trace_id: 'txtraceid1' };
    await tdb.db.transaction(async (tx) => {
      await tx.execute('INSERT INTO execution_outbox (fill_id, payload, trace_id, created_at) VALUES (?, ?, ?, ?)', ['f-tx-1', JSON.stringify(payload), 'txtraceid1', Date.now()]);
      // Uncommitted: the relay (another connection) does not see it.
      expect(await relay.pass()).toBe(0);
      expect(await readFills(redis, x.namespace)).toHaveLength(before);
    });
    expect(await relay.pass()).toBe(1);
    expect((await readFills(redis, x.namespace)).filter((f) => f.fill_id === 'f-tx-1')).toHaveLength(1);

    await expect(
      tdb.db.transaction(async (tx) => {
        await tx.execute('INSERT INTO execution_outbox (fill_id, payload, trace_id, created_at) VALUES (?, ?, ?, ?)', ['f-tx-2', JSON.stringify({ ...payload, fill_id: 'f-tx-2' }), 'txtraceid1', Date.now()]);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await relay.pass()).toBe(0);
    expect((await readFills(redis, x.namespace)).filter((f) => f.fill_id === 'f-tx-2')).toHaveLength(0);
  });

  it('survive a crash between commit and append: appended exactly once when a relay runs again', async () => {
    // The harness relay is not running: the order fills and commits, nothing is appended.
    const drain = new OutboxRelay({ repo: x.repo, bus: x.bus, logger, pollMs: 1000, batchSize: 10, retainMs: 0 });
    await drain.pass();
    const r = await x.svc.submit({ client_order_id: cid('crash'), symbol: BTC, side: 'sell', type: 'market', qty: '0.2' }, 'crashtrace1');
    expect(r.order.status).toBe('FILLED');
    const [trade] = (await x.repo.listTrades({ orderId: r.order.id, limit: 5, offset: 0 })).trades;
    const onStream = async () => (await readFills(redis, x.namespace)).filter((f) => f.order_id === r.order.id);
    expect(await onStream()).toHaveLength(0);
    expect(await count('execution_outbox', 'fill_id = ? AND sent_at IS NULL', [trade!.id])).toBe(1);
    expect(x.relay.lagSeconds()).toBeGreaterThanOrEqual(0);

    // An append that fails (Redis gone mid-way) leaves the row pending.
    const deadBus = new RedisBus({ url: REDIS_URL, logger, namespace: x.namespace });
    await deadBus.close();
    const broken = new OutboxRelay({ repo: x.repo, bus: deadBus, logger, pollMs: 1000, batchSize: 10, retainMs: 0 });
    await expect(broken.pass()).rejects.toThrow();
    expect(await onStream()).toHaveLength(0);
    expect(await count('execution_outbox', 'fill_id = ? AND sent_at IS NULL AND attempts >= 1', [trade!.id])).toBe(1);

    // The restarted relay appends it, once; later relays find nothing to do.
    const restarted = new OutboxRelay({ repo: x.repo, bus: x.bus, logger, pollMs: 20, batchSize: 10, retainMs: 0 });
    restarted.start();
    await waitFor('fill appended', async () => (await onStream()).length > 0);
    await restarted.stop();
    const again = new OutboxRelay({ repo: x.repo, bus: x.bus, logger, pollMs: 20, batchSize: 10, retainMs: 0 });
    again.start();
    await new Promise((r) => setTimeout(r, 200));
    await again.stop();
    const fills = await onStream();
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ fill_id: trade!.id, side: 'sell', qty: '0.2', trace_id: 'crashtrace1' });
    expect(await count('execution_outbox', 'fill_id = ? AND sent_at IS NOT NULL', [trade!.id])).toBe(1);
  });
});

describe('restart reconciliation', () => {
  it('re-registers open orders with the mock venue, fails orders never sent, and keeps filling', async () => {
    const namespace = newNamespace('recon');
    const a = await createHarness({ tdb, namespace });
    let resting: Awaited<ReturnType<Harness['svc']['submit']>>;
    try {
      a.price(BTC, '10000', T0);
      // 15 BTC at 9,900 is more than one tick's liquidity (100,000 USD): it fills over several ticks.
      resting = await a.svc.submit({ client_order_id: cid('rest'), symbol: BTC, side: 'buy', type: 'limit', qty: '15', limit_price: '9900' }, 'resttrace01');
      // Part of it fills before the "crash".
      a.price(BTC, '9900', T0 + 1);
      await waitFor('partial fill', async () => (await a.repo.findOrder(resting.order.id))!.status === 'PARTIALLY_FILLED' || undefined);
    } finally {
      await a.stop();
    }
    // An order stored but never sent (crash between insert and venue submission).
    const orphan = a.svc.manager.create(
      { clientOrderId: cid('orphan'), symbol: BTC, side: 'buy', type: 'limit', qty: new Dec(1), limitPrice: new Dec(1), recommendationId: '' },
      `orphan-${seq}`,
      'orphantrace',
      Date.now(),
    );
    await a.repo.insertOrder(orphan);

    const b = await createHarness({ tdb, namespace, reconcile: false });
    try {
      await expect(b.svc.submit({ client_order_id: cid(), symbol: BTC, side: 'buy', type: 'market', qty: '1' }, 'notreadyyet')).rejects.toBeInstanceOf(UnavailableError);
      expect(() => b.svc.checkReconciled()).toThrow(/reconciliation/);
      await b.svc.reconcile();
      expect(() => b.svc.checkReconciled()).not.toThrow();
      expect((await b.repo.findOrder(orphan.id))!).toMatchObject({ status: 'FAILED', reason: 'not_submitted_before_restart' });
      const open = b.venue.exchange.openOrders();
      expect(open.map((o) => o.orderId)).toContain(resting.order.id);
      expect(open.map((o) => o.orderId)).not.toContain(orphan.id);
      const filledBefore = (await b.repo.findOrder(resting.order.id))!.filledQty;
      expect(filledBefore.gt(0)).toBe(true);
      // Later prices fill the rest; trade ids continue (no clash with the fills before the restart).
      for (let i = 2; i < 6; i++) b.price(BTC, '9850', T0 + i);
      const done = await waitFor('filled after restart', async () => {
        const o = (await b.repo.findOrder(resting.order.id))!;
        return o.status === 'FILLED' && o;
      });
      expect(done.filledQty.toFixed()).toBe('15');
      const trades = (await b.repo.listTrades({ orderId: resting.order.id, limit: 10, offset: 0 })).trades;
      expect(new Set(trades.map((t) => t.venue_trade_id)).size).toBe(trades.length);
      expect(trades.length).toBeGreaterThan(1);
      expect(trades.reduce((s, t) => s.plus(t.qty), new Dec(0)).toFixed()).toBe('15');
      await waitFor('all fills on the stream', async () => (await readFills(redis, namespace)).filter((f) => f.order_id === resting.order.id).length === trades.length);
    } finally {
      await b.stop();
    }
  });
});

describe('trading state', () => {
  it('refuses orders and is not ready while the state is unknown; a stored HALT survives a restart with risk down', async () => {
    const own = await createTestDatabase(logger);
    try {
      const down = await createHarness({ tdb: own, state: undefined });
      expect(() => down.guard.check()).toThrow(/trading state unknown/);
      await expect(down.svc.submit({ client_order_id: cid(), symbol: BTC, side: 'buy', type: 'market', qty: '1' }, 'unknownstate')).rejects.toThrow(/trading state unknown/);
      expect(await own.db.query('SELECT id FROM orders')).toHaveLength(0);
      // Risk answers HALTED: known, persisted.
      down.risk.state = { state: 'HALTED', reason: 'drawdown', updated_at: 100, updated_by: 'circuit_breaker' };
      expect(await down.guard.refresh()).toBe(true);
      await down.stop();
      expect(await own.db.query('SELECT state, source FROM execution_trading_state')).toEqual([{ state: 'HALTED', source: 'risk_grpc' }]);

      // Restart with risk unreachable: the stored HALT is in force, orders are rejected (and stored).
      const again = await createHarness({ tdb: own, state: undefined });
      again.price(BTC, '10000', T0);
      expect(again.guard.state).toMatchObject({ state: 'HALTED', source: 'stored' });
      const r = await again.svc.submit({ client_order_id: cid(), symbol: BTC, side: 'buy', type: 'market', qty: '1' }, 'haltedtrace');
      expect(r.order).toMatchObject({ status: 'REJECTED', reason: 'trading_halted' });
      expect(again.venue.submissions.size).toBe(0);
      // Risk comes back ACTIVE: that wins over the stored state.
      again.risk.state = { state: 'ACTIVE', reason: 'resumed', updated_at: 50, updated_by: 'operator' };
      await again.guard.refresh();
      expect(again.guard.state).toMatchObject({ state: 'ACTIVE', source: 'risk_grpc' });
      await again.stop();

      // A stored ACTIVE is not enough to trade while risk is down.
      const third = await createHarness({ tdb: own, state: undefined });
      expect(third.guard.state).toBeUndefined();
      await third.stop();
    } finally {
      await own.drop();
    }
  });

  it('HALTED cancels resting opening orders and keeps reducing ones', async () => {
    const x = await createHarness({ tdb });
    try {
      const sym = 'SOL/USD';
      x.price(sym, '100', T0);
      await x.svc.submit({ client_order_id: cid(), symbol: sym, side: 'buy', type: 'market', qty: '2' }, 'halttrace01');
      const opening = await x.svc.submit({ client_order_id: cid(), symbol: sym, side: 'buy', type: 'limit', qty: '1', limit_price: '50' }, 'halttrace02');
      const reducing = await x.svc.submit({ client_order_id: cid(), symbol: sym, side: 'sell', type: 'limit', qty: '1', limit_price: '200' }, 'halttrace03');
      x.guard.apply({ state: 'HALTED', reason: 'kill', updated_at: Date.now(), updated_by: 'operator' }, 'bus');
      await waitFor('opening order canceled', async () => (await x.repo.findOrder(opening.order.id))!.status === 'CANCELED' || undefined);
      expect((await x.repo.findOrder(opening.order.id))!.reason).toBe('trading_halted');
      expect((await x.repo.findOrder(reducing.order.id))!.status).toBe('SUBMITTED');
    } finally {
      await x.stop();
    }
  });
});

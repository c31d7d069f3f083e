/**
 * recommendations as a real process against the real MariaDB and Redis, with its peers (risk,
 * execution, portfolio, signals-aggregator, price-stream) as in-test gRPC doubles: consensus in
 * over pub/sub → Kelly sizing → risk Check → execution Submit → order events / polling; every
 * status in MySQL with its history; REST and gRPC; Propose; expiry; bad input; SIGTERM → 0.
 * Needs `npx tsc -b services/recommendations` first (make test builds).
 */
import * as grpc from '@grpc/grpc-js';
import { ConflictError, InvalidArgumentError, lintMetricsText, NotFoundError } from '@cte/shared';
import { expectOversizedRefusedAlongside, waitFor } from '@cte/testkit';
import { dec, Harness, metricValue } from './helpers/harness';

const h = new Harness();

beforeAll(() => h.setUp(), 60_000);
afterAll(() => h.tearDown());

beforeEach(() => {
  h.peers.decide = () => ({ decision: 'APPROVED' });
  h.peers.submitMode = () => 'ok';
  h.peers.initialStatus = () => ({ status: 'SUBMITTED' });
  h.peers.sources = [{ agent_id: 'agent_a', hit_rate: 0.75, base_weight: 1, scored: 40 }];
  h.peers.equity = '10000';
  h.peers.positions = {};
  h.peers.portfolioDown = false;
  h.peers.aggregatorDown = false;
});

describe('probes, auth and metrics', () => {
  it('health and ready need no key; the API does', async () => {
    expect((await fetch(`${h.svc.httpUrl}/health`)).status).toBe(200);
    expect((await fetch(`${h.svc.httpUrl}/ready`)).status).toBe(200);
    expect((await h.api('/recommendations', 'wrong-key-wrong-key')).status).toBe(401);
    expect((await fetch(`${h.svc.httpUrl}/recommendations`)).status).toBe(401);
  });

  it('gRPC needs the key', async () => {
    const proto = (await import('@cte/shared')).loadProto<import('@cte/shared').RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
    const raw = new proto.cte.recommendations.v1.Recommendations(h.svc.grpcAddress, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => raw.ListRecommendations({}, (err) => resolve(err?.code ?? 0)));
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('exports the metrics, lint-clean', async () => {
    const text = await h.metrics();
    expect(lintMetricsText(text)).toEqual([]);
    for (const name of ['cte_recommendations_total', 'cte_kelly_fraction_ratio', 'cte_submit_retries_total', 'cte_pipeline_latency_seconds', 'cte_consensus_invalid_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

describe('consensus → recommendation → Check → Submit', () => {
  it('sizes with Kelly, gets approved, submits once and follows the order to filled', async () => {
    const symbol = h.symbol();
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    const sub = await h.waitStatus(c.id, 'submitted');

    // p = 0.5 + (0.75 − 0.5) × 0.8 = 0.7; f* = 0.7 − 0.3/1.5 = 0.5; 0.5 × 0.25 × 0.8 = 0.1 → capped at 5%;
    // 0.05 × 10000 / 25000 = 0.02. ATR 500 (warmed from GetBars) → stop 24000, take-profit 26500.
    expect(dec(sub.win_probability)).toBe('0.7');
    expect(dec(sub.kelly_fraction)).toBe('0.5');
    expect(dec(sub.fraction)).toBe('0.05');
    expect(dec(sub.qty)).toBe('0.02');
    expect(dec(sub.approved_qty)).toBe('0.02');
    expect(dec(sub.atr)).toBe('500');
    expect(dec(sub.stop_loss)).toBe('24000');
    expect(dec(sub.take_profit)).toBe('26500');
    expect(sub).toMatchObject({ side: 'buy', source: 'consensus', client_order_id: `rec-${sub.id}` });
    expect(h.peers.getBarsCalls.some((g) => g.symbol === symbol && g.timeframe === '1h')).toBe(true);

    // risk was asked once with the proposal; execution got one market order with the derived id.
    expect(h.peers.checksFor(sub.id)).toEqual([{ recommendation_id: sub.id, symbol, side: 'buy', qty: '0.02', price: '25000', trace_id: c.trace_id }]);
    expect(h.peers.submitsFor(sub.id)).toEqual([
      // data_time: the consensus's data time, so the paper venue fills at the first price at or after it (issue 13).
      { client_order_id: `rec-${sub.id}`, symbol, side: 'buy', type: 'market', qty: '0.02', recommendation_id: sub.id, trace_id: c.trace_id, data_time: String(c.ts) },
    ]);
    const order = h.peers.ordersFor(`rec-${sub.id}`);
    expect(order).toHaveLength(1);
    expect(sub.order_id).toBe(order[0]!.id);

    // The fill arrives on events.orders.
    await h.publishOrderEvent({ event: 'filled', order_id: order[0]!.id, client_order_id: `rec-${sub.id}`, recommendation_id: sub.id, status: 'FILLED', symbol, filled_qty: '0.02', avg_fill_price: '25001' });
    const filled = await h.waitStatus(c.id, 'filled');
    expect(filled.order_status).toBe('FILLED');
    expect((await h.history(sub.id)).map((e) => [e.from_status, e.to_status])).toEqual([
      [null, 'pending'],
      ['pending', 'approved'],
      ['approved', 'submitted'],
      ['submitted', 'filled'],
    ]);

    // REST and gRPC show it with its history.
    const rest = await h.json(`/recommendations/${sub.id}`);
    expect(rest).toMatchObject({ id: sub.id, status: 'filled', qty: '0.02', win_probability: '0.7', consensus_id: c.id, avg_fill_price: '25001' });
    expect(rest.history?.map((x) => x.status)).toEqual(['pending', 'approved', 'submitted', 'filled']);
    const g = await h.client.unary('GetRecommendation', { id: sub.id });
    expect(g).toMatchObject({ id: sub.id, status: 'filled', qty: '0.02', client_order_id: `rec-${sub.id}`, order_id: order[0]!.id, kelly_fraction: '0.5', fraction: '0.05' });
    expect(g.history.map((x) => x.status)).toEqual(['pending', 'approved', 'submitted', 'filled']);

    const text = await h.metrics();
    expect(metricValue(text, 'cte_recommendations_total', { status: 'filled' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'cte_pipeline_latency_seconds_count', { stage: 'decision' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'cte_kelly_fraction_ratio_count', { stage: 'applied' })).toBeGreaterThanOrEqual(1);
  });

  it('RESIZED submits the approved quantity; sizing uses the consensus bar price, not a newer tick (issue 13)', async () => {
    const symbol = h.symbol();
    h.peers.decide = () => ({ decision: 'RESIZED', approved_qty: '0.01', reasons: ['max_position_pct'] });
    const c = h.consensus({ symbol, price: '20000' });
    // A tick newer than the consensus changes nothing: how far the feed ran ahead is timing, not data.
    await h.bus.publish(`data.ticks.${symbol.replace('/', '-')}`, { type: 'tick', data: { exchange: 'test', symbol, price: '40000', ts: c.ts + 1 } });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'submitted');
    // 0.05 × 10000 / 20000 = 0.025
    expect(dec(r.qty)).toBe('0.025');
    expect(dec(r.price)).toBe('20000');
    expect(dec(r.approved_qty)).toBe('0.01');
    expect(h.peers.submitsFor(r.id).map((s) => s.qty)).toEqual(['0.01']);
    expect((await h.history(r.id)).map((e) => e.to_status)).toEqual(['pending', 'resized', 'submitted']);
    expect((await h.history(r.id))[1]!.reason).toContain('max_position_pct');
  });

  it('REJECTED never submits', async () => {
    const symbol = h.symbol();
    h.peers.decide = () => ({ decision: 'REJECTED', reasons: ['halted'] });
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'rejected');
    expect(dec(r.approved_qty)).toBe('0');
    expect(r.client_order_id).toBeNull();
    expect(await h.json(`/recommendations/${r.id}`)).toMatchObject({ status: 'rejected', reasons: ['halted'] });
    // Give the sweeper several rounds: still nothing sent.
    await new Promise((res) => setTimeout(res, 800));
    expect(h.peers.submitsFor(r.id)).toEqual([]);
    expect((await h.row(r.id)).status).toBe('rejected');
  });

  it('f* ≤ 0 is recorded as rejected with no_edge, without asking risk', async () => {
    const symbol = h.symbol();
    h.peers.sources = [{ agent_id: 'bad', hit_rate: 0.2, base_weight: 1, scored: 50 }];
    const c = h.consensus({ symbol, confidence: 0.9 });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'rejected');
    expect(r.reasons).toEqual(expect.arrayContaining(['no_edge']));
    expect(Number(r.kelly_fraction)).toBeLessThan(0);
    expect(dec(r.qty)).toBe('0');
    expect(h.peers.checksFor(r.id)).toEqual([]);
    expect((await h.history(r.id)).map((e) => [e.to_status, e.reason])).toEqual([
      ['pending', `sized from consensus ${c.id}`],
      ['rejected', 'no_edge'],
    ]);
  });

  it('a SELL without a position is not traded (no_position) unless shorting is allowed', async () => {
    const symbol = h.symbol();
    const c = h.consensus({ symbol, side: 'SELL' });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'rejected');
    expect(r.reasons).toEqual(expect.arrayContaining(['no_position']));

    // With a long of 0.01 the SELL reduces it.
    const symbol2 = h.symbol();
    h.peers.positions = { [symbol2]: '0.01' };
    const c2 = h.consensus({ symbol: symbol2, side: 'SELL' });
    await h.publishConsensus(c2, c2.trace_id);
    const r2 = await h.waitStatus(c2.id, 'submitted');
    expect(r2.side).toBe('sell');
    expect(dec(r2.qty)).toBe('0.01');
  });

  it('keeps using the last track record when signals-aggregator goes down', async () => {
    const calls = h.peers.listSourcesCalls;
    h.peers.aggregatorDown = true;
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'submitted');
    expect(h.peers.listSourcesCalls).toBeGreaterThan(calls);
    expect(dec(r.win_probability)).toBe('0.7');
    expect(await h.json(`/recommendations/${r.id}`)).toMatchObject({ calibration: 'track_record', hit_rate: '0.75' });
  });

  it('records a consensus it cannot size when portfolio is down', async () => {
    h.peers.portfolioDown = true;
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'rejected');
    expect(r.reasons).toEqual(expect.arrayContaining(['portfolio_unavailable']));
  });
});

describe('order follow-up', () => {
  it('partially filled, then filled, from order events; stale events change nothing', async () => {
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'submitted');
    const base = { order_id: r.order_id!, client_order_id: r.client_order_id!, recommendation_id: r.id };
    await h.publishOrderEvent({ ...base, event: 'partially_filled', status: 'PARTIALLY_FILLED', filled_qty: '0.01' });
    await h.waitStatus(c.id, 'partially_filled');
    await h.publishOrderEvent({ ...base, event: 'filled', status: 'FILLED', filled_qty: '0.02' });
    await h.waitStatus(c.id, 'filled');
    // A late "submitted" event does not move it back.
    const applied = metricValue(await h.metrics(), 'cte_order_events_received_total', { outcome: 'applied' });
    await h.publishOrderEvent({ ...base, event: 'submitted', status: 'SUBMITTED', filled_qty: '0' });
    await waitFor('the stale event handled', async () => metricValue(await h.metrics(), 'cte_order_events_received_total', { outcome: 'applied' }) > applied);
    const row = await h.row(r.id);
    expect(row).toMatchObject({ status: 'filled', order_status: 'FILLED' });
    expect((await h.history(r.id)).map((e) => e.to_status)).toEqual(['pending', 'approved', 'submitted', 'partially_filled', 'filled']);
  });

  it('the sweeper polls GetOrder when the order event is lost', async () => {
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'submitted');
    // The venue fills it, but no event is published.
    const order = h.peers.ordersFor(r.client_order_id!)[0]!;
    order.status = 'FILLED';
    order.filled_qty = order.qty;
    order.avg_fill_price = '25000';
    const filled = await h.waitStatus(c.id, 'filled');
    expect(filled.order_status).toBe('FILLED');
    expect((await h.history(r.id)).at(-1)!.reason).toContain('poll');
  });

  it('an order the venue rejects ends failed; an order refused by execution ends failed without an order', async () => {
    h.peers.initialStatus = () => ({ status: 'REJECTED' });
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'failed');
    expect((await h.history(r.id)).map((e) => e.to_status)).toEqual(['pending', 'approved', 'submitted', 'failed']);

    h.peers.submitMode = () => 'refuse';
    const c2 = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c2, c2.trace_id);
    const r2 = await h.waitStatus(c2.id, 'failed');
    expect(r2.order_id).toBeNull();
    expect(r2.reasons).toEqual(expect.arrayContaining(['submit_refused']));
    expect((await h.history(r2.id)).map((e) => e.to_status)).toEqual(['pending', 'approved', 'failed']);
  });
});

describe('submission safety', () => {
  it('a lost ack is re-submitted by the sweeper with the same client order id: exactly one order', async () => {
    const symbol = h.symbol();
    let lose = true;
    h.peers.submitMode = (req) => (req.symbol === symbol && lose ? 'lose-ack' : 'ok');
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    const approved = await h.waitStatus(c.id, 'approved');
    expect(approved.client_order_id).toBe(`rec-${approved.id}`);
    // The sweeper has re-submitted at least once while acks were still lost.
    await waitFor('a sweeper re-submission', async () => (await h.row(approved.id)).submit_attempts >= 2);
    expect((await h.row(approved.id)).status).toBe('approved');
    const retriesBefore = metricValue(await h.metrics(), 'cte_submit_retries_total');
    expect(retriesBefore).toBeGreaterThanOrEqual(1);
    lose = false;
    const r = await h.waitStatus(c.id, 'submitted');
    const orders = h.peers.ordersFor(`rec-${r.id}`);
    expect(orders).toHaveLength(1);
    expect(r.order_id).toBe(orders[0]!.id);
    const submits = h.peers.submitsFor(r.id);
    expect(submits.length).toBeGreaterThanOrEqual(3);
    // Every retry sends the same order, data time included.
    expect(new Set(submits.map((s) => `${s.client_order_id}|${s.qty}|${s.side}|${s.type}|${s.data_time}`))).toEqual(new Set([`rec-${r.id}|0.02|buy|market|${c.ts}`]));
  });

  it('while open, a new consensus for the same symbol and side is skipped; the other side is not', async () => {
    const symbol = h.symbol();
    h.peers.positions = { [symbol]: '0.01' };
    const first = h.consensus({ symbol });
    await h.publishConsensus(first, first.trace_id);
    await h.waitStatus(first.id, 'submitted');
    const before = metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'open' });
    const again = h.consensus({ symbol });
    const sell = h.consensus({ symbol, side: 'SELL' });
    await h.publishConsensus(again, again.trace_id);
    await h.publishConsensus(sell, sell.trace_id);
    await h.waitStatus(sell.id, 'submitted');
    await waitFor('the skip counted', async () => metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'open' }) > before);
    expect(await h.rowByConsensus(again.id)).toBeUndefined();
    expect((await h.rowsOf(symbol)).map((r) => r.side)).toEqual(['buy', 'sell']);
  });

  it('a consensus of the other side on the same bar (same data time, another timeframe) does not trade against it (issue 13)', async () => {
    const symbol = h.symbol();
    h.peers.positions = { [symbol]: '0.01' };
    const buy = h.consensus({ symbol });
    await h.publishConsensus(buy, buy.trace_id);
    await h.waitStatus(buy.id, 'submitted');
    const before = metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'opposite_same_bar' });
    const sameBar = h.consensus({ symbol, side: 'SELL', ts: buy.ts });
    const nextBar = h.consensus({ symbol, side: 'SELL', ts: buy.ts + 1 });
    await h.publishConsensus(sameBar, sameBar.trace_id);
    await h.publishConsensus(nextBar, nextBar.trace_id);
    await h.waitStatus(nextBar.id, 'submitted');
    await waitFor('the skip counted', async () => metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'opposite_same_bar' }) > before);
    expect(await h.rowByConsensus(sameBar.id)).toBeUndefined();
    expect((await h.rowsOf(symbol)).map((r) => r.side)).toEqual(['buy', 'sell']);
  });

  it('a recommendation not submitted within REC_TTL_MS expires (execution never saw it)', async () => {
    const symbol = h.symbol();
    h.peers.submitMode = (req) => (req.symbol === symbol ? 'down' : 'ok');
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    const r = await waitFor('expired', async () => {
      const row = await h.rowByConsensus(c.id);
      return row?.status === 'expired' ? row : undefined;
    }, 20_000);
    expect(h.peers.ordersFor(`rec-${r.id}`)).toEqual([]);
    expect((await h.history(r.id)).map((e) => [e.to_status, e.reason])).toEqual([
      ['pending', `sized from consensus ${c.id}`],
      ['approved', 'risk APPROVED'],
      ['expired', 'not_submitted_within_ttl'],
    ]);
  }, 30_000);

  it('a pending recommendation whose risk check never answers expires', async () => {
    const symbol = h.symbol();
    h.peers.decide = (req) => (req.symbol === symbol ? 'down' : { decision: 'APPROVED' });
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    const r = await waitFor('expired', async () => {
      const row = await h.rowByConsensus(c.id);
      return row?.status === 'expired' ? row : undefined;
    }, 20_000);
    expect(h.peers.checksFor(r.id).length).toBeGreaterThanOrEqual(2);
    expect(h.peers.submitsFor(r.id)).toEqual([]);
  }, 30_000);
});

describe('bad and repeated consensus', () => {
  it('counts malformed messages by reason and stores nothing; HOLD is ignored', async () => {
    const symbol = h.symbol();
    const before = await h.metrics();
    const good = h.consensus({ symbol });
    await h.publishConsensus({ ...good, price: '-1' });
    await h.publishConsensus({ ...good, confidence: 7 });
    await h.publishConsensus({ ...good, side: 'MOON' });
    await h.publishConsensus('not an object');
    await h.publishConsensus({ ...good, id: `${good.id}-foo`, symbol: 'FOO/BAR' });
    await h.publishConsensus({ ...good, id: `${good.id}-hold`, side: 'HOLD' });
    await waitFor('invalid consensus counted', async () => {
      const m = await h.metrics();
      const d = (reason: string) => metricValue(m, 'cte_consensus_invalid_total', { reason }) - metricValue(before, 'cte_consensus_invalid_total', { reason });
      return d('price') >= 1 && d('confidence') >= 1 && d('side') >= 1 && d('malformed') >= 1 && d('symbol') >= 1 && metricValue(m, 'cte_consensus_received_total', { outcome: 'hold' }) > metricValue(before, 'cte_consensus_received_total', { outcome: 'hold' });
    });
    expect(await h.rowsOf(symbol)).toEqual([]);
    expect(await h.rowsOf('FOO/BAR')).toEqual([]);
    // The service is still fine: a valid one goes through.
    await h.publishConsensus(good, good.trace_id);
    await h.waitStatus(good.id, 'submitted');
  });

  it('deduplicates by consensus id', async () => {
    const symbol = h.symbol();
    h.peers.decide = () => ({ decision: 'REJECTED', reasons: ['test'] });
    const c = h.consensus({ symbol });
    await h.publishConsensus(c, c.trace_id);
    await h.waitStatus(c.id, 'rejected');
    const before = metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'duplicate' });
    await h.publishConsensus(c, c.trace_id);
    await waitFor('duplicate counted', async () => metricValue(await h.metrics(), 'cte_consensus_received_total', { outcome: 'duplicate' }) > before);
    expect(await h.rowsOf(symbol)).toHaveLength(1);
  });
});

describe('Propose', () => {
  it('creates a recommendation with the given qty, runs it through risk and execution, idempotent by key', async () => {
    const symbol = h.symbol();
    h.peers.initialStatus = () => ({ status: 'FILLED' });
    const req = { symbol, side: 'sell', qty: '0.5', source: 'rebalance', reason: 'drifted above target', idempotency_key: `rebal-${h.tag}-1`, trace_id: '' };
    const first = await h.client.unary('Propose', req);
    expect(first).toMatchObject({ symbol, side: 'sell', qty: '0.5', approved_qty: '0.5', source: 'rebalance', status: 'filled', client_order_id: `rec-${first.id}`, kelly_fraction: '' });
    expect(first.history.map((x) => x.status)).toEqual(['pending', 'approved', 'submitted', 'filled']);
    const again = await h.client.unary('Propose', req);
    expect(again.id).toBe(first.id);
    expect(h.peers.checksFor(first.id)).toHaveLength(1);
    expect(h.peers.submitsFor(first.id)).toHaveLength(1);
    expect(h.peers.ordersFor(`rec-${first.id}`)).toHaveLength(1);
    await expect(h.client.unary('Propose', { ...req, qty: '0.6' })).rejects.toBeInstanceOf(ConflictError);
    expect(await h.rowsOf(symbol)).toHaveLength(1);
  });

  it('validates its input, naming the field, and changes nothing', async () => {
    const symbol = h.symbol();
    const ok = { symbol, side: 'buy', qty: '1', source: 'manual', reason: '', idempotency_key: `k-${h.tag}-bad`, trace_id: '' };
    for (const [bad, field] of [
      [{ symbol: 'nope' }, 'symbol'],
      [{ symbol: 'FOO/BAR' }, 'unknown symbol FOO/BAR: tradable symbols are BTC/USD, ETH/USD'],
      [{ side: 'long' }, 'side'],
      [{ qty: '0' }, 'qty'],
      [{ qty: '-1' }, 'qty'],
      [{ qty: '1e3' }, 'qty'],
      [{ source: 'consensus' }, 'source'],
      [{ idempotency_key: '' }, 'idempotency_key'],
      [{ trace_id: 'not a trace id' }, 'trace_id'],
    ] as const) {
      const err = await h.client.unary('Propose', { ...ok, ...bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(field);
    }
    expect(await h.rowsOf(symbol)).toEqual([]);
  });

  it('hostile input (issue 10): a 200 KB field is a bounded INVALID_ARGUMENT and a concurrent call on the connection is served', async () => {
    const symbol = h.symbol();
    const ok = { symbol, side: 'buy', qty: '1', source: 'manual', reason: '', idempotency_key: `k-${h.tag}-big`, trace_id: '' };
    await expectOversizedRefusedAlongside(
      h.client.unary('Propose', { ...ok, idempotency_key: 'k'.repeat(200 * 1024) }),
      h.client.unary('ListRecommendations', { symbol }),
      /^idempotency_key is invalid/,
    );
    expect(await h.rowsOf(symbol)).toEqual([]);
  });
});

describe('queries', () => {
  it('lists with filters and pagination over REST and gRPC, and validates them', async () => {
    const symbol = h.symbol();
    h.peers.decide = () => ({ decision: 'REJECTED' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = h.consensus({ symbol });
      await h.publishConsensus(c, c.trace_id);
      ids.push((await h.waitStatus(c.id, 'rejected')).id);
    }
    const page = await h.json(`/recommendations?symbol=${symbol.replace('/', '-')}&status=rejected&limit=2`);
    expect(page.total).toBe(3);
    expect(page.recommendations.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await h.json(`/recommendations?symbol=${encodeURIComponent(symbol)}&limit=2&offset=2`);
    expect(page2.recommendations.map((r) => r.id)).toEqual([ids[0]]);
    const g = await h.client.unary('ListRecommendations', { symbol, status: 'rejected', limit: 0, offset: 0 });
    expect(g.total).toBe(3);
    expect(g.recommendations.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);

    expect((await h.api('/recommendations?status=nope')).status).toBe(400);
    expect(await h.json('/recommendations?symbol=FOO-BAR')).toMatchObject({ error: { message: expect.stringContaining('unknown symbol FOO/BAR') as unknown } });
    await expect(h.client.unary('ListRecommendations', { symbol: 'FOO/BAR' })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await h.json('/recommendations?limit=0')).error?.message).toContain('limit');
    expect((await h.api('/recommendations/does-not-exist')).status).toBe(404);
    await expect(h.client.unary('GetRecommendation', { id: 'does-not-exist' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.client.unary('ListRecommendations', { status: 'bogus' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('shutdown', () => {
  it('SIGTERM → exit 0', async () => {
    const code = await h.svc.stop();
    expect(code).toBe(0);
    expect(h.svc.logs()).toContain('shutdown complete');
  });
});

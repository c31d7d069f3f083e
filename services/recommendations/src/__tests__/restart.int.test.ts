/**
 * Crash safety of recommendations as a real process: SIGKILL after the approved status (with
 * its client order id) is committed but before the Submit ack is recorded, and SIGKILL before
 * a risk decision; after a restart the sweeper finishes both, and execution ends up with
 * exactly one order per recommendation. Also: the configured prior when signals-aggregator
 * has never answered, and the cooldown after an approved recommendation. Needs `npx tsc -b services/recommendations` first.
 */
import { waitFor } from '@cte/testkit';
import { dec, Harness } from './helpers/harness';

// A long TTL: nothing may expire while the process is down.
const h = new Harness({ REC_TTL_MS: '60000', KELLY_PRIOR_HIT_RATE: '0.5', REC_COOLDOWN_MS: '3600000' });

beforeAll(async () => {
  await h.setUp();
}, 60_000);
afterAll(() => h.tearDown());

it('uses the configured prior while signals-aggregator has never answered', async () => {
  h.peers.aggregatorDown = true;
  try {
    const c = h.consensus({ symbol: h.symbol() });
    await h.publishConsensus(c, c.trace_id);
    const r = await h.waitStatus(c.id, 'submitted');
    // p = 0.5 → f* = 0.5 − 0.5/1.5 = 1/6 → × 0.25 × 0.8 = 1/30 of 10000 at 25000 = 0.013333… → rounded down
    expect(dec(r.win_probability)).toBe('0.5');
    expect(dec(r.qty)).toBe('0.01333333');
    expect(await h.json(`/recommendations/${r.id}`)).toMatchObject({ calibration: 'prior', hit_rate: '0.5' });
  } finally {
    h.peers.aggregatorDown = false;
  }
});

it('SIGKILL between the persisted approval and the Submit ack: after restart, the same client order id, one order', async () => {
  const symbol = h.symbol();
  let hang = true;
  h.peers.submitMode = (req) => (req.symbol === symbol && hang ? 'hang' : 'ok');
  const c = h.consensus({ symbol });
  await h.publishConsensus(c, c.trace_id);

  // Execution has the order, the ack is held: the recommendation is approved with its client order id.
  const approved = await h.waitStatus(c.id, 'approved');
  await waitFor('the Submit reached execution', () => h.peers.submitsFor(approved.id).length === 1);
  expect(approved.client_order_id).toBe(`rec-${approved.id}`);
  expect(approved.order_id).toBeNull();
  expect(h.peers.ordersFor(`rec-${approved.id}`)).toHaveLength(1);

  h.svc.child.kill('SIGKILL');
  expect(await h.svc.exited).toBeNull();
  hang = false;
  h.peers.release();
  expect((await h.row(approved.id)).status).toBe('approved');

  await h.startService();
  const r = await h.waitIdStatus(approved.id, 'submitted');
  const orders = h.peers.ordersFor(`rec-${r.id}`);
  expect(orders).toHaveLength(1);
  expect(r.order_id).toBe(orders[0]!.id);
  const submits = h.peers.submitsFor(r.id);
  expect(submits.length).toBeGreaterThanOrEqual(2);
  // The re-submission after the restart carries the same data time (stored with the recommendation).
  expect(new Set(submits.map((s) => `${s.client_order_id}|${s.data_time}`))).toEqual(new Set([`rec-${r.id}|${c.ts}`]));
  expect((await h.history(r.id)).map((e) => e.to_status)).toEqual(['pending', 'approved', 'submitted']);
  expect(h.svc.logs()).toContain('re-submitting an unacknowledged order');
}, 60_000);

it('SIGKILL before the risk decision: after restart risk is asked again and the order goes out once', async () => {
  const symbol = h.symbol();
  let riskUp = false;
  h.peers.decide = (req) => (req.symbol === symbol && !riskUp ? 'down' : { decision: 'APPROVED' });
  const c = h.consensus({ symbol });
  await h.publishConsensus(c, c.trace_id);
  const pending = await h.waitStatus(c.id, 'pending');
  await waitFor('risk asked', () => h.peers.checksFor(pending.id).length > 0);

  h.svc.child.kill('SIGKILL');
  await h.svc.exited;
  riskUp = true;
  await h.startService();

  const r = await h.waitIdStatus(pending.id, 'submitted');
  expect(h.peers.ordersFor(`rec-${r.id}`)).toHaveLength(1);
  expect(h.peers.submitsFor(r.id)).toHaveLength(1);
  expect((await h.history(r.id)).map((e) => e.to_status)).toEqual(['pending', 'approved', 'submitted']);
  // Still served after the restart.
  expect(await h.json(`/recommendations/${r.id}`)).toMatchObject({ status: 'submitted', consensus_id: c.id });
}, 60_000);

it('after a risk-approved recommendation, the same symbol and side wait REC_COOLDOWN_MS of consensus time', async () => {
  const symbol = h.symbol();
  const t0 = Date.now() - 3 * 3_600_000;
  const first = h.consensus({ symbol, ts: t0 });
  await h.publishConsensus(first, first.trace_id);
  const r = await h.waitStatus(first.id, 'submitted');
  await h.publishOrderEvent({ order_id: r.order_id!, client_order_id: r.client_order_id!, recommendation_id: r.id, status: 'FILLED', filled_qty: r.qty });
  await h.waitStatus(first.id, 'filled');

  const soon = h.consensus({ symbol, ts: t0 + 10 * 60_000 });
  const otherSide = h.consensus({ symbol, side: 'SELL', ts: t0 + 10 * 60_000 });
  const later = h.consensus({ symbol, ts: t0 + 3_600_000 });
  await h.publishConsensus(soon, soon.trace_id);
  await h.publishConsensus(otherSide, otherSide.trace_id);
  await h.publishConsensus(later, later.trace_id);
  await h.waitStatus(later.id, 'submitted');
  expect(await h.rowByConsensus(soon.id)).toBeUndefined();
  // The SELL is not in the BUY's cooldown (it is sized, and refused for lack of a position).
  expect(await h.waitStatus(otherSide.id, 'rejected')).toMatchObject({ side: 'sell' });
});

it('SIGTERM → exit 0', async () => {
  expect(await h.svc.stop()).toBe(0);
});

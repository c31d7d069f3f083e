/**
 * The rules for venue-reported order statuses (engine/venue-update.ts): only legal transitions,
 * idempotent, never backwards, no invented fills, and the same end state whatever the delivery
 * order of the same updates (and fills).
 */
import { Dec } from '@cte/shared';
import { OrderManager } from '../engine/order-manager';
import type { OrderStatus } from '../engine/order-state';
import type { Fill, Order } from '../engine/types';
import { applyStatusUpdate, REASON_NO_SUCH_ORDER, type StatusUpdate, type VenueOrderStatus } from '../engine/venue-update';

const d = (s: string | number): Dec => new Dec(s);
const m = new OrderManager('binanceus');
const NOW = 5000;

function newOrder(): Order {
  return m.create({ clientOrderId: 'c-1', symbol: 'COMP/USDT', side: 'buy', type: 'limit', qty: d('2'), limitPrice: d('30'), recommendationId: '' }, 'o-1', 'trace-abcdef', 1000);
}

function withStatus(status: OrderStatus, venueOrderId: string | null = 'v-1'): Order {
  const o = newOrder();
  if (status === 'NEW') return o;
  if (status === 'FAILED') return m.failed(o, 'venue_error', 1000);
  const sub = m.submitted(o, venueOrderId ?? 'x', 1000);
  const base = venueOrderId === null ? { ...sub, venueOrderId: null } : sub;
  if (status === 'SUBMITTED') return base;
  if (status === 'PARTIALLY_FILLED') return m.applyFill(base, fill('0.5', 1), 1000).order;
  if (status === 'FILLED') return m.applyFill(base, fill('2', 1), 1000).order;
  return m.transition(base, status, 1000, { reason: 'earlier' });
}

function fill(qty: string, n: number): Fill {
  return {
    venue: 'binanceus',
    venueTradeId: `COMP/USDT:${n}`,
    venueOrderId: 'v-1',
    orderId: 'o-1',
    clientOrderId: 'c-1',
    symbol: 'COMP/USDT',
    side: 'buy',
    qty: d(qty),
    price: d('30'),
    fee: d('0'),
    feeCurrency: 'USDT',
    liquidity: 'maker',
    ts: 1000,
  };
}

const upd = (status: VenueOrderStatus, venueOrderId: string | null = 'v-1', reason = ''): StatusUpdate => ({ status, venueOrderId, reason });

/** Every ordering of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

type Step = { update: StatusUpdate } | { fill: Fill };

/** Applies updates and fills in the given order, as the service does (a fill on a final order counts, its status stays). */
function run(start: Order, steps: readonly Step[]): Order {
  let o = start;
  for (const s of steps) o = 'update' in s ? applyStatusUpdate(m, o, s.update, NOW).order : m.applyFill(o, s.fill, NOW).order;
  return o;
}

const summary = (o: Order): Record<string, string | null> => ({ status: o.status, venueOrderId: o.venueOrderId, filledQty: o.filledQty.toFixed(), reason: o.reason });

describe('applyStatusUpdate', () => {
  it.each([
    ['SUBMITTED', 'canceled', 'CANCELED', 'canceled_at_venue'],
    ['PARTIALLY_FILLED', 'canceled', 'CANCELED', 'canceled_at_venue'],
    ['SUBMITTED', 'expired', 'EXPIRED', 'expired_at_venue'],
    ['PARTIALLY_FILLED', 'expired', 'EXPIRED', 'expired_at_venue'],
    ['SUBMITTED', 'rejected', 'REJECTED', 'rejected_at_venue'],
    // A venue does not reject what it has traded: the order ended with its fills.
    ['PARTIALLY_FILLED', 'rejected', 'CANCELED', 'rejected_at_venue'],
  ] as const)('%s + %s → %s (%s)', (from, status, to, reason) => {
    const r = applyStatusUpdate(m, withStatus(from), upd(status), NOW);
    expect(r.outcome).toBe('applied');
    expect(r.order.status).toBe(to);
    expect(r.order.reason).toBe(reason);
    expect(r.order.updatedAt).toBe(NOW);
  });

  it.each(['open', 'partially_filled', 'filled'] as const)('%s never moves an open order: fills do (no fill is invented)', (status) => {
    for (const from of ['SUBMITTED', 'PARTIALLY_FILLED'] as const) {
      const o = withStatus(from);
      const r = applyStatusUpdate(m, o, upd(status), NOW);
      expect(r).toEqual({ order: o, outcome: 'ignored' });
    }
  });

  it.each(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'FAILED'] as const)('a %s order is final: every later update is stale', (from) => {
    const o = withStatus(from);
    for (const status of ['open', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'] as const) {
      expect(applyStatusUpdate(m, o, upd(status, 'v-2'), NOW)).toEqual({ order: o, outcome: 'stale' });
    }
  });

  it('an unconfirmed order gets the venue order id of a later lookup, once', () => {
    const o = withStatus('SUBMITTED', 'unconfirmed:c-1');
    const r = applyStatusUpdate(m, o, upd('open', '123'), NOW);
    expect(r.outcome).toBe('applied');
    expect(summary(r.order)).toEqual({ status: 'SUBMITTED', venueOrderId: '123', filledQty: '0', reason: '' });
    // Repeated: nothing to change. Another id never replaces a confirmed one.
    expect(applyStatusUpdate(m, r.order, upd('open', '123'), NOW).outcome).toBe('ignored');
    expect(applyStatusUpdate(m, r.order, upd('open', '999'), NOW).outcome).toBe('ignored');
    expect(applyStatusUpdate(m, r.order, upd('open', 'unconfirmed:c-1'), NOW).outcome).toBe('ignored');
  });

  it('an unconfirmed order the venue provably does not have is REJECTED with the reason', () => {
    const r = applyStatusUpdate(m, withStatus('SUBMITTED', 'unconfirmed:c-1'), upd('rejected', null, REASON_NO_SUCH_ORDER), NOW);
    expect(summary(r.order)).toEqual({ status: 'REJECTED', venueOrderId: 'unconfirmed:c-1', filledQty: '0', reason: 'venue_has_no_such_order' });
  });

  it('a NEW order the venue has is SUBMITTED with its id first, then ended', () => {
    const r = applyStatusUpdate(m, withStatus('NEW'), upd('canceled', '77'), NOW);
    expect(summary(r.order)).toEqual({ status: 'CANCELED', venueOrderId: '77', filledQty: '0', reason: 'canceled_at_venue' });
    expect(applyStatusUpdate(m, withStatus('NEW'), upd('open', '77'), NOW).order.status).toBe('SUBMITTED');
  });

  it('is idempotent: the same update twice equals it once', () => {
    for (const from of ['NEW', 'SUBMITTED', 'PARTIALLY_FILLED'] as const) {
      for (const status of ['open', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'] as const) {
        const once = applyStatusUpdate(m, withStatus(from), upd(status), NOW).order;
        const twice = applyStatusUpdate(m, once, upd(status), NOW);
        expect(twice.order).toEqual(once);
        expect(twice.outcome).not.toBe('applied');
      }
    }
  });

  it('is order-independent: every permutation of the same updates and fills ends in the same state', () => {
    const scenarios: Array<{ start: Order; steps: Step[]; expected: Record<string, string | null> }> = [
      // Resting, partly filled, canceled at the venue; the stream and REST both report.
      {
        start: withStatus('SUBMITTED'),
        steps: [{ update: upd('open') }, { fill: fill('0.5', 1) }, { update: upd('partially_filled') }, { update: upd('canceled') }, { update: upd('canceled') }],
        expected: { status: 'CANCELED', venueOrderId: 'v-1', filledQty: '0.5', reason: 'canceled_at_venue' },
      },
      // A market order's remainder expires.
      {
        start: withStatus('SUBMITTED'),
        steps: [{ fill: fill('0.5', 1) }, { fill: fill('1', 2) }, { update: upd('partially_filled') }, { update: upd('expired') }],
        expected: { status: 'EXPIRED', venueOrderId: 'v-1', filledQty: '1.5', reason: 'expired_at_venue' },
      },
      // Filled: the 'filled' status and a late 'open' change nothing the fills did not.
      {
        start: withStatus('SUBMITTED'),
        steps: [{ update: upd('open') }, { fill: fill('1.5', 1) }, { fill: fill('0.5', 2) }, { update: upd('filled') }, { update: upd('partially_filled') }],
        expected: { status: 'FILLED', venueOrderId: 'v-1', filledQty: '2', reason: '' },
      },
      // An ambiguous submission resolved by a lookup, then canceled at the venue.
      {
        start: withStatus('SUBMITTED', 'unconfirmed:c-1'),
        steps: [{ update: upd('open', '123') }, { update: upd('open', '123') }, { update: upd('canceled', '123') }],
        expected: { status: 'CANCELED', venueOrderId: '123', filledQty: '0', reason: 'canceled_at_venue' },
      },
    ];
    for (const sc of scenarios) {
      const perms = permutations(sc.steps);
      expect(perms.length).toBeGreaterThan(1);
      for (const p of perms) expect(summary(run(sc.start, p))).toEqual(sc.expected);
    }
  });
});

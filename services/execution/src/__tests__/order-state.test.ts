import { Dec, FailedPreconditionError } from '@cte/shared';
import { OrderManager } from '../engine/order-manager';
import { assertTransition, canTransition, IllegalTransitionError, isTerminal, ORDER_STATUSES, type OrderStatus } from '../engine/order-state';
import type { Order } from '../engine/types';

/** The legal transitions, written out independently of the implementation's table. */
const LEGAL = new Set([
  'NEW>SUBMITTED',
  'NEW>REJECTED',
  'NEW>FAILED',
  'NEW>CANCELED',
  'SUBMITTED>PARTIALLY_FILLED',
  'SUBMITTED>FILLED',
  'SUBMITTED>CANCELED',
  'SUBMITTED>REJECTED',
  'SUBMITTED>EXPIRED',
  'PARTIALLY_FILLED>PARTIALLY_FILLED',
  'PARTIALLY_FILLED>FILLED',
  'PARTIALLY_FILLED>CANCELED',
  'PARTIALLY_FILLED>EXPIRED',
]);
const ALL_PAIRS: Array<[OrderStatus, OrderStatus]> = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to): [OrderStatus, OrderStatus] => [from, to]));

function order(status: OrderStatus): Order {
  return {
    id: 'o-1',
    clientOrderId: 'c-1',
    venue: 'mock',
    venueOrderId: null,
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    qty: new Dec('1'),
    limitPrice: new Dec('100'),
    status,
    filledQty: new Dec(0),
    avgFillPrice: null,
    fees: new Dec(0),
    feeCurrency: 'USD',
    reason: '',
    recommendationId: '',
    traceId: 'trace-0001',
    createdAt: 1,
    updatedAt: 1,
  };
}

describe('order state machine', () => {
  it('covers all 8 statuses and 64 pairs', () => {
    expect(ORDER_STATUSES).toHaveLength(8);
    expect(ALL_PAIRS).toHaveLength(64);
  });

  it.each(ALL_PAIRS.filter(([f, t]) => LEGAL.has(`${f}>${t}`)))('%s → %s is legal', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
    const next = new OrderManager('mock').transition(order(from), to, 2, { reason: 'r' });
    expect(next.status).toBe(to);
    expect(next.updatedAt).toBe(2);
  });

  it.each(ALL_PAIRS.filter(([f, t]) => !LEGAL.has(`${f}>${t}`)))('%s → %s is an error', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to, 'o-1')).toThrow(IllegalTransitionError);
    const before = order(from);
    let err: unknown;
    try {
      new OrderManager('mock').transition(before, to, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain(`${from} → ${to}`);
    expect(before.status).toBe(from); // input untouched
  });

  it('FILLED, CANCELED, REJECTED, EXPIRED and FAILED are final', () => {
    for (const s of ORDER_STATUSES) {
      const exits = ORDER_STATUSES.filter((t) => canTransition(s, t));
      expect(isTerminal(s)).toBe(exits.length === 0);
    }
    expect(ORDER_STATUSES.filter(isTerminal).sort()).toEqual(['CANCELED', 'EXPIRED', 'FAILED', 'FILLED', 'REJECTED']);
  });

  it('named helpers go through the same rules', () => {
    const m = new OrderManager('mock');
    const sub = m.submitted(order('NEW'), 'v-1', 5);
    expect(sub).toMatchObject({ status: 'SUBMITTED', venueOrderId: 'v-1', updatedAt: 5 });
    expect(m.canceled(sub, 'user', 6)).toMatchObject({ status: 'CANCELED', reason: 'user' });
    expect(m.expired(sub, 'ttl', 6).status).toBe('EXPIRED');
    expect(m.rejected(order('NEW'), 'stale_price', 6)).toMatchObject({ status: 'REJECTED', reason: 'stale_price' });
    expect(m.failed(order('NEW'), 'venue_error', 6).status).toBe('FAILED');
    expect(() => m.submitted(sub, 'v-2', 7)).toThrow(IllegalTransitionError);
    expect(() => m.failed(sub, 'x', 7)).toThrow(IllegalTransitionError);
    expect(() => m.canceled(order('FILLED'), 'x', 7)).toThrow(/FILLED is final/);
  });
});

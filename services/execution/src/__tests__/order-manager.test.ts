import { Dec } from '@cte/shared';
import { netPositions, OrderManager, reduces, REASON_HALTED, REASON_REDUCING, type Exposure } from '../engine/order-manager';
import type { Fill, Order } from '../engine/types';
import type { OrderRequest } from '../engine/validation';

const d = (s: string | number) => new Dec(s);
const m = new OrderManager('mock');

function req(over: Partial<OrderRequest> = {}): OrderRequest {
  return { clientOrderId: 'c-1', symbol: 'BTC/USD', side: 'buy', type: 'market', qty: d('2'), limitPrice: null, recommendationId: 'rec-1', ...over };
}

function fill(o: Order, qty: string, price: string, fee: string, n = 1): Fill {
  return {
    venue: 'mock',
    venueTradeId: `t-${n}`,
    venueOrderId: 'v-1',
    orderId: o.id,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    qty: d(qty),
    price: d(price),
    fee: d(fee),
    feeCurrency: 'USD',
    liquidity: 'taker',
    ts: 1000,
  };
}

const exposure = (position: string, openBuy = '0', openSell = '0'): Exposure => ({ position: d(position), openBuy: d(openBuy), openSell: d(openSell) });

describe('OrderManager', () => {
  it('creates a NEW order with the quote currency as fee currency', () => {
    const o = m.create(req({ symbol: 'ETH/BTC' }), 'o-1', 'trace-abcdef', 42);
    expect(o).toMatchObject({ id: 'o-1', status: 'NEW', venue: 'mock', feeCurrency: 'BTC', traceId: 'trace-abcdef', createdAt: 42, updatedAt: 42, venueOrderId: null });
    expect(o.filledQty.eq(0)).toBe(true);
  });

  it('applies partial then final fills: filled qty, exact VWAP, fees, statuses', () => {
    let o = m.submitted(m.create(req(), 'o-1', 'trace-abcdef', 1), 'v-1', 2);
    const a = m.applyFill(o, fill(o, '0.5', '100', '0.05', 1), 3);
    expect(a.anomaly).toBeUndefined();
    o = a.order;
    expect(o.status).toBe('PARTIALLY_FILLED');
    expect(o.filledQty.toFixed()).toBe('0.5');
    expect(o.avgFillPrice!.toFixed()).toBe('100');
    o = m.applyFill(o, fill(o, '0.5', '110', '0.055', 2), 4).order;
    expect(o.status).toBe('PARTIALLY_FILLED');
    expect(o.avgFillPrice!.toFixed()).toBe('105');
    o = m.applyFill(o, fill(o, '1', '120', '0.12', 3), 5).order;
    expect(o.status).toBe('FILLED');
    expect(o.filledQty.toFixed()).toBe('2');
    expect(o.avgFillPrice!.toFixed()).toBe('112.5');
    expect(o.fees.toFixed()).toBe('0.225');
    expect(o.updatedAt).toBe(5);
  });

  it('moves a NEW order through SUBMITTED when a fill comes first', () => {
    const o = m.create(req({ qty: d('1') }), 'o-1', 'trace-abcdef', 1);
    expect(m.applyFill(o, fill(o, '1', '100', '0'), 2).order.status).toBe('FILLED');
  });

  it('records a fill on a final order or beyond the quantity as an anomaly, keeping the status', () => {
    const o = m.canceled(m.submitted(m.create(req(), 'o-1', 'trace-abcdef', 1), 'v-1', 2), 'user', 3);
    const r = m.applyFill(o, fill(o, '1', '100', '0.1'), 4);
    expect(r.anomaly).toBe('fill_on_canceled_order');
    expect(r.order.status).toBe('CANCELED');
    expect(r.order.filledQty.toFixed()).toBe('1');
    const s = m.submitted(m.create(req({ qty: d('1') }), 'o-2', 'trace-abcdef', 1), 'v-2', 2);
    const over = m.applyFill(s, fill(s, '1.5', '100', '0'), 3);
    expect(over.anomaly).toBe('overfill');
    expect(over.order.status).toBe('FILLED');
  });

  it('refuses a fill of another order or side', () => {
    const o = m.submitted(m.create(req(), 'o-1', 'trace-abcdef', 1), 'v-1', 2);
    expect(() => m.applyFill(o, { ...fill(o, '1', '1', '0'), orderId: 'o-2' }, 3)).toThrow(/belongs to order o-2/);
    expect(() => m.applyFill(o, { ...fill(o, '1', '1', '0'), side: 'sell' }, 3)).toThrow(/does not match/);
    expect(() => m.applyFill(o, fill(o, '0', '1', '0'), 3)).toThrow(/non-positive/);
  });

  describe('trading-state gate', () => {
    it('ACTIVE accepts, HALTED rejects everything', () => {
      expect(m.gate('ACTIVE', { side: 'buy', qty: d(1) }, exposure('0'))).toEqual({ ok: true });
      expect(m.gate('HALTED', { side: 'sell', qty: d(1) }, exposure('5'))).toEqual({ ok: false, reason: REASON_HALTED });
    });

    it('REDUCING accepts only orders that reduce the position without flipping it', () => {
      const g = (side: 'buy' | 'sell', qty: string, e: Exposure) => m.gate('REDUCING', { side, qty: d(qty) }, e).ok;
      expect(g('sell', '1', exposure('2'))).toBe(true);
      expect(g('sell', '2', exposure('2'))).toBe(true);
      expect(g('sell', '2.00000001', exposure('2'))).toBe(false); // would flip short
      expect(g('buy', '1', exposure('2'))).toBe(false); // grows a long
      expect(g('buy', '1', exposure('-3'))).toBe(true); // covers a short
      expect(g('sell', '1', exposure('-3'))).toBe(false);
      expect(g('sell', '1', exposure('0'))).toBe(false); // flat: nothing to reduce
      expect(g('buy', '1', exposure('0'))).toBe(false);
      // Open sells already cover part of the long.
      expect(g('sell', '1', exposure('2', '0', '1.5'))).toBe(false);
      expect(g('sell', '0.5', exposure('2', '0', '1.5'))).toBe(true);
      expect(m.gate('REDUCING', { side: 'buy', qty: d(1) }, exposure('1'))).toEqual({ ok: false, reason: REASON_REDUCING });
    });
  });

  it('net positions are the sum of signed fill quantities', () => {
    const p = netPositions([
      { symbol: 'BTC/USD', side: 'buy', qty: d('1.5') },
      { symbol: 'BTC/USD', side: 'sell', qty: d('0.25') },
      { symbol: 'ETH/USD', side: 'sell', qty: d('2') },
    ]);
    expect(p.get('BTC/USD')!.toFixed()).toBe('1.25');
    expect(p.get('ETH/USD')!.toFixed()).toBe('-2');
    expect(reduces('buy', d(2), exposure('-2'))).toBe(true);
  });
});

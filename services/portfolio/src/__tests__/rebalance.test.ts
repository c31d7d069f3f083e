import { FailedPreconditionError, InvalidArgumentError, TradableSymbols } from '@cte/shared';
import { Exact, ZERO, parseRebalanceRequest, planRebalance, type Decimal } from '../engine';

const d = (s: string | number) => new Exact(s);
const TRADABLE = new TradableSymbols(['BTC/USD', 'ETH/USD', 'A/USD', 'B/USD', 'C/USD', 'BTC/EUR'], 'TRADABLE_SYMBOLS');

describe('parseRebalanceRequest', () => {
  it('accepts weights as numbers or decimal strings, normalising symbols', () => {
    const r = parseRebalanceRequest({ targets: { 'BTC/USD': 0.3, 'eth-usd': '0.25' }, execute: true, rebalance_id: 'rb-1' }, 'USD', TRADABLE);
    expect(r.targets.map((t) => [t.symbol, t.weight.toFixed()])).toEqual([['BTC/USD', '0.3'], ['ETH/USD', '0.25']]);
    expect(r.execute).toBe(true);
    expect(r.rebalanceId).toBe('rb-1');
    expect(parseRebalanceRequest({ targets: { 'BTC/USD': 0 } }, 'USD', TRADABLE)).toMatchObject({ execute: false, rebalanceId: undefined });
  });

  it('accepts weights summing to exactly 1 (decimal, not float, sum)', () => {
    expect(() => parseRebalanceRequest({ targets: { 'A/USD': 0.1, 'B/USD': 0.2, 'C/USD': 0.7 } }, 'USD', TRADABLE)).not.toThrow();
  });

  it.each([
    [null, 'body'],
    [[], 'body'],
    [{}, 'targets'],
    [{ targets: [] }, 'targets'],
    [{ targets: {} }, 'targets'],
    [{ targets: { 'BTC/USD': 1.01 } }, 'targets.BTC/USD'],
    [{ targets: { 'BTC/USD': -0.1 } }, 'targets.BTC/USD'],
    [{ targets: { 'BTC/USD': 'NaN' } }, 'targets.BTC/USD'],
    [{ targets: { 'BTC/USD': null } }, 'targets.BTC/USD'],
    [{ targets: { 'BTC/USD': 0.6, 'ETH/USD': 0.5 } }, 'sum to at most 1'],
    [{ targets: { BTCUSD: 0.1 } }, 'targets'],
    [{ targets: { 'BTC/EUR': 0.1 } }, 'quoted in USD'],
    [{ targets: { 'FOO/USD': 0.1 } }, 'targets: unknown symbol FOO/USD: tradable symbols are'],
    [{ targets: { 'BTC/USD': 0.1, 'btc-usd': 0.1 } }, 'twice'],
    [{ targets: { 'BTC/USD': 0.1 }, execute: 'yes' }, 'execute'],
    [{ targets: { 'BTC/USD': 0.1 }, rebalance_id: 'bad id!' }, 'rebalance_id'],
    [{ targets: { 'BTC/USD': 0.1 }, dry_run: true }, 'unknown field'],
  ])('refuses %j (%s)', (body, message) => {
    expect(() => parseRebalanceRequest(body, 'USD', TRADABLE)).toThrow(InvalidArgumentError);
    expect(() => parseRebalanceRequest(body, 'USD', TRADABLE)).toThrow(message);
  });
});

describe('planRebalance', () => {
  const held: Record<string, Decimal> = { 'BTC/USD': d('0.5'), 'ETH/USD': d('-2') };
  const prices: Record<string, Decimal> = { 'BTC/USD': d('10000'), 'ETH/USD': d('300'), 'SOL/USD': d('3') };
  const inputs = (targets: Record<string, string>, over: Partial<Parameters<typeof planRebalance>[0]> = {}) =>
    planRebalance({
      targets: Object.entries(targets).map(([symbol, w]) => ({ symbol, weight: d(w) })),
      equity: d('20000'),
      qtyOf: (s) => held[s] ?? ZERO,
      priceOf: (s) => prices[s],
      minNotional: d('10'),
      qtyDecimals: 8,
      ...over,
    });

  it('sizes (target × equity − current notional) / price, rounded toward zero to 8 decimals', () => {
    const plan = inputs({ 'BTC/USD': '0.3', 'ETH/USD': '0.1', 'SOL/USD': '0.0333' });
    expect(plan.orders.map((o) => [o.symbol, o.side, o.qty.toFixed(), o.notional.toFixed()])).toEqual([
      // 6000 − 5000 = 1000 → 0.1 BTC
      ['BTC/USD', 'buy', '0.1', '1000'],
      // 2000 − (−600) = 2600 → 8.66666666|6 ETH → 8.66666666
      ['ETH/USD', 'buy', '8.66666666', '2599.999998'],
      // 666 / 3 = 222
      ['SOL/USD', 'buy', '222', '666'],
    ]);
    expect(plan.orders[1]!.currentWeight.toFixed()).toBe('-0.03');
  });

  it('sells down to a lower weight and closes with 0', () => {
    const plan = inputs({ 'BTC/USD': '0.1', 'ETH/USD': '0' });
    expect(plan.orders.map((o) => [o.symbol, o.side, o.qty.toFixed()])).toEqual([
      ['BTC/USD', 'sell', '0.3'],
      ['ETH/USD', 'buy', '2'],
    ]);
  });

  it('rounds a sell toward zero too (never more than needed)', () => {
    const plan = inputs({ 'BTC/USD': '0.24999999' });
    // 4999.9998 − 5000 = −0.0002 USD → below the minimum notional
    expect(plan.orders).toEqual([]);
    expect(plan.skipped.map((s) => [s.symbol, s.reason, s.qty.toFixed()])).toEqual([['BTC/USD', 'below_min_notional', '-0.00000002']]);
    const sell = inputs({ 'ETH/USD': '0.0001' }, { qtyOf: () => d('1') });
    // 2 − 300 = −298 / 300 = −0.99333333|3 → −0.99333333
    expect(sell.orders.map((o) => [o.side, o.qty.toFixed()])).toEqual([['sell', '0.99333333']]);
  });

  it('skips a symbol already at its target', () => {
    const plan = inputs({ 'BTC/USD': '0.25' });
    expect(plan.orders).toEqual([]);
    expect(plan.skipped[0]).toMatchObject({ symbol: 'BTC/USD', reason: 'at_target' });
  });

  it('refuses without a price or with equity <= 0', () => {
    expect(() => inputs({ 'XRP/USD': '0.1' })).toThrow(FailedPreconditionError);
    expect(() => inputs({ 'XRP/USD': '0.1' })).toThrow('XRP/USD');
    expect(() => inputs({ 'BTC/USD': '0.1' }, { equity: d(0) })).toThrow(FailedPreconditionError);
  });
});

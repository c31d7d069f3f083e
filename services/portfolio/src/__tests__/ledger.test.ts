import { InvalidArgumentError, type FillMessage } from '@cte/shared';
import { Ledger, LedgerRejection, parseLedgerFill, toLedgerFill, Exact, type LedgerFill } from '../engine';
import { countFlips, generateFills } from './helpers/fills';
import { canon, recompute } from './helpers/reference-ledger';

let n = 0;
function fill(side: 'buy' | 'sell', qty: string, price: string, over: Partial<FillMessage> = {}): LedgerFill {
  n++;
  return toLedgerFill({
    fill_id: `f${n}`,
    venue: 'paper',
    venue_trade_id: `t${n}`,
    order_id: `o${n}`,
    client_order_id: `c${n}`,
    symbol: 'BTC/USD',
    side,
    qty,
    price,
    fee: '0',
    fee_currency: 'USD',
    liquidity: 'taker',
    ts: 1_700_000_000_000 + n,
    trace_id: `trace-${String(n).padStart(8, '0')}`,
    ...over,
  });
}

function seeded(): Ledger {
  const l = new Ledger();
  l.credit('USD', new Exact('100000'));
  return l;
}

const pos = (l: Ledger, s = 'BTC/USD') => {
  const p = l.position(s)!;
  return { qty: p.qty.toFixed(), avg: p.avgEntry.toFixed(), realized: p.realized.toFixed(), fees: p.fees.toFixed() };
};

describe('Ledger: positions', () => {
  it('opens a long at the fill price and adds at the quantity-weighted average', () => {
    const l = seeded();
    l.apply(fill('buy', '1', '100'));
    expect(pos(l)).toEqual({ qty: '1', avg: '100', realized: '0', fees: '0' });
    l.apply(fill('buy', '3', '200'));
    expect(pos(l)).toEqual({ qty: '4', avg: '175', realized: '0', fees: '0' });
    expect(l.balance('USD').toFixed()).toBe('99300');
    expect(l.balance('BTC').toFixed()).toBe('4');
  });

  it('realises PnL on a partial reduction and keeps the average entry', () => {
    const l = seeded();
    l.apply(fill('buy', '4', '175'));
    l.apply(fill('sell', '1.5', '200'));
    expect(pos(l)).toEqual({ qty: '2.5', avg: '175', realized: '37.5', fees: '0' });
    expect(l.balance('USD').toFixed()).toBe(String(100000 - 700 + 300));
  });

  it('closes to flat (average entry 0) and flips long → short at the fill price', () => {
    const l = seeded();
    l.apply(fill('buy', '2', '100'));
    l.apply(fill('sell', '2', '90'));
    expect(pos(l)).toEqual({ qty: '0', avg: '0', realized: '-20', fees: '0' });
    l.apply(fill('buy', '1', '50'));
    l.apply(fill('sell', '3', '60'));
    // closed 1 at +10, the remaining 2 open a short at 60
    expect(pos(l)).toEqual({ qty: '-2', avg: '60', realized: '-10', fees: '0' });
    expect(l.balance('BTC').toFixed()).toBe('-2');
  });

  it('shorts symmetrically: adding averages, covering realises avg − price, flipping opens a long', () => {
    const l = seeded();
    l.apply(fill('sell', '1', '100'));
    l.apply(fill('sell', '1', '110'));
    expect(pos(l)).toEqual({ qty: '-2', avg: '105', realized: '0', fees: '0' });
    l.apply(fill('buy', '0.5', '95'));
    expect(pos(l)).toEqual({ qty: '-1.5', avg: '105', realized: '5', fees: '0' });
    l.apply(fill('buy', '2.5', '120'));
    // covered 1.5 at −15 each, 1 long opened at 120
    expect(pos(l)).toEqual({ qty: '1', avg: '120', realized: '-17.5', fees: '0' });
    expect(l.balance('USD').toFixed()).toBe(new Exact(100000).plus(100).plus(110).minus('47.5').minus(300).toFixed());
  });

  it('rounds the average entry and realised PnL to 18 decimals, half away from zero', () => {
    const l = seeded();
    l.apply(fill('buy', '1', '1'));
    l.apply(fill('buy', '2', '2'));
    // 5/3 = 1.666666666666666666|67 → ...667
    expect(pos(l).avg).toBe('1.666666666666666667');
    l.apply(fill('sell', '0.5', '2'));
    // 0.5 × (2 − 1.666666666666666667) = 0.1666666666666666665 → 0.166666666666666667 (half away from zero)
    expect(pos(l).realized).toBe('0.166666666666666667');
    const s = seeded();
    s.apply(fill('sell', '1', '1'));
    s.apply(fill('sell', '2', '2'));
    s.apply(fill('buy', '0.5', '2'));
    // short: 0.5 × (1.666666666666666667 − 2) = −0.1666666666666666665 → −0.166666666666666667
    expect(pos(s).realized).toBe('-0.166666666666666667');
  });

  it('rounds qty × price beyond 18 decimals in cash the same way', () => {
    const l = seeded();
    l.apply(fill('buy', '0.000000000000000001', '0.5'));
    // 5e-19 rounds half away from zero to 1e-18
    expect(l.balance('USD').toFixed()).toBe('99999.999999999999999999');
  });

  it('debits fees from their currency and accumulates them on the position in the quote currency', () => {
    const l = seeded();
    l.apply(fill('buy', '1', '100', { fee: '0.25', fee_currency: 'USD' }));
    l.apply(fill('buy', '1', '100', { fee: '0.001', fee_currency: 'BTC' }));
    l.apply(fill('buy', '1', '100', { fee: '3', fee_currency: 'BNB' }));
    expect(pos(l).fees).toBe('0.35'); // 0.25 + 0.001 × 100; the BNB fee is not in quote terms
    expect(l.balance('USD').toFixed()).toBe('99699.75');
    expect(l.balance('BTC').toFixed()).toBe('2.999');
    expect(l.balance('BNB').toFixed()).toBe('-3');
    expect(pos(l).realized).toBe('0');
  });

  it('keeps each symbol apart', () => {
    const l = seeded();
    l.apply(fill('buy', '1', '100'));
    l.apply(fill('sell', '10', '5', { symbol: 'ETH/USD' }));
    expect(pos(l, 'ETH/USD')).toEqual({ qty: '-10', avg: '5', realized: '0', fees: '0' });
    expect(pos(l)).toEqual({ qty: '1', avg: '100', realized: '0', fees: '0' });
    expect(l.positions().map((p) => p.symbol)).toEqual(['BTC/USD', 'ETH/USD']);
  });
});

describe('Ledger: plan and commit', () => {
  it('plan changes nothing; commit applies exactly the plan', () => {
    const l = seeded();
    const before = JSON.stringify(l.state());
    const u = l.plan(fill('buy', '1', '100', { fee: '1' }));
    expect(JSON.stringify(l.state())).toBe(before);
    expect(u).toMatchObject({ prevSeq: 0, seq: 1 });
    expect(u.balances.map((b) => [b.asset, b.total.toFixed()])).toEqual([['USD', '99899'], ['BTC', '1']]);
    l.commit(u);
    expect(l.seq).toBe(1);
    expect(l.balance('USD').toFixed()).toBe('99899');
  });

  it('refuses to commit an update planned against another state', () => {
    const l = seeded();
    const a = l.plan(fill('buy', '1', '100'));
    const b = l.plan(fill('buy', '1', '100'));
    l.commit(a);
    expect(() => l.commit(b)).toThrow(LedgerRejection);
    expect(l.seq).toBe(1);
  });

  it('refuses a fill that would overflow DECIMAL(36,18), changing nothing', () => {
    const l = seeded();
    const before = JSON.stringify(l.state());
    expect(() => l.plan(fill('buy', '999999999999', '9999999'))).toThrow(/limit/);
    expect(JSON.stringify(l.state())).toBe(before);
  });
});

describe('fill validation', () => {
  const msg = (over: Record<string, unknown>): unknown => ({
    fill_id: 'f1', venue: 'paper', venue_trade_id: 't1', order_id: 'o1', client_order_id: 'c1', symbol: 'BTC/USD', side: 'buy',
    qty: '1', price: '100', fee: '0', fee_currency: 'USD', liquidity: 'taker', ts: 1_700_000_000_000, trace_id: 'trace-00000001', ...over,
  });

  it('accepts a valid fill', () => {
    const { fill: f } = parseLedgerFill(msg({}));
    expect(f).toMatchObject({ fillId: 'f1', base: 'BTC', quote: 'USD', side: 'buy' });
    expect(f.qty.toFixed()).toBe('1');
  });

  it.each([
    [{ qty: '0' }, 'qty'],
    [{ qty: '-1' }, 'qty'],
    [{ qty: '1e3' }, 'qty'],
    [{ qty: '0.0000000000000000001' }, 'qty'],
    [{ price: '1000000000000000000' }, 'price'],
    [{ price: 100 }, 'price'],
    [{ fee: '-1' }, 'fee'],
    [{ fee: '0.1234567890123456789' }, 'fee'],
    [{ side: 'BUY' }, 'side'],
    [{ symbol: 'BTCUSD' }, 'symbol'],
    [{ ts: -1 }, 'ts'],
    [{ fill_id: '' }, 'fill_id'],
  ])('refuses %j naming %s', (over, field) => {
    expect(() => parseLedgerFill(msg(over))).toThrow(InvalidArgumentError);
    expect(() => parseLedgerFill(msg(over))).toThrow(field);
  });
});

describe('Ledger against an independent BigInt recomputation', () => {
  it.each([
    ['8-decimal quantities, 2-decimal prices', { qtyDecimals: 8, priceDecimals: 2 }],
    ['18-decimal quantities, 8-decimal prices (cash and PnL rounding)', { qtyDecimals: 18, priceDecimals: 8, maxQty: 2 }],
  ])('5,000 random fills with flips: %s', (_name, opts) => {
    const symbols = ['BTC/USD', 'ETH/USD', 'SOL/USD'];
    const fills = generateFills({ n: 5000, symbols, seed: 7, idPrefix: 'u', ...opts });
    expect(countFlips(fills)).toBeGreaterThan(100);
    const l = seeded();
    for (const f of fills) l.apply(parseLedgerFill(f).fill);
    const ref = recompute(fills, { USD: '100000' });
    for (const p of l.positions()) {
      expect({ symbol: p.symbol, qty: p.qty.toFixed(), avg: p.avgEntry.toFixed(), realized: p.realized.toFixed(), fees: p.fees.toFixed(), fills: p.fills }).toEqual({
        symbol: p.symbol,
        qty: canon(ref.positions.get(p.symbol)!.qty),
        avg: canon(ref.positions.get(p.symbol)!.avg_entry_price),
        realized: canon(ref.positions.get(p.symbol)!.realized_pnl),
        fees: canon(ref.positions.get(p.symbol)!.fees),
        fills: ref.positions.get(p.symbol)!.fills,
      });
    }
    expect(Object.fromEntries(l.balances().map((b) => [b.asset, b.total.toFixed()]))).toEqual(Object.fromEntries(ref.balances));
    expect(l.seq).toBe(5000);
  });
});

/**
 * The pure parts of the live venue: market rules read from real ccxt loadMarkets structures (ccxt
 * against the venue emulator's public side, all three venues) and the local order check; the
 * venue client order id mapping; the ambiguous-outcome decision table; trades and orders as fills
 * and states; the secret redactor.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as ccxt from 'ccxt';
import { Dec } from '@cte/shared';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import { client } from '../../../venue-emulator/src/__tests__/helpers/ccxt';
import type { VenueId } from '../../../venue-emulator/src/engine/types';
import { ccxtErrorChain, createCcxtExchange } from '../adapters/ccxt-venue';
import { Secret, type LiveVenueId } from '../config';
import { secretRedactor } from '../engine/redact';
import { afterLookup, afterSend, classifyVenueError, venueRejectReason, type SubmitPolicy } from '../engine/venue-outcome';
import { checkOrder, DECIMAL_PLACES, marketRulesFrom, TICK_SIZE, toStep, venueClientOrderId, type MarketRules } from '../engine/venue-rules';
import { clientIdOf, fillFromTrade, parseVenueOrder, reconnectDelayMs } from '../engine/venue-trades';

const d = (s: string): Dec => new Dec(s);
const hash = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('market rules from real loadMarkets structures (ccxt against the emulator)', () => {
  let emu: RunningEmulator;
  const markets = new Map<VenueId, { mode: number; list: Record<string, unknown> }>();

  beforeAll(async () => {
    emu = await startEmulator();
    for (const venue of ['binanceus', 'coinbase', 'kucoin'] as const) {
      const ex = client(venue, emu.ports[venue]);
      const list = (await ex.loadMarkets()) as unknown as Record<string, unknown>;
      markets.set(venue, { mode: Number(ex.precisionMode), list });
      await ex.close();
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  it.each(['binanceus', 'coinbase', 'kucoin'] as const)('%s: every market yields rules with a positive lot step and price tick', (venue) => {
    const { mode, list } = markets.get(venue)!;
    expect(mode).toBe(TICK_SIZE);
    const symbols = Object.keys(list);
    expect(symbols.length).toBeGreaterThan(0);
    for (const s of symbols) {
      const r = marketRulesFrom(list[s], mode);
      expect(r.symbol).toBe(s);
      expect(r.qtyStep?.gt(0)).toBe(true);
      expect(r.priceStep?.gt(0)).toBe(true);
    }
  });

  it('binanceus COMP/USDT: the LOT_SIZE, PRICE_FILTER and NOTIONAL filters as ccxt reads them', () => {
    const { mode, list } = markets.get('binanceus')!;
    const raw = list['COMP/USDT'] as { precision: { amount: number; price: number }; limits: { amount: { min: number }; cost: { min?: number } } };
    const r = marketRulesFrom(raw, mode);
    expect(r.venueId).toBe('COMPUSDT');
    expect(r.qtyStep!.toNumber()).toBe(raw.precision.amount);
    expect(r.priceStep!.toNumber()).toBe(raw.precision.price);
    expect(r.minQty?.toNumber()).toBe(raw.limits.amount.min);
    if (raw.limits.cost.min) expect(r.minNotional?.toNumber()).toBe(raw.limits.cost.min);
  });

  it.each(['binanceus', 'coinbase', 'kucoin'] as const)('%s: an off-step quantity is refused naming the nearest valid one; an on-step one passes', (venue) => {
    const { mode, list } = markets.get(venue)!;
    const [symbol, raw] = Object.entries(list)[0]!;
    const r = marketRulesFrom(raw, mode);
    const step = r.qtyStep!;
    const good = toStep((r.minQty ?? step).times(1000), step);
    const price = r.minNotional ? r.minNotional.div(good).times(2) : d('1');
    const limit = toStep(price, r.priceStep!, true).plus(r.priceStep!);
    const ok = checkOrder(r, { side: 'buy', type: 'limit', qty: good, limitPrice: limit });
    expect(ok).toEqual({ ok: true, qty: good, limitPrice: limit });
    const off = good.plus(step.div(2));
    const bad = checkOrder(r, { side: 'buy', type: 'limit', qty: off, limitPrice: limit });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.reason).toMatch(/^lot_size: /);
      expect(bad.detail).toContain(`nearest valid below: ${good.toFixed()}`);
      expect(bad.detail).toContain(symbol);
    }
  });
});

describe('createCcxtExchange (every venue)', () => {
  const urlsOf = (v: unknown, out: string[] = []): string[] => {
    if (typeof v === 'string' && /^[a-z]+:\/\//.test(v)) out.push(v);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach((x) => urlsOf(x, out));
    return out;
  };

  it.each(['binanceus', 'coinbase', 'kucoin'] as const)('%s: credentials handed to ccxt, every REST and WebSocket URL rebased onto VENUE_URL', async (id: LiveVenueId) => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const credentials =
      id === 'coinbase'
        ? { apiKey: new Secret('organizations/o/apiKeys/k'), secret: new Secret(pem) }
        : { apiKey: new Secret(`${id}-key`), secret: new Secret(`${id}-secret`), ...(id === 'kucoin' ? { password: new Secret('kucoin-pass') } : {}) };
    const ex = await createCcxtExchange({ id, symbols: [], baseUrl: 'http://127.0.0.1:9', credentials }, 3000);
    try {
      expect([ex.apiKey, ex.secret]).toEqual([credentials.apiKey.reveal(), credentials.secret.reveal()]);
      if (id === 'kucoin') expect(ex.password).toBe('kucoin-pass');
      const urls = urlsOf(ex.urls['api']);
      expect(urls.length).toBeGreaterThan(1);
      expect(urls.filter((u) => !/^(http|ws):\/\/127\.0\.0\.1:9(\/|$)/.test(u))).toEqual([]);
      expect(urls.some((u) => u.startsWith('ws://'))).toBe(true);
    } finally {
      await ex.close();
    }
  });
});

describe('checkOrder', () => {
  const rules: MarketRules = {
    symbol: 'BTC/USDT',
    venueId: 'BTCUSDT',
    active: true,
    qtyStep: d('0.001'),
    priceStep: d('0.01'),
    minQty: d('0.001'),
    maxQty: d('100'),
    marketMinQty: null,
    marketMaxQty: d('10'),
    minPrice: d('0.01'),
    maxPrice: d('1000000'),
    minNotional: d('10'),
    maxNotional: null,
  };

  it('rounds a limit price to the tick in the trader’s favour', () => {
    expect(checkOrder(rules, { side: 'buy', type: 'limit', qty: d('0.5'), limitPrice: d('100.019') })).toEqual({ ok: true, qty: d('0.5'), limitPrice: d('100.01') });
    expect(checkOrder(rules, { side: 'sell', type: 'limit', qty: d('0.5'), limitPrice: d('100.011') })).toEqual({ ok: true, qty: d('0.5'), limitPrice: d('100.02') });
  });

  it.each([
    [{ qty: '0.0005', limitPrice: '100' }, /^lot_size/],
    [{ qty: '200', limitPrice: '100' }, /^max_qty: 200 > 100$/],
    [{ qty: '0.001', limitPrice: '5' }, /^min_notional: 0.005 < 10$/],
    [{ qty: '1', limitPrice: '0.001' }, /^price_tick/],
    [{ qty: '1', limitPrice: '2000000' }, /^max_price/],
  ])('refuses %j with %s', (o, reason) => {
    const r = checkOrder(rules, { side: 'buy', type: 'limit', qty: d(o.qty), limitPrice: d(o.limitPrice) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
      expect(r.reason.length).toBeLessThanOrEqual(64);
    }
  });

  it('market orders: their own quantity limit, and the notional at the reference price when one is known', () => {
    expect(checkOrder(rules, { side: 'buy', type: 'market', qty: d('11'), limitPrice: null })).toMatchObject({ ok: false, reason: 'max_qty: 11 > 10' });
    expect(checkOrder(rules, { side: 'sell', type: 'market', qty: d('0.001'), limitPrice: null }, d('100'))).toMatchObject({ ok: false, reason: 'min_notional: 0.1 < 10' });
    expect(checkOrder(rules, { side: 'sell', type: 'market', qty: d('0.001'), limitPrice: null })).toMatchObject({ ok: true });
  });

  it('an inactive market takes nothing', () => {
    expect(checkOrder({ ...rules, active: false }, { side: 'buy', type: 'market', qty: d('1'), limitPrice: null })).toMatchObject({ ok: false, reason: 'market_inactive' });
  });

  it('reads DECIMAL_PLACES precision and refuses malformed structures', () => {
    const r = marketRulesFrom({ id: 'X', symbol: 'A/B', precision: { amount: 3, price: 2 }, limits: { amount: { min: '0.001', max: 0 } } }, DECIMAL_PLACES);
    expect(r.qtyStep?.toFixed()).toBe('0.001');
    expect(r.priceStep?.toFixed()).toBe('0.01');
    expect(r.maxQty).toBeNull();
    expect(() => marketRulesFrom({ symbol: 'A/B' }, TICK_SIZE)).toThrow(/without symbol or id/);
    expect(() => marketRulesFrom({ id: 'X', symbol: 'A/B', precision: { amount: -1 } }, TICK_SIZE)).toThrow(/precision.amount must be > 0/);
    expect(() => marketRulesFrom({ id: 'X', symbol: 'A/B', limits: { cost: { min: 'abc' } } }, TICK_SIZE)).toThrow(/limits.cost.min/);
  });
});

describe('venue client order ids', () => {
  const rec = 'rec-0f8fad5b-d9cb-469f-a165-70867728950e'; // 40 characters, what recommendations sends

  it('an id that fits the venue’s format goes out unchanged', () => {
    expect(venueClientOrderId('binanceus', 'abc-123_X', hash)).toBe('abc-123_X');
    expect(venueClientOrderId('kucoin', rec, hash)).toBe(rec);
    expect(venueClientOrderId('coinbase', 'a:b.c', hash)).toBe('a:b.c');
  });

  it('one that does not is mapped deterministically into the venue’s format', () => {
    const b = venueClientOrderId('binanceus', rec, hash);
    expect(b).toMatch(/^cte-[0-9a-f]{32}$/);
    expect(venueClientOrderId('binanceus', rec, hash)).toBe(b);
    expect(venueClientOrderId('binanceus', `${rec}x`, hash)).not.toBe(b);
    expect(venueClientOrderId('kucoin', 'a:b', hash)).toMatch(/^cte-[0-9a-f]{32}$/);
  });
});

describe('the ambiguous-outcome decision table', () => {
  const policy: SubmitPolicy = { maxSends: 2, maxLookups: 3, settleMs: 500, lookupBackoffMs: 100 };
  // ccxt class chains, most specific first (ccxt/js/src/base/errorHierarchy.js).
  const chains = {
    RequestTimeout: ['RequestTimeout', 'NetworkError', 'OperationFailed', 'BaseError', 'Error'],
    ExchangeNotAvailable: ['ExchangeNotAvailable', 'NetworkError', 'OperationFailed', 'BaseError', 'Error'],
    NetworkError: ['NetworkError', 'OperationFailed', 'BaseError', 'Error'],
    InvalidOrder: ['InvalidOrder', 'ExchangeError', 'BaseError', 'Error'],
    InsufficientFunds: ['InsufficientFunds', 'ExchangeError', 'BaseError', 'Error'],
    OrderNotFound: ['OrderNotFound', 'InvalidOrder', 'ExchangeError', 'BaseError', 'Error'],
    DuplicateOrderId: ['DuplicateOrderId', 'InvalidOrder', 'ExchangeError', 'BaseError', 'Error'],
    ExchangeError: ['ExchangeError', 'BaseError', 'Error'],
    TypeError: ['TypeError', 'Error'],
  };

  it('classifies by the class chain; anything not known to be final is ambiguous', () => {
    expect(classifyVenueError(chains.RequestTimeout)).toBe('ambiguous');
    expect(classifyVenueError(chains.ExchangeNotAvailable)).toBe('ambiguous');
    expect(classifyVenueError(chains.NetworkError)).toBe('ambiguous');
    expect(classifyVenueError(chains.ExchangeError)).toBe('ambiguous');
    expect(classifyVenueError(chains.TypeError)).toBe('ambiguous');
    expect(classifyVenueError(chains.InvalidOrder)).toBe('rejected');
    expect(classifyVenueError(chains.InsufficientFunds)).toBe('rejected');
    expect(classifyVenueError(chains.OrderNotFound)).toBe('not_found');
    expect(classifyVenueError(chains.DuplicateOrderId)).toBe('duplicate');
  });

  it('ccxt’s own errors classify the same through the adapter’s instanceof chain', () => {
    expect(classifyVenueError(ccxtErrorChain(new ccxt.RequestTimeout('x')))).toBe('ambiguous');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.ExchangeNotAvailable('x')))).toBe('ambiguous');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.NetworkError('x')))).toBe('ambiguous');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.ExchangeError('x')))).toBe('ambiguous');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.InvalidOrder('x')))).toBe('rejected');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.InsufficientFunds('x')))).toBe('rejected');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.OrderNotFound('x')))).toBe('not_found');
    expect(classifyVenueError(ccxtErrorChain(new ccxt.DuplicateOrderId('x')))).toBe('duplicate');
    expect(classifyVenueError(ccxtErrorChain(new Error('x')))).toBe('ambiguous');
  });

  it('a send: ok accepts, a rejection is final with the venue’s reason, ambiguous waits then looks up, a duplicate looks up at once', () => {
    expect(afterSend({ ok: true, venueOrderId: '7' }, policy)).toEqual({ do: 'accept', venueOrderId: '7' });
    expect(afterSend({ ok: false, kind: 'rejected', message: 'InsufficientFunds: binanceus {"code":-2010,"msg":"Account has insufficient balance for requested action."}' }, policy)).toEqual({
      do: 'reject',
      reason: 'venue: Account has insufficient balance for requested action.',
    });
    expect(afterSend({ ok: false, kind: 'ambiguous', message: 'timeout' }, policy)).toEqual({ do: 'lookup', afterMs: 500 });
    expect(afterSend({ ok: false, kind: 'duplicate', message: 'dup' }, policy)).toEqual({ do: 'lookup', afterMs: 0 });
  });

  it('a lookup: found accepts; provably absent resends only while sends remain; a failed lookup retries, then leaves it unresolved', () => {
    expect(afterLookup({ found: true, venueOrderId: '9' }, { sends: 1, lookups: 1 }, policy)).toEqual({ do: 'accept', venueOrderId: '9' });
    expect(afterLookup({ found: false }, { sends: 1, lookups: 1 }, policy)).toEqual({ do: 'send' });
    expect(afterLookup({ error: 'not_found', message: 'x' }, { sends: 1, lookups: 1 }, policy)).toEqual({ do: 'send' });
    expect(afterLookup({ found: false }, { sends: 2, lookups: 1 }, policy)).toEqual({ do: 'reject', reason: 'not_placed_after_2_sends' });
    expect(afterLookup({ error: 'ambiguous', message: 'x' }, { sends: 1, lookups: 1 }, policy)).toEqual({ do: 'lookup', afterMs: 100 });
    expect(afterLookup({ error: 'ambiguous', message: 'x' }, { sends: 1, lookups: 2 }, policy)).toEqual({ do: 'lookup', afterMs: 200 });
    expect(afterLookup({ error: 'ambiguous', message: 'reset' }, { sends: 1, lookups: 3 }, policy)).toEqual({ do: 'unresolved', why: 'lookup failed 3 times: reset' });
    // A failed lookup never leads to a send.
    expect(afterLookup({ error: 'rejected', message: 'auth' }, { sends: 1, lookups: 3 }, policy).do).toBe('unresolved');
  });

  it('venue reasons fit orders.reason', () => {
    expect(venueRejectReason('kucoin {"code":"200004","msg":"Balance insufficient!"}')).toBe('venue: Balance insufficient!');
    expect(venueRejectReason('InsufficientFunds: binanceus Account has insufficient balance for requested action.')).toBe('venue: Account has insufficient balance for requested action.');
    expect(venueRejectReason('x'.repeat(300)).length).toBe(64);
  });
});

describe('trades and orders from the venue', () => {
  const ctx = { venue: 'binanceus', orderId: 'o-1', clientOrderId: 'c-1', defaultFeeCurrency: 'USDT' };
  const trade = { id: '55', order: '12', symbol: 'COMP/USDT', side: 'buy', amount: 0.123, price: 45.67, timestamp: 1_700_000_000_000, takerOrMaker: 'maker', fee: { cost: 0.000123, currency: 'COMP' }, info: { c: 'c-1' } };

  it('a ccxt trade becomes a fill of our order: id qualified by the market (trade ids are per market), exact decimals, the venue’s fee currency', () => {
    const { fill, rebate } = fillFromTrade(trade, ctx);
    expect(rebate).toBe(false);
    expect(fill).toMatchObject({ venue: 'binanceus', venueTradeId: 'COMP/USDT:55', venueOrderId: '12', orderId: 'o-1', clientOrderId: 'c-1', symbol: 'COMP/USDT', side: 'buy', feeCurrency: 'COMP', liquidity: 'maker', ts: 1_700_000_000_000 });
    expect([fill.qty.toFixed(), fill.price.toFixed(), fill.fee.toFixed()]).toEqual(['0.123', '45.67', '0.000123']);
    expect(clientIdOf(trade)).toBe('c-1');
    expect(clientIdOf({ info: { clientOid: 'k' } })).toBe('k');
  });

  it.each([
    ['no id', { id: undefined }, /without an id/],
    ['no order id', { order: undefined }, /without an order id/],
    ['a zero amount', { amount: 0 }, /amount must be > 0/],
    ['a price that is not a number', { price: 'NaN' }, /price/],
    ['an unknown side', { side: 'short' }, /side/],
    ['no timestamp', { timestamp: undefined }, /timestamp/],
  ])('a trade with %s is refused', (_what, patch, err) => {
    expect(() => fillFromTrade({ ...trade, ...patch }, ctx)).toThrow(err);
  });

  it('orders: ccxt statuses map to ours; an order without an id is "not found"', () => {
    expect(parseVenueOrder({ id: '1', symbol: 'A/B', status: 'closed', filled: 2, clientOrderId: 'c' })).toMatchObject({ venueOrderId: '1', status: 'filled', clientId: 'c' });
    expect(parseVenueOrder({ id: '1', symbol: 'A/B', status: 'canceled' })?.status).toBe('canceled');
    expect(parseVenueOrder({ id: undefined, symbol: 'A/B' })).toBeUndefined();
    expect(() => parseVenueOrder({ id: '1', symbol: 'A/B', status: 'weird' })).toThrow(/unknown status/);
  });

  it('reconnect backoff is capped and jittered', () => {
    expect(reconnectDelayMs(0, 100, 1000, 0)).toBe(50);
    expect(reconnectDelayMs(0, 100, 1000, 1)).toBe(100);
    expect(reconnectDelayMs(30, 100, 1000, 1)).toBe(1000);
  });
});

describe('secretRedactor', () => {
  const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oOuHRTEBSwXToAoGCCqGSM49\nAwEHoUQDQgAEwAxk8W4hY2N1c2VyLWlkLXRlc3QtdGVzdC10ZXN0LXRlc3QtdGVzdA==\n-----END EC PRIVATE KEY-----';
  const redact = secretRedactor(['my-api-key-1234567890', 'my-secret-abcdefghij', pem]);

  it('removes each secret, each line of a PEM, signatures, bearer tokens and auth headers', () => {
    const text = [
      'binanceus GET http://127.0.0.1:1/api/v3/order?symbol=X&timestamp=1&signature=abcdef0123 key my-api-key-1234567890',
      'secret my-secret-abcdefghij',
      'pem line MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oOuHRTEBSwXToAoGCCqGSM49',
      'Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      '{"X-MBX-APIKEY":"zzz"}',
    ].join('\n');
    const out = redact(text);
    for (const leak of ['my-api-key-1234567890', 'my-secret-abcdefghij', 'MHcCAQEEIBkg4LVWM9', 'abcdef0123', 'eyJhbGciOiJFUzI1NiJ9', 'zzz']) expect(out).not.toContain(leak);
    expect(out).toContain('signature=[redacted]');
  });
});

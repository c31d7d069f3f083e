/**
 * The venue-independent private engine on a hand-made book: matching (taker walk, resting maker
 * fills from trades and crossing books, IOC/FOK/market expiry, post-only), funds and fees, the
 * market rules, and the rate limiter. Binance request parsing and signatures, and the account
 * configuration, too.
 */
import { URLSearchParams } from 'node:url';
import { parseAccount, parseAccountsEnv } from '../adapters/private/accounts';
import { BinanceUsPrivateApi, parseNewOrder } from '../engine/private/binanceus-api';
import { PrivateExchange, type Account } from '../engine/private/exchange';
import { FaultBook } from '../engine/faults';
import { RateLimiter } from '../engine/private/rate-limit';
import type { MarketRules, OrderRequest, UserEvent } from '../engine/private/types';
import { VenueState } from '../engine/market-state';
import { sign } from './helpers/private';

const RULES: MarketRules = {
  symbol: 'COMP/USDT',
  base: 'COMP',
  quote: 'USDT',
  tickSize: '0.01',
  minPrice: '0.01',
  maxPrice: '100000',
  stepSize: '0.001',
  minQty: '0.001',
  maxQty: '9000',
  marketMaxQty: '100',
  minNotional: '10',
  notionalAppliesToMarket: true,
  percentUp: '5',
  percentDown: '0.2',
  maxOpenOrders: 3,
  maxDecimals: 8,
};

let state: VenueState;
let ex: PrivateExchange;
let acct: Account;
const T = 1_700_000_000_000;

function book(bids: [string, string][], asks: [string, string][], snapshot = true): UserEvent[] {
  const u = state.apply({ kind: 'book', symbol: 'COMP/USDT', ts: T, bids, asks, snapshot });
  return u ? ex.onUpdate(u, T) : [];
}

function trade(price: string, size: string, side: 'buy' | 'sell' = 'sell'): UserEvent[] {
  const u = state.apply({ kind: 'trade', symbol: 'COMP/USDT', ts: T, id: 1, price, size, side });
  return u ? ex.onUpdate(u, T) : [];
}

function order(p: Partial<OrderRequest>): OrderRequest {
  return { symbol: 'COMP/USDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', qty: '1', quoteQty: undefined, price: '100', clientOrderId: `c${Math.random()}`.slice(0, 20), ...p };
}

function bal(asset: string): { free: string; locked: string } {
  return acct.balances.get(asset) ?? { free: '0', locked: '0' };
}

beforeEach(() => {
  state = new VenueState('binanceus', [{ symbol: 'COMP/USDT', base: 'COMP', quote: 'USDT' }]);
  ex = new PrivateExchange(state, new Map([['COMP/USDT', RULES]]));
  acct = ex.createAccount({ apiKey: 'k'.repeat(64), secret: 's'.repeat(64), balances: { USDT: '10000', COMP: '10' } }, T);
  book(
    [
      ['99', '1'],
      ['98', '2'],
    ],
    [
      ['101', '0.5'],
      ['102', '1'],
      ['103', '5'],
    ],
  );
});

describe('taking the replayed book', () => {
  it('a marketable limit buy takes levels up to its price, then rests with the rest reserved', () => {
    const r = ex.submit(acct, order({ qty: '2', price: '102' }), T);
    if (!r.ok) throw new Error(r.reason.kind);
    expect(r.fills.map((f) => [f.price, f.qty, f.isMaker])).toEqual([
      ['101', '0.5', false],
      ['102', '1', false],
    ]);
    expect(r.order.status).toBe('PARTIALLY_FILLED');
    expect(r.order.executedQty).toBe('1.5');
    expect(r.order.cumQuote).toBe('152.5');
    expect(r.events.map((e) => (e.kind === 'execution' ? `${e.exec}/${e.order.status}` : 'balances'))).toEqual(['NEW/NEW', 'TRADE/PARTIALLY_FILLED', 'TRADE/PARTIALLY_FILLED', 'balances']);
    // Spent 152.5, 0.5 × 102 = 51 still reserved; fee 0.1 % in COMP.
    expect(bal('USDT')).toEqual({ free: '9796.5', locked: '51' });
    expect(bal('COMP')).toEqual({ free: '11.4985', locked: '0' });
    expect(ex.openOrders(acct)).toHaveLength(1);
  });

  it('taken liquidity is not taken again until the replay changes the level', () => {
    ex.submit(acct, order({ qty: '0.5', price: '101', timeInForce: 'IOC' }), T);
    const second = ex.submit(acct, order({ qty: '0.5', price: '101', timeInForce: 'IOC' }), T);
    expect(second.ok && second.order.status).toBe('EXPIRED');
    book([], [['101', '0.7']], false);
    const third = ex.submit(acct, order({ qty: '0.5', price: '101', timeInForce: 'IOC' }), T);
    expect(third.ok && third.order.status).toBe('FILLED');
  });

  it('IOC expires the remainder, FOK expires unfilled, market by quantity walks the book', () => {
    const ioc = ex.submit(acct, order({ qty: '1', price: '101', timeInForce: 'IOC' }), T);
    expect(ioc.ok && [ioc.order.status, ioc.order.executedQty]).toEqual(['EXPIRED', '0.5']);
    const fok = ex.submit(acct, order({ qty: '2', price: '102', timeInForce: 'FOK' }), T);
    expect(fok.ok && [fok.order.status, fok.order.executedQty, fok.fills.length]).toEqual(['EXPIRED', '0', 0]);
    const mkt = ex.submit(acct, order({ type: 'MARKET', qty: '3', price: undefined }), T);
    expect(mkt.ok && [mkt.order.status, mkt.fills.map((f) => f.price)]).toEqual(['FILLED', ['102', '103']]);
    expect(bal('USDT').locked).toBe('0');
  });

  it('a market buy by quote amount fills the quantity the money buys, rounded to the step', () => {
    const r = ex.submit(acct, order({ type: 'MARKET', qty: undefined, quoteQty: '100', price: undefined }), T);
    if (!r.ok) throw new Error(r.reason.kind);
    expect(r.order.status).toBe('FILLED');
    expect(r.fills.map((f) => [f.price, f.qty])).toEqual([
      ['101', '0.5'],
      ['102', '0.485'],
    ]);
    expect(r.order.origQty).toBe('0.985');
    expect(bal('USDT')).toEqual({ free: '9900.03', locked: '0' });
  });

  it('a market sell pays the fee in quote; selling more than the book holds expires the rest', () => {
    const r = ex.submit(acct, order({ side: 'SELL', type: 'MARKET', qty: '4', price: undefined }), T);
    if (!r.ok) throw new Error(r.reason.kind);
    expect(r.order.status).toBe('EXPIRED');
    expect(r.order.executedQty).toBe('3');
    expect(r.fills.map((f) => [f.commission, f.commissionAsset])).toEqual([
      ['0.099', 'USDT'],
      ['0.196', 'USDT'],
    ]);
    expect(bal('COMP')).toEqual({ free: '7', locked: '0' });
  });

  it('a post-only order that would take is refused', () => {
    expect(ex.submit(acct, order({ type: 'LIMIT_MAKER', price: '101' }), T)).toEqual({ ok: false, reason: { kind: 'would_take' } });
  });
});

describe('resting orders fill as makers from the replay', () => {
  it('from a trade printed through the price, up to the trade size', () => {
    const r = ex.submit(acct, order({ qty: '2', price: '100' }), T);
    expect(r.ok && r.order.status).toBe('NEW');
    expect(trade('100.5', '5')).toEqual([]);
    const ev = trade('100', '1.5');
    expect(ev.map((e) => (e.kind === 'execution' ? `${e.exec}/${e.order.status}/${e.fill?.qty}/${String(e.fill?.isMaker)}` : 'balances'))).toEqual(['TRADE/PARTIALLY_FILLED/1.5/true', 'balances']);
    trade('99', '3');
    const o = ex.find(acct, 'COMP/USDT', { orderId: r.ok ? r.order.id : 0 });
    expect(o?.status).toBe('FILLED');
    expect(bal('USDT')).toEqual({ free: '9800', locked: '0' });
  });

  it('from the book crossing it, at its own price', () => {
    ex.submit(acct, order({ side: 'SELL', qty: '1', price: '100.5' }), T);
    const ev = book([['100.6', '3']], [], false);
    const fill = ev.find((e) => e.kind === 'execution');
    expect(fill?.kind === 'execution' && [fill.fill?.price, fill.fill?.qty, fill.order.status]).toEqual(['100.5', '1', 'FILLED']);
  });

  it('cancel releases the reservation; a second cancel is an unknown order', () => {
    const r = ex.submit(acct, order({ qty: '1', price: '100' }), T);
    if (!r.ok) throw new Error(r.reason.kind);
    expect(bal('USDT').locked).toBe('100');
    const c = ex.cancel(acct, 'COMP/USDT', { clientOrderId: r.order.clientOrderId }, T, 'cxl-1');
    expect(c.ok && c.orders[0]?.status).toBe('CANCELED');
    expect(c.ok && c.events[0]?.kind === 'execution' && c.events[0].cancelClientOrderId).toBe('cxl-1');
    expect(bal('USDT')).toEqual({ free: '10000', locked: '0' });
    expect(ex.cancel(acct, 'COMP/USDT', { orderId: r.order.id }, T)).toEqual({ ok: false, reason: { kind: 'unknown_order' } });
  });
});

describe('rules and funds', () => {
  it.each([
    [{ price: '100.001' }, 'PRICE_FILTER'],
    [{ qty: '0.0005' }, 'LOT_SIZE'],
    [{ qty: '1.0005' }, 'LOT_SIZE'],
    [{ qty: '0.05', price: '100' }, 'NOTIONAL'],
    [{ price: '1000' }, 'PERCENT_PRICE'],
    [{ type: 'MARKET', price: undefined, qty: '101' }, 'MARKET_LOT_SIZE'],
  ] as [Partial<OrderRequest>, string][])('%j fails %s', (p, filter) => {
    trade('100', '0.001'); // a last price for the percent band
    expect(ex.submit(acct, order(p), T)).toEqual({ ok: false, reason: { kind: 'filter', filter } });
  });

  it('too many decimals is a precision error; too little money is insufficient balance', () => {
    expect(ex.submit(acct, order({ qty: '0.000000001' }), T)).toEqual({ ok: false, reason: { kind: 'precision' } });
    expect(ex.submit(acct, order({ qty: '101', price: '100' }), T)).toEqual({ ok: false, reason: { kind: 'insufficient_balance' } });
    expect(ex.submit(acct, order({ side: 'SELL', qty: '11', price: '150' }), T)).toEqual({ ok: false, reason: { kind: 'insufficient_balance' } });
  });

  it('an open order client id cannot be reused; a closed one can', () => {
    const first = ex.submit(acct, order({ clientOrderId: 'same', price: '95' }), T);
    expect(first.ok).toBe(true);
    expect(ex.submit(acct, order({ clientOrderId: 'same', price: '95' }), T)).toEqual({ ok: false, reason: { kind: 'duplicate_order' } });
    ex.cancel(acct, 'COMP/USDT', { clientOrderId: 'same' }, T);
    expect(ex.submit(acct, order({ clientOrderId: 'same', price: '95' }), T).ok).toBe(true);
  });

  it('caps open orders per market', () => {
    for (let i = 0; i < 3; i++) expect(ex.submit(acct, order({ price: '90' }), T).ok).toBe(true);
    expect(ex.submit(acct, order({ price: '90' }), T)).toEqual({ ok: false, reason: { kind: 'filter', filter: 'MAX_NUM_ORDERS' } });
  });
});

describe('fault book: private faults', () => {
  it('arms a kind for `count` uses, takes only the kinds asked for, and clears with the venue', () => {
    const f = new FaultBook();
    f.armPrivate('binanceus', { kind: 'fill_duplicate', delayMs: 0, status: 503 }, 2);
    expect(f.takePrivate('binanceus', ['order_lost_ack'])).toBeUndefined();
    expect(f.takePrivate('kucoin', ['fill_duplicate'])).toBeUndefined();
    expect(f.takePrivate('binanceus', ['fill_duplicate', 'user_stream_drop'])?.kind).toBe('fill_duplicate');
    expect(f.pendingPrivate('binanceus')).toBe(1);
    f.clear('binanceus');
    expect(f.takePrivate('binanceus', ['fill_duplicate'])).toBeUndefined();
    expect(() => f.armPrivate('binanceus', { kind: 'order_timeout', delayMs: 1, status: 503 }, 0)).toThrow('count must be a positive integer');
  });
});

describe('rate limiter', () => {
  it('counts weight per minute window, answers 429 over the limit, then bans with 418', () => {
    const rl = new RateLimiter({ weightPerMinute: 10, ordersPer10s: 2, ordersPerDay: 100, banAfter429s: 2, banMs: 120_000 });
    const t0 = 60_000 * 1000;
    expect(rl.weigh('ip', 10, t0)).toEqual({ ok: true, used: 10 });
    expect(rl.weigh('ip', 1, t0 + 30_000)).toEqual({ ok: false, status: 429, used: 11, retryAfterS: 30 });
    expect(rl.weigh('ip', 1, t0 + 30_000)).toMatchObject({ status: 429 });
    expect(rl.weigh('ip', 1, t0 + 30_000)).toMatchObject({ status: 418, retryAfterS: 120 });
    expect(rl.weigh('ip', 1, t0 + 90_000)).toMatchObject({ status: 418, retryAfterS: 60 });
    expect(rl.weigh('other', 1, t0)).toEqual({ ok: true, used: 1 });
    expect(rl.weigh('ip', 1, t0 + 150_001)).toEqual({ ok: true, used: 1 });
    expect(rl.countOrder('a', t0)).toEqual({ ok: true, count10s: 1, countDay: 1 });
    rl.countOrder('a', t0);
    expect(rl.countOrder('a', t0)).toMatchObject({ ok: false, interval: '10s', limit: 2 });
    expect(rl.countOrder('a', t0 + 10_000)).toMatchObject({ ok: true, count10s: 1, countDay: 3 });
  });
});

describe('Binance request parsing and authentication', () => {
  const parse = (q: string): ReturnType<typeof parseNewOrder> => parseNewOrder(new URLSearchParams(q), 'COMP/USDT', (n) => 'r'.repeat(n));

  it('maps order parameters and their errors as Binance does', () => {
    expect(parse('side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=2&newClientOrderId=abc')).toMatchObject({ req: { side: 'BUY', type: 'LIMIT', qty: '1', price: '2', clientOrderId: 'abc' } });
    expect(parse('side=BUY&type=LIMIT&quantity=1&price=2')).toMatchObject({ body: { code: -1102, msg: "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed." } });
    expect(parse('side=UP&type=LIMIT')).toMatchObject({ body: { code: -1117 } });
    expect(parse('side=BUY&type=FOO')).toMatchObject({ body: { code: -1116 } });
    expect(parse('side=BUY&type=STOP_LOSS_LIMIT')).toMatchObject({ body: { code: -1014 } });
    expect(parse('side=BUY&type=MARKET')).toMatchObject({ body: { code: -1102 } });
    expect(parse('side=BUY&type=MARKET&quantity=1&price=3')).toMatchObject({ body: { code: -1106, msg: "Parameter 'price' sent when not required." } });
    expect(parse('side=BUY&type=MARKET&quantity=1e3')).toMatchObject({ body: { code: -1100 } });
    expect(parse('side=BUY&type=MARKET&quoteOrderQty=10')).toMatchObject({ req: { qty: undefined, quoteQty: '10', clientOrderId: 'r'.repeat(22) } });
  });

  it('verifies the signature over query + body, the key and the timestamp window', () => {
    const rl = new RateLimiter();
    const api = new BinanceUsPrivateApi({ exchange: ex, limiter: rl, symbolOf: (id) => (id === 'COMPUSDT' ? 'COMP/USDT' : undefined), marketIdOf: () => 'COMPUSDT', notionalFilter: 'MIN_NOTIONAL', randomId: (n) => 'x'.repeat(n) });
    const now = T + 10;
    const query = `timestamp=${T}&recvWindow=5000`;
    const req = (rawQuery: string, body: string, apiKey: string | undefined): Parameters<BinanceUsPrivateApi['handle']>[0] => ({ method: 'GET', path: '/api/v3/account', rawQuery, body, apiKey, ip: 'i' });
    expect(api.handle(req(`${query}&signature=${sign('s'.repeat(64), query)}`, '', 'k'.repeat(64)), now).status).toBe(200);
    // Part in the query, part in the body: signed as their concatenation.
    const split = api.handle({ ...req('timestamp=' + String(T), `recvWindow=5000&signature=${sign('s'.repeat(64), `timestamp=${T}recvWindow=5000`)}`, 'k'.repeat(64)) }, now);
    expect(split.status).toBe(200);
    expect(api.handle(req(`${query}&signature=${sign('wrong', query)}`, '', 'k'.repeat(64)), now).body).toEqual({ code: -1022, msg: 'Signature for this request is not valid.' });
    expect(api.handle(req(`${query}&signature=00`, '', 'short'), now)).toMatchObject({ status: 401, body: { code: -2014 } });
    expect(api.handle(req(`${query}&signature=00`, '', 'z'.repeat(64)), now)).toMatchObject({ status: 401, body: { code: -2015 } });
    expect(api.handle(req(`${query}&signature=${sign('s'.repeat(64), query)}`, '', 'k'.repeat(64)), T + 6000).body).toMatchObject({ code: -1021 });
    expect(api.handle(req(`recvWindow=5000&signature=00`, '', 'k'.repeat(64)), now).body).toMatchObject({ code: -1102 });
  });
});

describe('engine options (Coinbase, KuCoin)', () => {
  function withOptions(o: ConstructorParameters<typeof PrivateExchange>[2]): void {
    ex = new PrivateExchange(state, new Map([['COMP/USDT', RULES]]), o);
    acct = ex.createAccount({ apiKey: 'q'.repeat(64), secret: 's'.repeat(64), balances: { USDT: '10000', COMP: '10' } }, T);
  }

  it('feeInQuote: a buy pays its fee in quote out of a reservation that includes it', () => {
    withOptions({ feeInQuote: true });
    const r = ex.submit(acct, order({ qty: '2', price: '102' }), T);
    if (!r.ok) throw new Error(r.reason.kind);
    expect(r.fills.map((f) => [f.commission, f.commissionAsset])).toEqual([
      ['0.0505', 'USDT'],
      ['0.102', 'USDT'],
    ]);
    // 152.5 + 0.1525 fees spent; 0.5 × 102 × 1.001 = 51.051 still reserved; all the COMP received.
    expect(bal('USDT')).toEqual({ free: '9796.2965', locked: '51.051' });
    expect(bal('COMP')).toEqual({ free: '11.5', locked: '0' });
    const c = ex.cancel(acct, 'COMP/USDT', { orderId: r.order.id }, T);
    expect(c.ok).toBe(true);
    expect(bal('USDT')).toEqual({ free: '9847.3475', locked: '0' });
    const sell = ex.submit(acct, order({ side: 'SELL', type: 'MARKET', qty: '1', price: undefined }), T);
    expect(sell.ok && sell.fills.map((f) => [f.commission, f.commissionAsset])).toEqual([['0.099', 'USDT']]);
  });

  it('feeInQuote: a buy whose cost plus fee passes the free quote is refused', () => {
    withOptions({ feeInQuote: true });
    const r = ex.submit(acct, order({ qty: '100', price: '100' }), T);
    expect(r.ok || r.reason).toEqual({ kind: 'insufficient_balance' });
  });

  it("uniqueClientOrderIds 'all': a client id may not repeat even after its order ended; by default only among open orders", () => {
    const ioc = (cid: string) => ex.submit(acct, order({ qty: '0.1', price: '101', timeInForce: 'IOC', clientOrderId: cid }), T);
    expect(ioc('same').ok && ioc('same').ok).toBe(true);
    withOptions({ uniqueClientOrderIds: 'all' });
    const first = ioc('same');
    expect(first.ok).toBe(true);
    expect(ioc('same')).toEqual({ ok: false, reason: { kind: 'duplicate_order' } });
    expect(first.ok && ex.byClientOrderId(acct, 'same')?.id).toBe(first.ok && first.order.id);
    expect(ioc('other').ok).toBe(true);
  });
});

describe('account configuration (VENUE_EMULATOR_ACCOUNTS and the admin body)', () => {
  it('parses a JSON array of accounts and names the bad field without echoing a secret', () => {
    const key = 'K'.repeat(64);
    expect(parseAccountsEnv(JSON.stringify([{ venue: 'binanceus', api_key: key, secret: 'S'.repeat(64), balances: { USDT: '1000', BTC: 0.5 }, maker_fee: '0.0005' }]))).toEqual([
      { venue: 'binanceus', apiKey: key, secret: 'S'.repeat(64), balances: { USDT: '1000', BTC: '0.5' }, makerRate: '0.0005' },
    ]);
    expect(() => parseAccountsEnv('{')).toThrow('must be a JSON array of accounts');
    expect(() => parseAccountsEnv(JSON.stringify([{ venue: 'kucoin', api_key: key, balances: {} }]))).toThrow('account 0: api_key must be 24 lowercase hex digits');
    expect(() => parseAccountsEnv(JSON.stringify([{ venue: 'kraken', balances: {} }]))).toThrow('account 0: venue must be one of');
    expect(() => parseAccountsEnv(JSON.stringify([{ venue: 'binanceus', balances: { usdt: '1' } }]))).toThrow('balances keys must be asset codes');
    expect(() => parseAccountsEnv(JSON.stringify([{ venue: 'binanceus', secret: 'short!', balances: {} }]))).toThrow(/^account 0: secret must be 16 to 128 letters or digits$/);
    const twice = { venue: 'binanceus', api_key: key, balances: {} };
    expect(() => parseAccountsEnv(JSON.stringify([twice, twice]))).toThrow('two accounts have the same api_key');
    expect(parseAccount({ balances: { USDT: '5' } }, 'binanceus')).toEqual({ venue: 'binanceus', balances: { USDT: '5' } });
    expect(() => parseAccount({ balances: {}, colour: 'red' }, 'binanceus')).toThrow('unknown field colour');
  });
});

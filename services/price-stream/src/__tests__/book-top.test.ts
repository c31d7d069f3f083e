import { parseBookTopMessage } from '@cte/shared';
import { BookTopConflator, bookTopOf, sameTop, toBookTopMessage } from '../engine/book-top';

const book = (bids: unknown[], asks: unknown[]): object => ({ bids, asks, nonce: 5 });

describe('bookTopOf', () => {
  it('takes the first level of each side', () => {
    expect(bookTopOf(book([[100.5, 2], [100, 7]], [[101, 0.25], [102, 1]]))).toEqual({ ok: true, top: { bid: 100.5, bidQty: 2, ask: 101, askQty: 0.25 } });
  });

  it.each<[string, unknown, string]>([
    ['no bids', book([], [[101, 1]]), 'empty'],
    ['no asks', book([[100, 1]], []), 'empty'],
    ['bid above ask', book([[102, 1]], [[101, 1]]), 'crossed'],
    ['bid equal to ask', book([[101, 1]], [[101, 1]]), 'crossed'],
    ['a NaN price', book([[NaN, 1]], [[101, 1]]), 'malformed'],
    ['a zero size', book([[100, 0]], [[101, 1]]), 'malformed'],
    ['an infinite size', book([[100, 1]], [[101, Infinity]]), 'malformed'],
    ['a level that is not a pair', book([100], [[101, 1]]), 'malformed'],
    ['no sides at all', {}, 'malformed'],
    ['not a book', 'book', 'malformed'],
  ])('rejects %s', (_what, b, reason) => {
    expect(bookTopOf(b)).toEqual({ ok: false, reason });
  });
});

describe('toBookTopMessage', () => {
  it('writes plain decimal strings that the channel contract accepts', () => {
    const msg = toBookTopMessage('kucoin', 'DAPPT/BTC', { bid: 1e-7, bidQty: 123456.5, ask: 1.1e-7, askQty: 3 }, 1_700_000_000_000, 42);
    expect(msg).toEqual({ exchange: 'kucoin', symbol: 'DAPPT/BTC', bid: '0.0000001', bid_qty: '123456.5', ask: '0.00000011', ask_qty: '3', ts: 1_700_000_000_000, seq: 42 });
    expect(parseBookTopMessage(msg)).toEqual(msg);
    expect('seq' in toBookTopMessage('coinbase', 'SKL/USD', { bid: 1, bidQty: 1, ask: 2, askQty: 1 }, 1, undefined)).toBe(false);
  });
});

describe('sameTop', () => {
  it('compares prices and sizes of both sides', () => {
    const a = { bid: 1, bidQty: 2, ask: 3, askQty: 4 };
    expect(sameTop(a, { ...a })).toBe(true);
    for (const k of ['bid', 'bidQty', 'ask', 'askQty'] as const) expect(sameTop(a, { ...a, [k]: a[k] + 0.5 })).toBe(false);
  });
});

describe('BookTopConflator', () => {
  const top = (exchange: string, symbol: string, bid: string): ReturnType<typeof toBookTopMessage> => ({ exchange, symbol, bid, bid_qty: '1', ask: '9', ask_qty: '1', ts: 1 });

  it('keeps the latest top per (exchange, symbol) between drains', () => {
    const c = new BookTopConflator();
    c.add(top('binanceus', 'BTC/USD', '1'));
    c.add(top('coinbase', 'BTC/USD', '2'));
    c.add(top('binanceus', 'BTC/USD', '3'));
    expect(c.size).toBe(2);
    expect(c.drain().map((m) => `${m.exchange}:${m.bid}`)).toEqual(['binanceus:3', 'coinbase:2']);
    expect(c.drain()).toEqual([]);
    expect(c.stats()).toEqual({ received: 3, conflated: 1, discarded: 0 });
  });

  it('drops the pending top of a book found inconsistent', () => {
    const c = new BookTopConflator();
    c.add(top('kucoin', 'DAPPT/BTC', '1'));
    c.add(top('kucoin', 'SNX/BTC', '2'));
    c.discard('kucoin', 'DAPPT/BTC');
    c.discard('kucoin', 'DAPPT/BTC');
    expect(c.drain().map((m) => m.symbol)).toEqual(['SNX/BTC']);
    expect(c.stats().discarded).toBe(1);
  });
});

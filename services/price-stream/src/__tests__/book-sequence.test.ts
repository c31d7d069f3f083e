/**
 * Gap detection from raw venue frames (engine/book-sequence), per venue, with frames shaped as the
 * venues (and the emulator) send them.
 */
import { bookBehindStream, BookSequenceTracker, readBookSequence } from '../engine/book-sequence';

const binance = (s: string, U: number, u: number): object => ({ e: 'depthUpdate', E: 1_700_000_000_000, s, U, u, b: [['1.0', '2']], a: [] });
const kucoin = (symbol: string, start: number, end: number): object => ({
  type: 'message',
  topic: `/market/level2:${symbol}`,
  subject: 'trade.l2update',
  data: { sequenceStart: start, symbol, changes: { asks: [], bids: [['1.0', '2', String(start)]] }, sequenceEnd: end },
});
const coinbase = (n: number, channel = 'l2_data'): object => ({ channel, client_id: '', timestamp: '2024-01-01T00:00:00.000000Z', sequence_num: n, events: [] });

describe('readBookSequence', () => {
  it('reads Binance depthUpdate U/u, raw or inside a combined-stream envelope', () => {
    expect(readBookSequence('binanceus', binance('OMGBUSD', 11, 14))).toEqual({ scope: 'market', market: 'OMGBUSD', first: 11, last: 14 });
    expect(readBookSequence('binanceus', { stream: 'omgbusd@depth@100ms', data: binance('OMGBUSD', 15, 15) })).toEqual({ scope: 'market', market: 'OMGBUSD', first: 15, last: 15 });
  });

  it('reads KuCoin l2update sequenceStart/End by the market id', () => {
    expect(readBookSequence('kucoin', kucoin('DAPPT-BTC', 100, 103))).toEqual({ scope: 'market', market: 'DAPPT-BTC', first: 100, last: 103 });
  });

  it("reads Coinbase's per-connection sequence_num on every channel", () => {
    expect(readBookSequence('coinbase', coinbase(7))).toEqual({ scope: 'connection', first: 7, last: 7 });
    expect(readBookSequence('coinbase', coinbase(8, 'market_trades'))).toEqual({ scope: 'connection', first: 8, last: 8 });
  });

  it.each<[string, Parameters<typeof readBookSequence>[0], unknown]>([
    ['a Binance trade', 'binanceus', { e: 'aggTrade', s: 'OMGBUSD', a: 5 }],
    ['a Binance subscribe ack', 'binanceus', { result: null, id: 1 }],
    ['Binance numbers as strings (a malformed frame)', 'binanceus', { e: 'depthUpdate', s: 'OMGBUSD', U: '1', u: '2' }],
    ['Binance U after u', 'binanceus', binance('OMGBUSD', 5, 4)],
    ['Binance NaN', 'binanceus', binance('OMGBUSD', NaN, 4)],
    ['Binance without symbol', 'binanceus', { e: 'depthUpdate', U: 1, u: 2 }],
    ['a KuCoin match', 'kucoin', { type: 'message', subject: 'trade.l3match', topic: '/market/match:DAPPT-BTC', data: { sequence: '5' } }],
    ['a KuCoin welcome', 'kucoin', { id: 'x', type: 'welcome' }],
    ['KuCoin negative sequence', 'kucoin', kucoin('DAPPT-BTC', -3, 2)],
    ['a Coinbase error', 'coinbase', { type: 'error', message: 'nope' }],
    ['Coinbase fractional sequence_num', 'coinbase', coinbase(1.5)],
    ['an array', 'coinbase', [coinbase(1)]],
    ['null', 'kucoin', null],
  ])('ignores %s', (_what, venue, frame) => {
    expect(readBookSequence(venue, frame)).toBeUndefined();
  });
});

describe('BookSequenceTracker', () => {
  const conn = {};

  it('Binance: contiguous U = previous u + 1 passes; a jump is a gap of that market only', () => {
    const t = new BookSequenceTracker('binanceus');
    expect(t.observe(conn, binance('OMGBUSD', 10, 12))).toBeUndefined();
    expect(t.observe(conn, binance('OMGBUSD', 13, 13))).toBeUndefined();
    expect(t.observe(conn, binance('ZRXUSDT', 500, 501))).toBeUndefined();
    expect(t.observe(conn, binance('OMGBUSD', 17, 20))).toEqual({ venue: 'binanceus', market: 'OMGBUSD', expected: 14, got: 17 });
    // Counting goes on from the frame after the gap.
    expect(t.observe(conn, binance('OMGBUSD', 21, 21))).toBeUndefined();
    expect(t.observe(conn, binance('ZRXUSDT', 502, 502))).toBeUndefined();
    expect(t.lastSeen('OMGBUSD')).toBe(21);
    expect(t.lastSeen('ZRXUSDT')).toBe(502);
  });

  it('KuCoin: sequenceStart must be the previous sequenceEnd + 1', () => {
    const t = new BookSequenceTracker('kucoin');
    expect(t.observe(conn, kucoin('DAPPT-BTC', 100, 103))).toBeUndefined();
    expect(t.observe(conn, kucoin('DAPPT-BTC', 104, 104))).toBeUndefined();
    expect(t.observe(conn, kucoin('DAPPT-BTC', 115, 116))).toEqual({ venue: 'kucoin', market: 'DAPPT-BTC', expected: 105, got: 115 });
    expect(t.lastSeen('DAPPT-BTC')).toBe(116);
  });

  it('Coinbase: a jump of sequence_num is a gap of the whole connection, whatever the channel', () => {
    const t = new BookSequenceTracker('coinbase');
    expect(t.observe(conn, coinbase(0, 'subscriptions'))).toBeUndefined();
    expect(t.observe(conn, coinbase(1))).toBeUndefined();
    expect(t.observe(conn, coinbase(2, 'market_trades'))).toBeUndefined();
    expect(t.observe(conn, coinbase(7, 'market_trades'))).toEqual({ venue: 'coinbase', market: undefined, expected: 3, got: 7 });
    expect(t.observe(conn, coinbase(8))).toBeUndefined();
    // No book sequence per market on Coinbase.
    expect(t.lastSeen('SKL-USD')).toBeUndefined();
  });

  it('a new connection starts its own count: no gap across a reconnect', () => {
    const t = new BookSequenceTracker('coinbase');
    const first = {};
    const second = {};
    t.observe(first, coinbase(0));
    t.observe(first, coinbase(1));
    expect(t.observe(second, coinbase(0))).toBeUndefined();
    expect(t.observe(second, coinbase(1))).toBeUndefined();
    // ...but each connection is still checked.
    expect(t.observe(second, coinbase(3))).toEqual({ venue: 'coinbase', market: undefined, expected: 2, got: 3 });
    const b = new BookSequenceTracker('binanceus');
    b.observe(first, binance('OMGBUSD', 1, 5));
    expect(b.observe(second, binance('OMGBUSD', 40, 41))).toBeUndefined();
    expect(b.lastSeen('OMGBUSD')).toBe(41);
  });

  it('a duplicate or older frame is not a gap and does not move the count back', () => {
    const t = new BookSequenceTracker('kucoin');
    t.observe(conn, kucoin('DAPPT-BTC', 100, 105));
    expect(t.observe(conn, kucoin('DAPPT-BTC', 100, 105))).toBeUndefined();
    expect(t.observe(conn, kucoin('DAPPT-BTC', 90, 99))).toBeUndefined();
    expect(t.lastSeen('DAPPT-BTC')).toBe(105);
    // Overlapping the last frame is not a gap either; counting continues from its end.
    expect(t.observe(conn, kucoin('DAPPT-BTC', 104, 108))).toBeUndefined();
    expect(t.observe(conn, kucoin('DAPPT-BTC', 110, 110))).toEqual({ venue: 'kucoin', market: 'DAPPT-BTC', expected: 109, got: 110 });
  });

  it('frames without book numbers (trades, malformed ones) never count', () => {
    const t = new BookSequenceTracker('binanceus');
    t.observe(conn, binance('OMGBUSD', 1, 1));
    expect(t.observe(conn, { e: 'depthUpdate', s: 'OMGBUSD', U: '9', u: '9' })).toBeUndefined();
    expect(t.observe(conn, binance('OMGBUSD', 2, 2))).toBeUndefined();
  });
});

describe('bookBehindStream', () => {
  it('is true only when the book sequence is below the last one seen on the wire', () => {
    expect(bookBehindStream(20, 21)).toBe(true);
    expect(bookBehindStream(21, 21)).toBe(false);
    // A REST snapshot newer than every buffered delta.
    expect(bookBehindStream(30, 21)).toBe(false);
    // Coinbase books carry no nonce; nothing seen yet.
    expect(bookBehindStream(undefined, 21)).toBe(false);
    expect(bookBehindStream(20, undefined)).toBe(false);
    expect(bookBehindStream(NaN, 21)).toBe(false);
  });
});

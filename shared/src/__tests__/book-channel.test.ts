import { BOOK_TOP_TYPE, bookChannel, InvalidArgumentError, parseBookTopMessage, tickChannel, type BookTopMessage } from '../index';

const valid: BookTopMessage = {
  exchange: 'binanceus',
  symbol: 'BTC/USD',
  bid: '64000.12',
  bid_qty: '0.5',
  ask: '64000.13',
  ask_qty: '1.25',
  ts: 1_700_000_000_000,
  seq: 123_456,
};

describe('bookChannel', () => {
  it('names the channel by symbol like the tick channel', () => {
    expect(bookChannel('BTC/USD')).toBe('data.book.BTC-USD');
    expect(bookChannel('XRP/ETH')).toBe('data.book.XRP-ETH');
    expect(tickChannel('BTC/USD')).toBe('data.ticks.BTC-USD');
    expect(BOOK_TOP_TYPE).toBe('book_top');
  });
});

describe('parseBookTopMessage', () => {
  it('accepts a top as price-stream publishes it, with and without a sequence', () => {
    expect(parseBookTopMessage(valid)).toEqual(valid);
    const { seq: _seq, ...noSeq } = valid;
    expect(parseBookTopMessage(noSeq)).toEqual(noSeq);
    expect(parseBookTopMessage({ ...noSeq, seq: null })).toEqual(noSeq);
  });

  it('normalises the symbol and drops unknown fields', () => {
    expect(parseBookTopMessage({ ...valid, symbol: 'btc-usd', extra: 1 })).toEqual(valid);
  });

  it('accepts tiny and huge prices written without exponent', () => {
    const m = { ...valid, bid: '0.00000001', ask: '0.000000011', bid_qty: '123456789012.5', ask_qty: '0.1' };
    expect(parseBookTopMessage(m)).toEqual(m);
  });

  it('compares bid and ask exactly, beyond float precision', () => {
    expect(() => parseBookTopMessage({ ...valid, bid: '1.00000000000000000001', ask: '1.00000000000000000002' })).not.toThrow();
    expect(() => parseBookTopMessage({ ...valid, bid: '1.00000000000000000002', ask: '1.00000000000000000001' })).toThrow(/crossed/);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'top', /must be an object/],
    ['an array', [valid], /must be an object/],
    ['null', null, /must be an object/],
    ['exchange missing', { ...valid, exchange: undefined }, /book_top\.exchange is invalid/],
    ['exchange upper case', { ...valid, exchange: 'Kucoin' }, /book_top\.exchange/],
    ['symbol invalid', { ...valid, symbol: 'BTCUSD' }, /invalid symbol/],
    ['bid as a number', { ...valid, bid: 64000.12 }, /book_top\.bid must be a decimal string/],
    ['bid zero', { ...valid, bid: '0' }, /book_top\.bid must be a decimal string > 0/],
    ['bid negative', { ...valid, bid: '-1' }, /book_top\.bid /],
    ['bid in exponent form', { ...valid, bid: '1e-8' }, /book_top\.bid /],
    ['bid with leading zeros', { ...valid, bid: '007' }, /book_top\.bid /],
    ['ask NaN', { ...valid, ask: 'NaN' }, /book_top\.ask /],
    ['bid size empty', { ...valid, bid_qty: '' }, /book_top\.bid_qty /],
    ['ask size zero', { ...valid, ask_qty: '0.000' }, /book_top\.ask_qty /],
    ['ts missing', { ...valid, ts: undefined }, /book_top\.ts/],
    ['ts fractional', { ...valid, ts: 1.5 }, /book_top\.ts/],
    ['ts as a string', { ...valid, ts: '1700000000000' }, /book_top\.ts/],
    ['seq negative', { ...valid, seq: -1 }, /book_top\.seq/],
    ['seq as a string', { ...valid, seq: '5' }, /book_top\.seq/],
    ['crossed', { ...valid, bid: '64000.14' }, /book_top is crossed: bid 64000.14 >= ask 64000.13/],
    ['locked (bid = ask)', { ...valid, bid: '64000.13' }, /crossed/],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => parseBookTopMessage(raw)).toThrow(InvalidArgumentError);
    expect(() => parseBookTopMessage(raw)).toThrow(message);
  });
});

import { FEED_CHANNELS, InvalidArgumentError, parseFeedStatusMessage, type FeedStatusMessage } from '../index';

const valid: FeedStatusMessage = {
  exchange: 'coinbase',
  symbol: 'BTC/USD',
  stale: true,
  last_message_ms: 1_700_000_000_000,
  age_ms: 90_000,
  threshold_ms: 60_000,
  interval_ms: 5_000,
  ts: 1_700_000_090_000,
};

describe('parseFeedStatusMessage', () => {
  it('accepts a status as price-stream publishes it, and one before the first trade', () => {
    expect(FEED_CHANNELS.status).toBe('data.feeds');
    expect(parseFeedStatusMessage(valid)).toEqual(valid);
    const fresh = { ...valid, stale: false, last_message_ms: null, age_ms: 10 };
    expect(parseFeedStatusMessage(fresh)).toEqual(fresh);
  });

  it('normalises the symbol to the unified form and drops unknown fields', () => {
    expect(parseFeedStatusMessage({ ...valid, symbol: 'btc-usd', extra: 'x' })).toEqual(valid);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'stale', /must be an object/],
    ['an array', [valid], /must be an object/],
    ['null', null, /must be an object/],
    ['exchange missing', { ...valid, exchange: undefined }, /feed_status\.exchange is invalid/],
    ['exchange with upper case', { ...valid, exchange: 'Coinbase' }, /feed_status\.exchange/],
    ['symbol invalid', { ...valid, symbol: 'BTCUSD' }, /invalid symbol/],
    ['stale as a string', { ...valid, stale: 'true' }, /feed_status\.stale must be a boolean/],
    ['age negative', { ...valid, age_ms: -1 }, /feed_status\.age_ms/],
    ['age NaN', { ...valid, age_ms: NaN }, /feed_status\.age_ms/],
    ['age fractional', { ...valid, age_ms: 1.5 }, /feed_status\.age_ms/],
    ['threshold zero', { ...valid, threshold_ms: 0 }, /feed_status\.threshold_ms/],
    ['interval over a day', { ...valid, interval_ms: 86_400_001 }, /feed_status\.interval_ms/],
    ['ts missing', { ...valid, ts: undefined }, /feed_status\.ts/],
    ['last message as a string', { ...valid, last_message_ms: '1700000000000' }, /feed_status\.last_message_ms/],
    ['last message after ts', { ...valid, last_message_ms: valid.ts + 1 }, /last_message_ms is after ts/],
    ['stale within the threshold', { ...valid, age_ms: 60_000 }, /stale is true but age_ms 60000 is within/],
    ['live over the threshold', { ...valid, stale: false }, /stale is false but age_ms 90000 is over/],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => parseFeedStatusMessage(raw)).toThrow(InvalidArgumentError);
    expect(() => parseFeedStatusMessage(raw)).toThrow(message);
  });
});

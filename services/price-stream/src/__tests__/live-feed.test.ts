import { checkVenueTrade, describeStaleFeeds, FeedHealth, reconnectDelayMs, TradeIdWindow } from '../engine/live-feed';
import { rebaseUrls } from '../adapters/sources/ccxt-source';

const NOW = Date.UTC(2026, 0, 1);
const FEED = { exchange: 'binanceus', venueSymbol: 'BTC/USDT', symbol: 'BTC/USD' };
const GOOD = { id: '42', symbol: 'BTC/USDT', timestamp: NOW - 1000, price: 50_000.5, amount: 0.01, side: 'buy' };

describe('checkVenueTrade', () => {
  it('turns a ccxt trade into a tick under the fleet symbol', () => {
    expect(checkVenueTrade(GOOD, FEED, NOW)).toEqual({
      ok: true,
      tick: { exchange: 'binanceus', symbol: 'BTC/USD', ts: NOW - 1000, price: 50_000.5, qty: 0.01, side: 'buy', tradeId: '42' },
    });
    const noSide = checkVenueTrade({ ...GOOD, side: undefined }, FEED, NOW);
    expect(noSide.ok && noSide.tick.side).toBe(undefined);
  });

  it.each([
    ['not_object', 'malformed', null],
    ['not_object', 'malformed', 'a string'],
    ['symbol', 'malformed', { ...GOOD, symbol: 'ETH/USDT' }],
    ['id', 'malformed', { ...GOOD, id: undefined }],
    ['id', 'malformed', { ...GOOD, id: 42 }],
    ['id', 'malformed', { ...GOOD, id: 'x'.repeat(129) }],
    ['timestamp', 'malformed', { ...GOOD, timestamp: undefined }],
    ['timestamp', 'malformed', { ...GOOD, timestamp: 1.5e12 + 0.5 }],
    ['timestamp', 'out_of_range', { ...GOOD, timestamp: 1000 }],
    ['timestamp', 'out_of_range', { ...GOOD, timestamp: NOW + 6 * 60_000 }],
    ['price', 'malformed', { ...GOOD, price: Number.NaN }],
    ['price', 'malformed', { ...GOOD, price: '50000' }],
    ['price', 'malformed', { ...GOOD, price: Number.POSITIVE_INFINITY }],
    ['price', 'out_of_range', { ...GOOD, price: 0 }],
    ['price', 'out_of_range', { ...GOOD, price: -1 }],
    ['price', 'out_of_range', { ...GOOD, price: 1e16 }],
    ['amount', 'malformed', { ...GOOD, amount: undefined }],
    ['amount', 'out_of_range', { ...GOOD, amount: 0 }],
    ['amount', 'out_of_range', { ...GOOD, amount: -0.5 }],
    ['side', 'malformed', { ...GOOD, side: 'BUY' }],
  ])('rejects %s (%s): %j', (reason, kind, raw) => {
    expect(checkVenueTrade(raw, FEED, NOW)).toEqual({ ok: false, reason, kind });
  });
});

describe('TradeIdWindow', () => {
  it('drops an id seen before and forgets the oldest beyond its capacity', () => {
    const w = new TradeIdWindow(3);
    expect(['a', 'b', 'a', 'c', 'd'].map((id) => w.offer(id))).toEqual([true, true, false, true, true]);
    expect(w.size).toBe(3);
    expect(w.offer('a')).toBe(true); // evicted, so new again
    expect(w.offer('d')).toBe(false);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from base, stays within [ceiling/2, ceiling], and is capped', () => {
    expect([0, 1, 2, 3].map((a) => reconnectDelayMs(a, 100, 1000, 1))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((a) => reconnectDelayMs(a, 100, 1000, 0))).toEqual([50, 100, 200, 400]);
    expect(reconnectDelayMs(10, 100, 1000, 1)).toBe(1000);
    expect(reconnectDelayMs(1e6, 100, 1000, 0.5)).toBe(750);
    expect(reconnectDelayMs(2, 100, 1000, 0.5)).toBe(300);
  });
});

describe('feed staleness', () => {
  it('is measured from the last accepted trade, or from start before the first', () => {
    const a = new FeedHealth('coinbase', 'BTC/USD', 'BTC/USD', 0);
    const b = new FeedHealth('kucoin', 'ETH/USD', 'ETH/USDT', 0);
    b.lastMessageMs = 900;
    expect(describeStaleFeeds([a, b], 1000, 500)).toEqual({ stale: [a], text: 'stale: coinbase BTC/USD (1 s); 1 of 2 live' });
    b.lastMessageMs = 100;
    expect(describeStaleFeeds([a, b], 1000, 500).stale).toEqual([a, b]);
    a.lastMessageMs = 990;
    b.lastMessageMs = 990;
    expect(describeStaleFeeds([a, b], 1000, 500)).toEqual({ stale: [], text: '2 feeds live' });
  });
});

describe('rebaseUrls', () => {
  it('replaces every origin, keeping paths; ws follows http and wss follows https', () => {
    const api = { public: 'https://api.binance.us/api/v3', ws: { spot: 'wss://stream.binance.us:9443/ws' }, list: ['https://a.example/x'] };
    expect(rebaseUrls(api, new URL('http://127.0.0.1:8031'))).toEqual({ public: 'http://127.0.0.1:8031/api/v3', ws: { spot: 'ws://127.0.0.1:8031/ws' }, list: ['http://127.0.0.1:8031/x'] });
    expect(rebaseUrls(api, new URL('https://proxy.example:8443'))).toEqual({ public: 'https://proxy.example:8443/api/v3', ws: { spot: 'wss://proxy.example:8443/ws' }, list: ['https://proxy.example:8443/x'] });
  });
});

import { MarketDataEngine } from '../engine/market-data-engine';

const tick = (ts: number, price: number, symbol = 'BTC/USDT') => ({ exchange: 'binance', symbol, ts, price, qty: 1 });

describe('MarketDataEngine', () => {
  it('keeps the latest price by tick time, closes bars and fires monitors in one pass', () => {
    const e = new MarketDataEngine(['1m']);
    e.monitors.add({ id: 'm1', symbol: 'BTC/USDT', thresholdPct: 1, windowMs: 60_000 });
    const t0 = Date.UTC(2024, 0, 1);
    expect(e.onTick(tick(t0, 100)).bars).toHaveLength(0);
    expect(e.onTick(tick(t0 + 1000, 101.5)).alerts).toEqual([expect.objectContaining({ monitorId: 'm1', direction: 'up' })]);
    e.onTick(tick(t0 + 500, 99)); // late: does not replace the latest price
    expect(e.latestPrice('BTC/USDT')).toMatchObject({ price: 101.5, ts: t0 + 1000 });
    const { bars } = e.onTick(tick(t0 + 60_000, 102));
    // The late tick still counts in its bar (low), but the close follows tick time.
    expect(bars).toEqual([expect.objectContaining({ openTime: t0, open: 100, high: 101.5, low: 99, close: 101.5, trades: 3, timeframe: '1m' })]);
    expect(e.conflator.drain().map((t) => t.price)).toEqual([102]);
    expect(e.symbols()).toEqual(['BTC/USDT']);
  });
});

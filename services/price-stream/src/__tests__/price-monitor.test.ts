import type { Tick } from '@cte/shared';
import { ConflictError, InvalidArgumentError, TradableSymbols } from '@cte/shared';
import { MonotonicDeque } from '../engine/monotonic-deque';
import { MAX_WINDOW_MS, MonitorEngine, validateMonitorInput } from '../engine/price-monitor';

const S = 1_000;
const tick = (ts: number, price: number, symbol = 'BTC/USDT', exchange = 'binance'): Tick => ({ exchange, symbol, ts, price, qty: 0 });

function engineWith(thresholdPct: number, windowMs: number, extra: { exchange?: string } = {}): MonitorEngine {
  const engine = new MonitorEngine();
  engine.add({ id: 'm1', symbol: 'BTC/USDT', thresholdPct, windowMs, ...extra });
  return engine;
}

describe('MonitorEngine', () => {
  it('fires on an up-move of more than the threshold versus the window minimum', () => {
    const engine = engineWith(2, 60 * S);
    expect(engine.onTick(tick(0, 100))).toEqual([]);
    expect(engine.onTick(tick(10 * S, 99))).toEqual([]);
    expect(engine.onTick(tick(20 * S, 100.9))).toEqual([]); // +1.92% vs 99
    const [alert, ...rest] = engine.onTick(tick(30 * S, 101.5)); // +2.53% vs 99
    expect(rest).toEqual([]);
    expect(alert).toEqual({
      monitorId: 'm1', symbol: 'BTC/USDT', exchange: 'binance', direction: 'up',
      changePct: expect.closeTo(((101.5 - 99) / 99) * 100, 10), referencePrice: 99, price: 101.5, windowMs: 60 * S, ts: 30 * S,
    });
  });

  it('fires on a down-move versus the window maximum, with a negative change', () => {
    const engine = engineWith(5, 60 * S);
    engine.onTick(tick(0, 100));
    engine.onTick(tick(1 * S, 110));
    expect(engine.onTick(tick(2 * S, 105))).toEqual([]); // -4.5%
    const [alert] = engine.onTick(tick(3 * S, 104)); // -5.45%
    expect(alert).toMatchObject({ direction: 'down', referencePrice: 110, price: 104 });
    expect(alert!.changePct).toBeCloseTo(-((110 - 104) / 110) * 100, 10);
  });

  it('does not fire at or below the threshold', () => {
    const engine = engineWith(10, 60 * S);
    const prices = [100, 105, 109, 100, 99, 104.5, 108]; // at most -9.2% from 109, +9.1% from 99
    prices.forEach((p, i) => expect(engine.onTick(tick(i * S, p))).toEqual([]));
    expect(engine.onTick(tick(10 * S, 100))).toEqual([]);
    // Exactly +10% from 100 is not "more than".
    const exact = engineWith(10, 60 * S);
    exact.onTick(tick(0, 100));
    expect(exact.onTick(tick(1 * S, 110))).toEqual([]);
  });

  it('forgets prices that left the window', () => {
    const engine = engineWith(5, 10 * S);
    engine.onTick(tick(0, 100));
    engine.onTick(tick(5 * S, 103));
    // At t=10.001s the 100 left the window (older than now - 10s); the minimum is 103.
    expect(engine.onTick(tick(10 * S + 1, 106))).toEqual([]); // +2.9% vs 103
    // At t=10s exactly the first tick would still count: inclusive window.
    const inclusive = engineWith(5, 10 * S);
    inclusive.onTick(tick(0, 100));
    expect(inclusive.onTick(tick(10 * S, 106))).toHaveLength(1);
  });

  it('debounces: after firing the window restarts from the firing tick', () => {
    const engine = engineWith(1, 60 * S);
    engine.onTick(tick(0, 100));
    expect(engine.onTick(tick(1 * S, 102))).toHaveLength(1);
    expect(engine.onTick(tick(2 * S, 102.5))).toEqual([]); // +0.49% vs the restart at 102
    expect(engine.onTick(tick(3 * S, 102.9))).toEqual([]);
    const [again] = engine.onTick(tick(4 * S, 103.1)); // +1.08% vs 102
    expect(again).toMatchObject({ direction: 'up', referencePrice: 102 });
    // A steady climb fires once per threshold step, not on every tick.
    let alerts = 0;
    for (let i = 0; i < 100; i++) alerts += engine.onTick(tick((10 + i) * S, 103.1 * (1 + 0.001 * (i + 1)))).length;
    expect(alerts).toBe(9);
  });

  it('tracks the window extremes over long random walks like a brute force', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const windowMs = 30 * S;
    const threshold = 0.8;
    const engine = engineWith(threshold, windowMs);
    const history: Array<[number, number]> = [];
    let price = 100;
    let ts = 0;
    let fired = 0;
    for (let i = 0; i < 5_000; i++) {
      ts += Math.floor(rand() * 2 * S);
      price *= 1 + (rand() - 0.5) * 0.004;
      const inWindow = history.filter(([t]) => t >= ts - windowMs).map(([, p]) => p);
      const min = Math.min(...inWindow);
      const max = Math.max(...inWindow);
      const expected = inWindow.length > 0 && (((price - min) * 100) / min > threshold || ((max - price) * 100) / max > threshold);
      const alerts = engine.onTick(tick(ts, price));
      expect(alerts.length > 0).toBe(expected);
      if (expected) {
        fired++;
        history.length = 0;
      }
      history.push([ts, price]);
    }
    expect(fired).toBeGreaterThan(10);
  });

  it('only sees ticks of its symbol (and exchange, when set); ignores stale ticks', () => {
    const engine = engineWith(1, 60 * S, { exchange: 'coinbase' });
    engine.onTick(tick(0, 100, 'BTC/USDT', 'coinbase'));
    expect(engine.onTick(tick(1 * S, 200, 'BTC/USDT', 'binance'))).toEqual([]);
    expect(engine.onTick(tick(1 * S, 200, 'ETH/USDT', 'coinbase'))).toEqual([]);
    engine.onTick(tick(5 * S, 100, 'BTC/USDT', 'coinbase'));
    expect(engine.onTick(tick(4 * S, 150, 'BTC/USDT', 'coinbase'))).toEqual([]); // older than the last tick seen
    expect(engine.onTick(tick(6 * S, 102, 'BTC/USDT', 'coinbase'))).toHaveLength(1);
  });

  it('adds, lists, gets and removes monitors', () => {
    const engine = new MonitorEngine();
    engine.add({ id: 'a', symbol: 'BTC/USDT', thresholdPct: 1, windowMs: 60 * S });
    engine.add({ id: 'b', symbol: 'ETH/USDT', thresholdPct: 2, windowMs: 60 * S });
    engine.add({ id: 'c', symbol: 'BTC/USDT', thresholdPct: 3, windowMs: 60 * S });
    expect(() => engine.add({ id: 'a', symbol: 'BTC/USDT', thresholdPct: 1, windowMs: 60 * S })).toThrow(ConflictError);
    expect(engine.size).toBe(3);
    expect(engine.list().map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(engine.list('BTC/USDT').map((m) => m.id)).toEqual(['a', 'c']);
    expect(engine.get('b')).toEqual({ id: 'b', symbol: 'ETH/USDT', thresholdPct: 2, windowMs: 60 * S });
    expect(engine.remove('a')).toBe(true);
    expect(engine.remove('a')).toBe(false);
    expect(engine.has('a')).toBe(false);
    expect(engine.list('BTC/USDT').map((m) => m.id)).toEqual(['c']);
    engine.remove('c');
    expect(engine.list('BTC/USDT')).toEqual([]);
    expect(engine.onTick(tick(0, 1))).toEqual([]);
  });

  it('fires every monitor of a symbol independently', () => {
    const engine = new MonitorEngine();
    engine.add({ id: 'tight', symbol: 'BTC/USDT', thresholdPct: 1, windowMs: 60 * S });
    engine.add({ id: 'loose', symbol: 'BTC/USDT', thresholdPct: 3, windowMs: 60 * S });
    engine.onTick(tick(0, 100));
    expect(engine.onTick(tick(1 * S, 102)).map((a) => a.monitorId)).toEqual(['tight']);
    expect(engine.onTick(tick(2 * S, 104)).map((a) => a.monitorId)).toEqual(['tight', 'loose']);
  });
});

describe('validateMonitorInput', () => {
  const valid = { id: 'btc-5pct', symbol: 'btc-usdt', thresholdPct: 5, windowMs: 300_000 };

  it('normalises a valid monitor', () => {
    expect(validateMonitorInput(valid)).toEqual({ id: 'btc-5pct', symbol: 'BTC/USDT', thresholdPct: 5, windowMs: 300_000 });
    expect(validateMonitorInput({ ...valid, thresholdPct: '2.5', windowMs: '1000', exchange: 'Binance' })).toEqual({
      id: 'btc-5pct', symbol: 'BTC/USDT', thresholdPct: 2.5, windowMs: 1000, exchange: 'binance',
    });
    expect(validateMonitorInput({ ...valid, windowMs: MAX_WINDOW_MS }).windowMs).toBe(7 * 24 * 3600 * 1000);
  });

  it.each<[string, unknown]>([
    ['not an object', 'BTC/USDT'],
    ['null', null],
    ['an array', [valid]],
    ['missing id', { ...valid, id: undefined }],
    ['an empty id', { ...valid, id: '' }],
    ['an id with spaces', { ...valid, id: 'a b' }],
    ['a malformed symbol', { ...valid, symbol: 'BTCUSDT!' }],
    ['a missing symbol', { ...valid, symbol: undefined }],
    ['a numeric symbol', { ...valid, symbol: 42 }],
    ['a zero threshold', { ...valid, thresholdPct: 0 }],
    ['a negative threshold', { ...valid, thresholdPct: -1 }],
    ['a NaN threshold', { ...valid, thresholdPct: Number.NaN }],
    ['an infinite threshold', { ...valid, thresholdPct: Infinity }],
    ['a huge threshold', { ...valid, thresholdPct: 1e6 }],
    ['a non-numeric threshold', { ...valid, thresholdPct: 'five' }],
    ['a boolean threshold', { ...valid, thresholdPct: true }],
    ['a window under 1s', { ...valid, windowMs: 999 }],
    ['a window over 7d', { ...valid, windowMs: MAX_WINDOW_MS + 1 }],
    ['a fractional window', { ...valid, windowMs: 1500.5 }],
    ['a negative window', { ...valid, windowMs: -60_000 }],
    ['a NaN window', { ...valid, windowMs: Number.NaN }],
    ['a window as words', { ...valid, windowMs: '5 minutes' }],
    ['a bad exchange', { ...valid, exchange: 'bin ance' }],
  ])('rejects %s', (_label, raw) => {
    expect(() => validateMonitorInput(raw)).toThrow(InvalidArgumentError);
  });

  it('rejects untradable symbols naming them, and tradable ones this price-stream does not follow', () => {
    const tradable = new TradableSymbols(['BTC/USDT', 'ETH/USDT'], 'TRADABLE_SYMBOLS');
    const knownSymbols = new Set(['BTC/USDT']);
    expect(validateMonitorInput(valid, { tradable, knownSymbols }).symbol).toBe('BTC/USDT');
    expect(() => validateMonitorInput({ ...valid, symbol: 'DOGE/USDT' }, { tradable, knownSymbols })).toThrow(
      /^unknown symbol DOGE\/USDT: tradable symbols are BTC\/USDT, ETH\/USDT \(TRADABLE_SYMBOLS\)/,
    );
    expect(() => validateMonitorInput({ ...valid, symbol: 'ETH/USDT' }, { tradable, knownSymbols })).toThrow(/ETH\/USDT is not followed by this price-stream/);
  });

  it('names the bad field in the error', () => {
    expect(() => validateMonitorInput({ ...valid, windowMs: 10 })).toThrow(/windowMs/);
    expect(() => validateMonitorInput({ ...valid, thresholdPct: -3 })).toThrow(/thresholdPct/);
  });
});

describe('MonotonicDeque', () => {
  it('tracks the sliding minimum and maximum through growth and wrap-around', () => {
    const min = new MonotonicDeque('min', 2);
    const max = new MonotonicDeque('max', 2);
    const values = [5, 3, 8, 1, 9, 2, 7, 7, 4, 6, 0, 10, 3];
    const window = 4;
    values.forEach((v, t) => {
      min.evictBefore(t - window + 1);
      max.evictBefore(t - window + 1);
      min.push(t, v);
      max.push(t, v);
      const slice = values.slice(Math.max(0, t - window + 1), t + 1);
      expect(min.front()).toBe(Math.min(...slice));
      expect(max.front()).toBe(Math.max(...slice));
    });
    min.clear();
    expect(min.front()).toBeUndefined();
    expect(min.size).toBe(0);
  });
});

import type { Tick } from '@cte/shared';
import { TickConflator } from '../engine/tick-conflator';

const tick = (symbol: string, ts: number, price: number, exchange = 'binance'): Tick => ({ exchange, symbol, ts, price, qty: 1 });

describe('TickConflator', () => {
  it('keeps only the latest tick per symbol until drained', () => {
    const conflator = new TickConflator();
    conflator.add(tick('BTC/USDT', 1, 100));
    conflator.add(tick('ETH/USDT', 2, 10));
    conflator.add(tick('BTC/USDT', 3, 101));
    conflator.add(tick('BTC/USDT', 4, 102));
    expect(conflator.size).toBe(2);
    expect(conflator.drain().map((t) => [t.symbol, t.price])).toEqual([
      ['BTC/USDT', 102],
      ['ETH/USDT', 10],
    ]);
    expect(conflator.stats()).toEqual({ received: 4, conflated: 2, stale: 0 });
  });

  it('drain clears: only symbols that changed since come back', () => {
    const conflator = new TickConflator();
    conflator.add(tick('BTC/USDT', 1, 100));
    conflator.add(tick('ETH/USDT', 1, 10));
    conflator.drain();
    expect(conflator.drain()).toEqual([]);
    conflator.add(tick('ETH/USDT', 2, 11));
    expect(conflator.drain().map((t) => t.symbol)).toEqual(['ETH/USDT']);
    expect(conflator.size).toBe(0);
  });

  it('keeps exchanges apart', () => {
    const conflator = new TickConflator();
    conflator.add(tick('BTC/USDT', 1, 100, 'binance'));
    conflator.add(tick('BTC/USDT', 1, 101, 'coinbase'));
    expect(conflator.drain().map((t) => [t.exchange, t.price])).toEqual([
      ['binance', 100],
      ['coinbase', 101],
    ]);
  });

  it('never goes back in time: older ticks are dropped, equal times replace', () => {
    const conflator = new TickConflator();
    conflator.add(tick('BTC/USDT', 10, 100));
    conflator.add(tick('BTC/USDT', 9, 99));
    conflator.add(tick('BTC/USDT', 10, 100.5));
    expect(conflator.drain().map((t) => t.price)).toEqual([100.5]);
    conflator.add(tick('BTC/USDT', 5, 95)); // older than what was already published
    expect(conflator.drain()).toEqual([]);
    expect(conflator.stats().stale).toBe(2);
  });
});

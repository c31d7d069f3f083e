/**
 * Latest price per symbol and the data clock. The data clock is the newest tick time of any
 * symbol: a symbol's price age is how far its tick lags that clock (data time, so a replay at
 * any speed sees the same ages), and feed silence is the wall time since the newest tick arrived
 * (which catches a feed that died altogether; 0 in a backtest, where nothing is received).
 * Pure: times come in as arguments.
 */
import type { Dec, Symbol } from '@cte/shared/core';
import type { PriceView } from './types';

interface Entry {
  price: Dec;
  ts: number;
}

export class PriceBook {
  private readonly prices = new Map<string, Entry>();
  private newest = 0;
  private newestReceived = 0;

  /** Records a tick; an older tick than the one held is ignored (returns false). */
  update(symbol: Symbol, price: Dec, ts: number, receivedAt = 0): boolean {
    const cur = this.prices.get(symbol);
    if (cur !== undefined && ts < cur.ts) return false;
    this.prices.set(symbol, { price, ts });
    if (ts > this.newest) this.newest = ts;
    if (receivedAt > this.newestReceived) this.newestReceived = receivedAt;
    return true;
  }

  /** The symbol's price, its age on the data clock, and the feed's silence at wall time `now`. */
  view(symbol: Symbol, now = 0): PriceView | undefined {
    const e = this.prices.get(symbol);
    if (e === undefined) return undefined;
    return { price: e.price, ageMs: this.newest - e.ts, feedSilenceMs: this.newestReceived > 0 && now > 0 ? Math.max(0, now - this.newestReceived) : 0 };
  }

  /** Newest tick time of any symbol (the data clock); 0 before the first tick. */
  get dataNow(): number {
    return this.newest;
  }

  get size(): number {
    return this.prices.size;
  }

  snapshot(): Array<{ symbol: string; price: string; ts: number }> {
    return [...this.prices].map(([symbol, e]) => ({ symbol, price: e.price.toFixed(), ts: e.ts }));
  }
}

import type { Bar, Tick } from '@cte/shared/core';

/**
 * Replays a bar as four ticks along a plausible intrabar path:
 * open → low → high → close for a rising (or flat) bar, open → high → low → close
 * for a falling one. The ticks sit at openTime and +¼, +½, +¾ of the bar's
 * duration (all before closeTime, so they stay in the bar's period). The volume
 * is split so the four quantities add up, in order, exactly to the bar's
 * volume: three quarters (exact in binary) and the remainder. Aggregating the
 * ticks back at the bar's timeframe reproduces open, high, low, close and
 * volume; `trades` becomes 4.
 */
export function barToTicks(bar: Bar, exchange: string = bar.exchange): Tick[] {
  const rising = bar.close >= bar.open;
  const second = rising ? bar.low : bar.high;
  const third = rising ? bar.high : bar.low;
  const duration = bar.closeTime - bar.openTime;
  const quarterQty = bar.volume / 4;
  // 0 + q + q + q may round at the third step; the remainder against that
  // rounded sum is exact (Sterbenz), so the running sum lands on bar.volume.
  const threeQuarters = quarterQty + quarterQty + quarterQty;
  const lastQty = bar.volume - threeQuarters;
  const at = (k: number): number => bar.openTime + Math.floor((duration * k) / 4);
  const tick = (ts: number, price: number, qty: number): Tick => ({ exchange, symbol: bar.symbol, ts, price, qty });
  return [
    tick(at(0), bar.open, quarterQty),
    tick(at(1), second, quarterQty),
    tick(at(2), third, quarterQty),
    tick(at(3), bar.close, lastQty),
  ];
}

/** `barToTicks` over a series of bars, in order. */
export function barsToTicks(bars: readonly Bar[], exchange?: string): Tick[] {
  const out: Tick[] = [];
  for (const bar of bars) out.push(...barToTicks(bar, exchange ?? bar.exchange));
  return out;
}

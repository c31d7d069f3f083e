import { decAdd, decCmp, decMul } from './decimal';
import type { Candle, TradeEvent } from './types';

/** Bars of `timeframeMs` from trades (any order); buckets are aligned to the epoch like every venue's. */
export function candlesFromTrades(trades: readonly TradeEvent[], timeframeMs: number): Candle[] {
  const byStart = new Map<number, Candle>();
  const ordered = [...trades].sort((a, b) => a.ts - b.ts || a.id - b.id);
  for (const t of ordered) {
    const start = Math.floor(t.ts / timeframeMs) * timeframeMs;
    const notional = decMul(t.price, t.size);
    const c = byStart.get(start);
    if (!c) {
      byStart.set(start, {
        start,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: t.size,
        quoteVolume: notional,
        count: 1,
        takerBuyVolume: t.side === 'buy' ? t.size : '0',
        takerBuyQuoteVolume: t.side === 'buy' ? notional : '0',
      });
      continue;
    }
    if (decCmp(t.price, c.high) > 0) c.high = t.price;
    if (decCmp(t.price, c.low) < 0) c.low = t.price;
    c.close = t.price;
    c.volume = decAdd(c.volume, t.size);
    c.quoteVolume = decAdd(c.quoteVolume, notional);
    c.count += 1;
    if (t.side === 'buy') {
      c.takerBuyVolume = decAdd(c.takerBuyVolume, t.size);
      c.takerBuyQuoteVolume = decAdd(c.takerBuyQuoteVolume, notional);
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** Candles whose open time lies in [since, until), oldest first, at most `limit` (the newest ones). */
export function selectCandles(candles: readonly Candle[], opts: { since?: number; until?: number; limit?: number }): Candle[] {
  let out = candles.filter((c) => (opts.since === undefined || c.start >= opts.since) && (opts.until === undefined || c.start < opts.until));
  if (opts.limit !== undefined && out.length > opts.limit) out = out.slice(out.length - opts.limit);
  return out;
}

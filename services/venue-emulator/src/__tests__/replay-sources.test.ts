/**
 * The engine parts behind bundled bars and synthetic markets: the volume split, the trades and
 * books made from bars, merged series with rebasing and laps, synthetic names, and the
 * per-symbol subscription index.
 */
import path from 'node:path';
import { parseSymbol, type Bar } from '@cte/shared';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { loadBarMarkets, parseBarsItem } from '../adapters/bars';
import { barPrints, bookAround, PrintSeries, splitVolume, tickFor } from '../engine/bar-events';
import { candlesFromTrades } from '../engine/candles';
import { decAdd, decFromNumber } from '../engine/decimal';
import { subKey, SubscriptionMap } from '../engine/encoders';
import { MarketState } from '../engine/market-state';
import { arraySeries, rebaseOffset, Replayer, shiftSeries } from '../engine/replay';
import { MAX_SYNTHETIC_MARKETS, syntheticFactor, syntheticMarket, syntheticSeries } from '../engine/synthetic';
import { VENUE_IDS, type FeedEvent, type TradeEvent } from '../engine/types';

const CSV = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const HOUR = 3_600_000;

function csvBars(): Bar[] {
  const data = readAnyFile(CSV, { symbol: 'BTC/USD', exchange: 'coinbase' });
  if (data.kind !== 'bars') throw new Error('expected bars');
  return [...data.bars].sort((a, b) => a.openTime - b.openTime);
}

const t = (ts: number, id: number, symbol = 'A/B'): TradeEvent => ({ kind: 'trade', symbol, ts, id, price: '1', size: '1', side: 'buy' });
const tradesOf = (events: readonly FeedEvent[]): TradeEvent[] => events.filter((e): e is TradeEvent => e.kind === 'trade');

describe('splitVolume', () => {
  it('splits every bundled bar volume so decimals and in-order doubles both add up exactly', () => {
    const bars = csvBars();
    expect(bars.length).toBeGreaterThan(20_000);
    const wrong: string[] = [];
    for (const b of bars) {
      const total = decFromNumber(b.volume);
      const parts = splitVolume(total);
      const decimalSum = parts.reduce((a, p) => decAdd(a, p), '0');
      const floatSum = parts.reduce((a, p, i) => (i === 0 ? Number(p) : a + Number(p)), 0);
      if (parts.length !== 4 || decimalSum !== decAdd(total, '0') || floatSum !== b.volume || !parts.every((p) => /^\d+(\.\d{1,8})?$/.test(p))) wrong.push(`${total}: ${parts.join(' ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps zero volumes at zero', () => {
    expect(splitVolume('0')).toEqual(['0', '0', '0', '0']);
  });
});

describe('bars as trades and books', () => {
  it('gives four trades per bar that aggregate back to the bar at its timeframe', () => {
    const bars = csvBars().slice(-200);
    const series = new PrintSeries('BTC/USD', barPrints(bars), HOUR);
    const events = Array.from({ length: series.length }, (_, i) => series.event(i));
    const trades = tradesOf(events);
    expect(trades).toHaveLength(bars.length * 4);
    expect(trades.map((t) => t.id)).toEqual(trades.map((_, i) => i + 1));
    const candles = candlesFromTrades(trades, HOUR);
    expect(candles.map((c) => [c.start, Number(c.open), Number(c.high), Number(c.low), Number(c.close), Number(c.volume)])).toEqual(
      bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume]),
    );
    expect(trades.filter((tr, i) => tr.ts < bars[i >> 2]!.openTime || tr.ts >= bars[i >> 2]!.closeTime)).toEqual([]);
  });

  it('follows the bar direction: open, low, high, close when rising; open, high, low, close when falling', () => {
    const rising: Bar = { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h', openTime: 0, closeTime: HOUR, open: 10, high: 12, low: 9, close: 11, volume: 2, trades: 0 };
    const falling: Bar = { ...rising, openTime: HOUR, closeTime: 2 * HOUR, open: 11, high: 13, low: 8, close: 9 };
    const prints = barPrints([rising, falling]);
    expect(prints.map((p) => p.price)).toEqual(['10', '9', '12', '11', '11', '13', '8', '9']);
    expect(prints.map((p) => p.ts)).toEqual([0, 900_000, 1_800_000, 2_700_000, HOUR, HOUR + 900_000, HOUR + 1_800_000, HOUR + 2_700_000]);
    expect(prints.map((p) => p.side)).toEqual(['buy', 'sell', 'buy', 'sell', 'sell', 'buy', 'sell', 'buy']);
  });

  it('puts a book around each trade price whose levels replace the previous ones with fresh sequence numbers', () => {
    expect(tickFor('8051.3')).toBe('0.1');
    expect(tickFor('0.00002')).toBe('0.00000001');
    const book = bookAround('BTC/USD', 5, '8051', '2');
    expect(book.bids[0]).toEqual(['8050.9', '0.51']);
    expect(book.asks[0]).toEqual(['8051.1', '0.51']);
    expect(book.bids).toHaveLength(5);
    const m = new MarketState({ symbol: 'BTC/USD', base: 'BTC', quote: 'USD' }, 100);
    const first = m.applyBook(book);
    expect([first.firstSeq, first.lastSeq]).toEqual([101, 110]);
    const second = m.applyBook(bookAround('BTC/USD', 6, '9000', '2'));
    expect([second.firstSeq, second.lastSeq]).toEqual([111, 130]);
    expect(m.book.best().bid?.[0]).toBe('8999.9');
    expect(m.book.snapshot().bids).toHaveLength(5);
  });
});

describe('bar files', () => {
  it('makes one market of several Lean zips, aligned to their minute bars, windowed on trade times', () => {
    const dir = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'lean', 'coinbase', 'minute', 'btcusd');
    const items = ['20170903', '20170904'].map((d) => parseBarsItem(`kucoin:BTC/USDT=${path.join(dir, `${d}_trade.zip`)}`));
    const [all] = loadBarMarkets(items);
    expect(all).toMatchObject({ venue: 'kucoin', def: { symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT' }, alignMs: 60_000 });
    const bars = items.flatMap((it) => {
      const d = readAnyFile(it.file, { symbol: 'BTC/USDT' });
      return d.kind === 'bars' ? d.bars : [];
    });
    expect(all!.prints).toHaveLength(bars.length * 4);
    const series = new PrintSeries('BTC/USDT', all!.prints, 60_000);
    const trades = tradesOf(Array.from({ length: series.length }, (_, i) => series.event(i)));
    expect(candlesFromTrades(trades, 60_000).map((c) => [c.start, Number(c.close), Number(c.volume)])).toEqual(bars.map((b) => [b.openTime, b.close, b.volume]));
    // A window cuts by trade time: a bar whose open falls before the start loses its first trades.
    const from = bars[10]!.openTime + 1;
    const [cut] = loadBarMarkets(items, { startMs: from, endMs: bars[20]!.openTime });
    expect(cut!.prints.map((p) => p.ts)).toEqual(all!.prints.map((p) => p.ts).filter((ts) => ts >= from && ts <= bars[20]!.openTime));
  });
});

describe('merged series', () => {

  it('merges series in time order, ties by series order', () => {
    const a = arraySeries([t(10, 1), t(30, 2)]);
    const b = arraySeries([t(10, 7, 'C/D'), t(20, 8, 'C/D')]);
    const r = new Replayer([a, b], 0, false);
    expect(r.step(10).map((e) => [e.ts, (e as TradeEvent).id])).toEqual([[10, 1], [10, 7], [20, 8], [30, 2]]);
    expect(r.exhausted).toBe(true);
    expect(r.replayed).toBe(4);
  });

  it('rebases to the start or the end, on multiples of the alignment', () => {
    expect(rebaseOffset(1000, 5000, 100_000, 'start')).toBe(99_000);
    expect(rebaseOffset(1000, 5000, 100_000, 'end')).toBe(95_000);
    expect(rebaseOffset(HOUR, 5 * HOUR, 10 * HOUR + 123, 'end', HOUR)).toBe(5 * HOUR);
    expect(rebaseOffset(HOUR + 900_000, 5 * HOUR, 10 * HOUR + 123, 'start', HOUR)).toBe(8 * HOUR);
  });

  it('loops each series on its own span (bars by whole bars), with fresh trade ids per series', () => {
    const bars = new PrintSeries('A/B', [{ ts: HOUR, price: '1', size: '1', side: 'buy' }], HOUR);
    const other = arraySeries([t(HOUR + 5, 100, 'C/D'), t(HOUR + 6, 109, 'C/D')]);
    const r = new Replayer([shiftSeries(bars, 2 * HOUR), other], 0, true);
    const out = tradesOf(r.advanceTo(3 * HOUR + 1, 1e6));
    const ab = out.filter((e) => e.symbol === 'A/B');
    const cd = out.filter((e) => e.symbol === 'C/D');
    // A/B: one trade per lap, laps one bar (an hour) apart; C/D: its two trades every 1,001 ms.
    expect(ab.map((e) => [e.ts, e.id])).toEqual([[3 * HOUR, 1]]);
    expect(cd.slice(0, 4).map((e) => [e.ts, e.id])).toEqual([[HOUR + 5, 100], [HOUR + 6, 109], [HOUR + 1006, 110], [HOUR + 1007, 119]]);
    expect(cd.length).toBeGreaterThan(1000);
    expect(cd.every((e, i) => i === 0 || (e.ts > cd[i - 1]!.ts && e.id > cd[i - 1]!.id))).toBe(true);
    expect(tradesOf(r.advanceTo(4 * HOUR + 1, 1e6)).filter((e) => e.symbol === 'A/B').map((e) => [e.ts, e.id])).toEqual([[4 * HOUR, 2]]);
    expect(r.lap).toBe(2);
    expect(r.exhausted).toBe(false);
  });
});

describe('synthetic markets', () => {
  it('are valid fleet symbols, distinct per number, with a venue quote', () => {
    for (const venue of VENUE_IDS) {
      const names = Array.from({ length: MAX_SYNTHETIC_MARKETS }, (_, i) => syntheticMarket(venue, i + 1).symbol);
      expect(new Set(names).size).toBe(MAX_SYNTHETIC_MARKETS);
      for (const n of [names[0]!, names[names.length - 1]!]) expect(parseSymbol(n)).toBe(n);
    }
    expect(syntheticMarket('binanceus', 1).symbol).toBe('S0001/USDT');
    expect(syntheticMarket('coinbase', 340).symbol).toBe('S0340/USD');
    expect(() => syntheticMarket('kucoin', MAX_SYNTHETIC_MARKETS + 1)).toThrow();
  });

  it('re-label a source market with scaled prices and keep its ids and sizes', () => {
    const source = arraySeries([
      { kind: 'book', symbol: 'X/Y', ts: 1, bids: [['1.5', '2']], asks: [['1.6', '3']], snapshot: true },
      t(2, 42, 'X/Y'),
    ]);
    const s = syntheticSeries(source, syntheticMarket('kucoin', 2), syntheticFactor(2));
    expect(s.event(0)).toEqual({ kind: 'book', symbol: 'S0002/USDT', ts: 1, bids: [['4.5', '2']], asks: [['4.8', '3']], snapshot: true });
    expect(s.event(1)).toMatchObject({ symbol: 'S0002/USDT', id: 42, price: '3', size: '1' });
  });
});

describe('SubscriptionMap', () => {
  it('indexes subscriptions by symbol through set, delete and clear', () => {
    const m = new SubscriptionMap();
    const a = { channel: 'trades', symbol: 'A/B' };
    const b = { channel: 'book', symbol: 'A/B' };
    const c = { channel: 'trades', symbol: 'C/D' };
    for (const s of [a, b, c]) m.set(subKey(s), s);
    expect([...m.forSymbol('A/B')]).toEqual([a, b]);
    m.delete(subKey(a));
    expect([...m.forSymbol('A/B')]).toEqual([b]);
    expect([...m.forSymbol('X/Y')]).toEqual([]);
    m.clear();
    expect([...m.forSymbol('C/D')]).toEqual([]);
    expect(m.size).toBe(0);
  });
});

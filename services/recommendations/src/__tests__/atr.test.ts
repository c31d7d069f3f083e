import fs from 'node:fs';
import path from 'node:path';
import { Dec } from '@cte/shared';
import { findSharedDataDir } from '@cte/testkit';
import { AtrBook, WilderAtr } from '../engine/atr';

const d = (x: string | number) => new Dec(String(x));
const SHARED_DATA = findSharedDataDir();

describe('WilderAtr', () => {
  it('matches a hand computation (period 3)', () => {
    const atr = new WilderAtr(3);
    // TR1 = H-L = 2 (no previous close)
    expect(atr.update(d(10), d(8), d(9))).toBeUndefined();
    // TR2 = max(12-9, |12-9|, |9-9|) = 3
    expect(atr.update(d(12), d(9), d(11))).toBeUndefined();
    // TR3 = max(1, |11.5-11|, |10.5-11|) = 1 → first ATR = (2 + 3 + 1) / 3 = 2
    expect(atr.update(d('11.5'), d('10.5'), d(11))!.toFixed()).toBe('2');
    // TR4 = max(2, |14-11|, |12-11|) = 3 → ATR = (2*2 + 3) / 3 = 7/3
    expect(atr.update(d(14), d(12), d(13))!.toDecimalPlaces(30).eq(d(7).div(3).toDecimalPlaces(30))).toBe(true);
    expect(atr.value!.toDecimalPlaces(30).eq(d(7).div(3).toDecimalPlaces(30))).toBe(true);
    // TR5 = max(1, |10-13|, |9-13|) = 4 (gap down) → ATR = (7/3*2 + 4) / 3 = 26/9
    expect(atr.update(d(10), d(9), d('9.5'))!.toDecimalPlaces(30).eq(d(26).div(9).toDecimalPlaces(30))).toBe(true);
  });

  it('reproduces StockCharts\' ATR-14 worked example (bukosabino-ta cs-atr.csv) to 1e-9', () => {
    const file = path.join(SHARED_DATA, 'indicators', 'bukosabino-ta', 'cs-atr.csv');
    const rows = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.trim().split(','));
    expect(rows.length).toBeGreaterThan(20);
    const atr = new WilderAtr(14);
    let compared = 0;
    rows.forEach((r, i) => {
      const v = atr.update(d(r[1]!), d(r[2]!), d(r[3]!));
      if (i < 13) {
        expect(v).toBeUndefined();
        return;
      }
      expect(v!.minus(d(r[5]!)).abs().lt('1e-9')).toBe(true);
      compared++;
    });
    expect(compared).toBe(rows.length - 13);
  });

  it('rejects a bad period', () => {
    expect(() => new WilderAtr(0)).toThrow(RangeError);
  });
});

describe('AtrBook', () => {
  const bar = (t: number, h: number, l: number, c: number) => ({ openTime: t, high: d(h), low: d(l), close: d(c) });

  it('keeps one ATR per symbol and ignores old or repeated bars', () => {
    const book = new AtrBook(2);
    expect(book.push('A/B', bar(1, 10, 8, 9))).toBe(true);
    expect(book.push('A/B', bar(1, 50, 0, 9))).toBe(false);
    expect(book.push('A/B', bar(0, 50, 0, 9))).toBe(false);
    book.push('A/B', bar(2, 12, 9, 11)); // TR 3 → ATR (2+3)/2
    expect(book.value('A/B')!.toFixed()).toBe('2.5');
    expect(book.value('C/D')).toBeUndefined();
  });

  it('warms from history merged with the bars seen so far', () => {
    const live = new AtrBook(3);
    live.push('A/B', bar(4, 14, 12, 13));
    expect(live.isReady('A/B')).toBe(false);
    live.seed('A/B', [bar(1, 10, 8, 9), bar(2, 12, 9, 11), bar(3, 11.5, 10.5, 11)]);
    const straight = new AtrBook(3);
    for (const b of [bar(1, 10, 8, 9), bar(2, 12, 9, 11), bar(3, 11.5, 10.5, 11), bar(4, 14, 12, 13)]) straight.push('A/B', b);
    expect(live.value('A/B')!.eq(straight.value('A/B')!)).toBe(true);
    // Once ready, seeding changes nothing.
    live.seed('A/B', [bar(0, 100, 0, 50)]);
    expect(live.value('A/B')!.eq(straight.value('A/B')!)).toBe(true);
  });
});

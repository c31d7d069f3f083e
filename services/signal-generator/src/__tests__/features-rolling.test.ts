/** The O(1) building blocks of the feature pipeline against naive recomputation. */
import { Ema, Ring, RollingExtreme, RollingSum, Wilder } from '../engine/features/rolling';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('RollingSum', () => {
  it('equals a fresh sum of the window at every step (values with many magnitudes)', () => {
    const rnd = lcg(7);
    for (const period of [1, 3, 20, 200]) {
      const rs = new RollingSum(period);
      const xs: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const x = (rnd() - 0.3) * 10 ** Math.floor(rnd() * 8);
        xs.push(x);
        rs.push(x);
        const win = xs.slice(Math.max(0, xs.length - period));
        const fresh = win.reduce((a, b) => a + b, 0);
        const scale = win.reduce((a, b) => a + Math.abs(b), 0);
        expect(Math.abs(rs.sum - fresh)).toBeLessThanOrEqual(1e-14 * scale);
        expect(rs.full).toBe(xs.length >= period);
        if (!rs.full) expect(rs.mean).toBeNaN();
      }
    }
  });

  it('is exactly 0 once a spike has left a window of zeros', () => {
    const rs = new RollingSum(20);
    for (let i = 0; i < 7; i++) rs.push(0.1 * i);
    rs.push(1e12);
    rs.push(3.3e-7);
    for (let i = 0; i < 20; i++) rs.push(0);
    expect(rs.sum).toBe(0);
    rs.push(1e-300);
    expect(rs.sum).toBe(1e-300);
  });

  it('keeps what is left of a spike that has left the window below 1e-30 of it (a plain running sum keeps ~1e-16)', () => {
    const rs = new RollingSum(20);
    rs.push(1e12);
    for (let i = 0; i < 19; i++) rs.push(0.001 * (i + 1));
    const smallWindow = (k: number): number => {
      let s = 0;
      for (let j = k - 19; j <= k; j++) s += 0.001 * (j + 1);
      return s;
    };
    for (let k = 19; k < 60; k++) {
      rs.push(0.001 * (k + 1)); // pushes 21..61: the spike leaves at once
      expect(Math.abs(rs.sum - smallWindow(k))).toBeLessThanOrEqual(1e-30 * 1e12 + 1e-15 * smallWindow(k));
    }
  });

  it('rejects a non-positive or fractional period', () => {
    expect(() => new RollingSum(0)).toThrow(RangeError);
    expect(() => new RollingSum(2.5)).toThrow(RangeError);
  });
});

describe('RollingExtreme', () => {
  it('equals a scan of the window at every step, ties and runs included', () => {
    const rnd = lcg(11);
    for (const period of [1, 2, 14, 50]) {
      const hi = new RollingExtreme(period, 'max');
      const lo = new RollingExtreme(period, 'min');
      const xs: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const x = i % 300 < 40 ? 5 : Math.round(rnd() * 20); // flat runs and many ties
        xs.push(x);
        hi.push(x);
        lo.push(x);
        const win = xs.slice(Math.max(0, xs.length - period));
        expect(hi.value).toBe(Math.max(...win));
        expect(lo.value).toBe(Math.min(...win));
        expect(hi.full).toBe(xs.length >= period);
      }
    }
  });

  it('handles a strictly falling then rising series (deque at full size)', () => {
    const hi = new RollingExtreme(5, 'max');
    const lo = new RollingExtreme(5, 'min');
    const xs = [10, 9, 8, 7, 6, 5, 4, 5, 6, 7, 8, 9];
    xs.forEach((x, i) => {
      hi.push(x);
      lo.push(x);
      const win = xs.slice(Math.max(0, i - 4), i + 1);
      expect([hi.value, lo.value]).toEqual([Math.max(...win), Math.min(...win)]);
    });
  });
});

describe('Ring', () => {
  it('returns values k pushes ago and the window mean/σ (population)', () => {
    const r = new Ring(4);
    expect(r.ago(0)).toBeNaN();
    [1, 2, 3, 4, 5, 6].forEach((x) => r.push(x));
    expect([r.ago(0), r.ago(1), r.ago(3), r.ago(4)]).toEqual([6, 5, 3, Number.NaN]);
    const ms = { mean: 0, std: 0 };
    r.meanStd(ms);
    expect(ms.mean).toBe(4.5);
    expect(ms.std).toBeCloseTo(Math.sqrt(1.25), 15);
    const short = new Ring(3);
    short.push(1);
    short.meanStd(ms);
    expect(ms.mean).toBeNaN();
  });
});

describe('Ema and Wilder', () => {
  it('seed with the simple average of the first `period` inputs, then smooth', () => {
    const e = new Ema(3);
    expect(e.push(1)).toBeNaN();
    expect(e.push(2)).toBeNaN();
    expect(e.push(6)).toBe(3);
    expect(e.push(7)).toBe(0.5 * 7 + 0.5 * 3);
    const w = new Wilder(3);
    w.push(1);
    w.push(2);
    expect(w.push(6)).toBe(3);
    expect(w.push(9)).toBe((3 * 2 + 9) / 3);
  });
});

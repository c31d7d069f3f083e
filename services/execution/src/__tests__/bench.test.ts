import { benchmarkOrderManager } from '../engine/bench';

describe('benchmarkOrderManager', () => {
  it('returns both figures from one small run (timings are for make-bench-style runs, never asserted)', () => {
    const r = benchmarkOrderManager({ orders: 2000, symbols: 3, runs: 1 });
    expect(r.ordersPerSec).toBeGreaterThan(0);
    expect(r.baselinePerSec).toBeGreaterThan(0);
    expect(r.fills).toBeGreaterThan(0);
    expect(r).toMatchObject({ orders: 2000, symbols: 3, runs: 1 });
  });
});

import { benchmarkConsensus } from '../engine/bench';

describe('benchmarkConsensus', () => {
  it('returns both figures from one small run (timings are for make-bench-style runs, never asserted)', () => {
    const r = benchmarkConsensus({ signals: 2000, symbols: 4, agents: 5, runs: 1 });
    expect(r.signalsPerSec).toBeGreaterThan(0);
    expect(r.baselinePerSec).toBeGreaterThan(0);
    expect(r).toMatchObject({ signals: 2000, symbols: 4, agents: 5, runs: 1 });
  });
});

import { benchmarkLedger, benchFills } from '../engine/bench';
import { parseLedgerFill } from '../engine';

describe('benchmarkLedger', () => {
  it('returns every figure from one small run (timings are for manual runs, never asserted)', () => {
    const r = benchmarkLedger({ fills: 2000, symbols: 3, runs: 1 });
    expect(r.fillsPerSec).toBeGreaterThan(0);
    expect(r.parsedFillsPerSec).toBeGreaterThan(0);
    expect(r.baselinePerSec).toBeGreaterThan(0);
    expect(r).toMatchObject({ fills: 2000, symbols: 3, runs: 1 });
  });

  it('benchmarks valid fills only (every one passes the ledger validation)', () => {
    for (const f of benchFills(1000, 5)) expect(() => parseLedgerFill(f)).not.toThrow();
  });
});

import { benchmarkRisk } from '../bench/run';

describe('benchmarkRisk', () => {
  it('returns every figure from one small run (timings are for manual bench runs, never asserted)', async () => {
    const r = await benchmarkRisk({ engineChecks: 2000, grpcCalls: 50 });
    expect(r.engine.checks).toBe(2000);
    for (const v of [r.engine.p50Us, r.engine.p99Us, r.grpc.checkP50Ms, r.grpc.kitP50Ms, r.grpc.floorP50Ms]) expect(v).toBeGreaterThan(0);
    expect(r.engine.p99Us).toBeGreaterThanOrEqual(r.engine.p50Us);
    expect(r.grpc.calls).toBe(50);
  });
});

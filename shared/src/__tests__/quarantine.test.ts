/** Quarantine of stored rows at start: log, metric, readiness detail; the rest still restores. */
import { InvalidArgumentError, UnavailableError } from '../errors';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { Quarantine, QUARANTINE_READINESS_CHECK, restoreRows } from '../quarantine';
import { Readiness } from '../readiness';

function setup() {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  const registry = createMetrics('test');
  const readiness = new Readiness();
  return { lines, registry, readiness, quarantine: new Quarantine({ logger, registry, readiness }) };
}

interface Row {
  id: string;
  threshold: string;
}

const parse = (r: Row): number => {
  const n = Number(r.threshold);
  if (!(n > 0)) throw new InvalidArgumentError(`thresholdPct must be > 0, got ${r.threshold}`);
  return n;
};

describe('restoreRows', () => {
  it('restores the good rows, deactivates the bad one, and reports it everywhere', async () => {
    const { lines, registry, readiness, quarantine } = setup();
    expect((await readiness.check()).checks[QUARANTINE_READINESS_CHECK]).toBeUndefined();
    const deactivated: string[] = [];
    const rows: Row[] = [
      { id: 'a', threshold: '1.5' },
      { id: 'b', threshold: '0.000000' },
      { id: 'c', threshold: '2' },
    ];
    const out = await restoreRows(rows, {
      table: 'price_monitors',
      quarantine,
      idOf: (r) => r.id,
      restore: parse,
      deactivate: async (r) => void deactivated.push(r.id),
    });
    expect(out).toEqual([1.5, 2]);
    expect(deactivated).toEqual(['b']);
    expect(quarantine.list()).toEqual([
      { table: 'price_monitors', id: 'b', reason: 'invalid_value', action: 'deactivated', message: 'thresholdPct must be > 0, got 0.000000' },
    ]);
    const report = await readiness.check();
    expect(report.ready).toBe(true);
    expect(report.checks[QUARANTINE_READINESS_CHECK]).toEqual({
      ok: true,
      detail: '1 stored row quarantined: price_monitors b (deactivated, invalid_value: thresholdPct must be > 0, got 0.000000)',
    });
    expect(await registry.metrics()).toContain('cte_quarantined_rows_total{table="price_monitors",reason="invalid_value",service="test"} 1');
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'stored row quarantined');
    expect(warn).toMatchObject({ level: 'warn', table: 'price_monitors', id: 'b', reason: 'invalid_value', action: 'deactivated' });
  });

  it('skips rows of tables without a flag, labels malformed JSON, and survives a failing deactivation', async () => {
    const { registry, quarantine } = setup();
    const out = await restoreRows(['{"a":1}', '{nope', 'x'], {
      table: 'risk_limits',
      quarantine,
      idOf: (r) => r,
      restore: (r) => JSON.parse(r) as unknown,
    });
    expect(out).toEqual([{ a: 1 }]);
    expect(quarantine.list().map((q) => [q.id, q.action, q.reason])).toEqual([
      ['{nope', 'skipped', 'malformed_json'],
      ['x', 'skipped', 'malformed_json'],
    ]);
    await restoreRows([{ id: 'z', threshold: '0' }], {
      table: 'price_monitors',
      quarantine,
      idOf: (r) => r.id,
      restore: parse,
      deactivate: () => Promise.reject(new Error('read-only')),
    });
    expect(quarantine.list()[2]).toMatchObject({ id: 'z', action: 'skipped' });
    expect(await registry.metrics()).toContain('cte_quarantined_rows_total{table="risk_limits",reason="malformed_json",service="test"} 2');
  });

  it('lets an unavailable database fail the start instead of quarantining good rows', async () => {
    const { quarantine } = setup();
    await expect(
      restoreRows([1], { table: 't', quarantine, idOf: String, restore: () => Promise.reject(new UnavailableError('database unavailable')) }),
    ).rejects.toThrow(UnavailableError);
    expect(quarantine.list()).toEqual([]);
  });

  it('bounds the readiness detail', async () => {
    const { readiness, quarantine } = setup();
    for (let i = 0; i < 50; i++) quarantine.add({ table: 't', id: `row-${i}-${'x'.repeat(500)}`, action: 'skipped', error: new Error('y'.repeat(5000)) });
    const detail = (await readiness.check()).checks[QUARANTINE_READINESS_CHECK]?.detail ?? '';
    expect(detail).toMatch(/^50 stored rows quarantined: /);
    expect(detail).toMatch(/and 30 more \(see the warn logs\)$/);
    expect(detail.length).toBeLessThan(20 * 320);
  });
});

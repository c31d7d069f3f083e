/**
 * Input validation that matches what a DECIMAL(p,s) column stores (issue 10, defect 1), and the
 * drift check of the declarations against a migrated MariaDB.
 */
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { decimalColumnMismatches } from '../db/columns';
import { decimalColumnMax, decimalColumns, fitsDecimalColumn, parseDecimalColumn } from '../domain/decimal-column';
import { InvalidArgumentError } from '../errors';
import { createLogger } from '../logger';

const T = decimalColumns('price_monitors', { threshold_pct: [12, 6] });
const MONEY = decimalColumns('orders', { qty: [36, 18] });

describe('parseDecimalColumn', () => {
  it('refuses a non-zero value the column would store as 0 (REST 0.0000001, gRPC 1e-9)', () => {
    for (const v of ['0.0000001', 1e-9, 0.0000001]) {
      expect(() => parseDecimalColumn(v, 'thresholdPct', T.threshold_pct, { positive: true })).toThrow(InvalidArgumentError);
      expect(() => parseDecimalColumn(v, 'thresholdPct', T.threshold_pct, { positive: true })).toThrow(
        /thresholdPct .* more decimal places .*price_monitors\.threshold_pct is DECIMAL\(12,6\): at most 6 decimal places and magnitude <= 999999\.999999/,
      );
    }
  });

  it('refuses any value that would be rounded to something else, even when non-zero', () => {
    expect(() => parseDecimalColumn('1.0000001', 'thresholdPct', T.threshold_pct)).toThrow(/more decimal places/);
    expect(() => parseDecimalColumn('0.0000000000000000001', 'qty', MONEY.qty)).toThrow(/qty .*DECIMAL\(36,18\)/);
  });

  it('accepts exactly the column limits and returns the stored value', () => {
    expect(parseDecimalColumn('0.000001', 'thresholdPct', T.threshold_pct, { positive: true }).toFixed()).toBe('0.000001');
    expect(parseDecimalColumn('999999.999999', 'thresholdPct', T.threshold_pct).toFixed()).toBe('999999.999999');
    expect(parseDecimalColumn('-999999.999999', 'x', T.threshold_pct).toFixed()).toBe('-999999.999999');
    expect(parseDecimalColumn('1.500000000', 'x', T.threshold_pct).toFixed()).toBe('1.5'); // trailing zeros are not rounding
    expect(parseDecimalColumn('999999999999999999.999999999999999999', 'qty', MONEY.qty).toFixed()).toBe('999999999999999999.999999999999999999');
    expect(parseDecimalColumn('0.000000000000000001', 'qty', MONEY.qty, { positive: true }).toFixed()).toBe('0.000000000000000001');
    expect(parseDecimalColumn(-0, 'x', T.threshold_pct).toFixed()).toBe('0');
  });

  it('refuses overflow just past the largest value', () => {
    expect(() => parseDecimalColumn('1000000', 'thresholdPct', T.threshold_pct)).toThrow(/too large to be stored/);
    expect(() => parseDecimalColumn('1000000000000000000', 'qty', MONEY.qty)).toThrow(/too large/);
    expect(() => parseDecimalColumn(1e308, 'qty', MONEY.qty)).toThrow(/too large/);
  });

  it('refuses non-decimals with a bounded message', () => {
    for (const v of [NaN, Infinity, -Infinity, '1e5', '', ' ', '0x10', null, undefined, {}, [], true, '1.', '.5', '+1']) {
      expect(() => parseDecimalColumn(v, 'qty', MONEY.qty)).toThrow(InvalidArgumentError);
    }
    const huge = '9'.repeat(100_000);
    try {
      parseDecimalColumn(huge, 'qty', MONEY.qty);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message.length).toBeLessThan(300);
    }
    try {
      parseDecimalColumn('x'.repeat(100_000), 'qty', MONEY.qty);
      throw new Error('accepted');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(300);
    }
  });

  it('applies sign and range options after the column check', () => {
    expect(() => parseDecimalColumn('0', 'qty', MONEY.qty, { positive: true })).toThrow(/qty must be > 0/);
    expect(() => parseDecimalColumn('-1', 'qty', MONEY.qty, { nonNegative: true })).toThrow(/qty must be >= 0/);
    expect(() => parseDecimalColumn('1001', 'thresholdPct', T.threshold_pct, { max: 1000 })).toThrow(/<= 1000/);
    expect(() => parseDecimalColumn('0.5', 'x', T.threshold_pct, { min: 1 })).toThrow(/>= 1/);
  });

  it('rounds only when asked, and never turns a non-zero value into 0', () => {
    expect(parseDecimalColumn('1.00000050', 'x', T.threshold_pct, { rounding: 'half_even' }).toFixed()).toBe('1');
    expect(parseDecimalColumn('1.0000019', 'x', T.threshold_pct, { rounding: 'down' }).toFixed()).toBe('1.000001');
    expect(() => parseDecimalColumn('0.0000001', 'x', T.threshold_pct, { rounding: 'half_even' })).toThrow(/would be stored as 0/);
  });

  it('knows the largest value and whether computed values fit', () => {
    expect(decimalColumnMax(T.threshold_pct).toFixed()).toBe('999999.999999');
    expect(fitsDecimalColumn('0.000001', T.threshold_pct)).toBe(true);
    expect(fitsDecimalColumn('0.0000001', T.threshold_pct)).toBe(false);
    expect(() => decimalColumns('t', { c: [10, 11] })).toThrow(/not a valid column type/);
  });
});

describe('decimalColumnMismatches (against the migrated schema)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
  });
  afterAll(() => t?.drop());

  it('is empty for a correct declaration', async () => {
    const ok = decimalColumns('price_monitors', { threshold_pct: [12, 6] });
    expect(await decimalColumnMismatches(t.db, Object.values(ok))).toEqual([]);
  });

  it('names a wrong precision, a missing column, an undeclared DECIMAL column and a missing table', async () => {
    const wrong = [
      ...Object.values(decimalColumns('price_alerts', { change_pct: [18, 6], reference_price: [36, 18], ghost: [10, 2] })),
      ...Object.values(decimalColumns('no_such_table', { x: [10, 2] })),
    ];
    const problems = await decimalColumnMismatches(t.db, wrong);
    expect(problems).toEqual(
      expect.arrayContaining([
        'price_alerts.change_pct is declared DECIMAL(18,6) but the database has DECIMAL(18,8)',
        'price_alerts.ghost is declared but the table has no such column',
        'price_alerts.price is DECIMAL(36,18) in the database but not declared',
        'table no_such_table does not exist',
      ]),
    );
    expect(problems).toHaveLength(4);
  });
});

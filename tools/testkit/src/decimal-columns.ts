/** For each service's columns test: its DECIMAL column declarations (input is validated against them) match the migrated schema. */
import { decimalColumnMismatches, type DecimalColumn } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from './test-database';

/** Registers the test (and a throw-away database for it): call at the top level of a test file. */
export function testDecimalColumnsAsMigrated(service: string, declared: readonly DecimalColumn[]): void {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it(`declares every DECIMAL column of ${service} tables exactly as migrated`, async () => {
    expect(declared.length).toBeGreaterThan(0);
    expect(await decimalColumnMismatches(t!.db, declared)).toEqual([]);
  });
}

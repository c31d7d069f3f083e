/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { createLogger, decimalColumnMismatches } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { EXECUTION_DECIMAL_COLUMNS } from '../adapters/columns';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
});
afterAll(() => t?.drop());

it('declares every DECIMAL column of execution tables exactly as migrated', async () => {
  expect(EXECUTION_DECIMAL_COLUMNS.length).toBeGreaterThan(0);
  expect(await decimalColumnMismatches(t.db, EXECUTION_DECIMAL_COLUMNS)).toEqual([]);
});

/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { createLogger, decimalColumnMismatches } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { RECOMMENDATIONS_DECIMAL_COLUMNS } from '../adapters/columns';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
});
afterAll(() => t?.drop());

it('declares every DECIMAL column of recommendations tables exactly as migrated', async () => {
  expect(RECOMMENDATIONS_DECIMAL_COLUMNS.length).toBeGreaterThan(0);
  expect(await decimalColumnMismatches(t.db, RECOMMENDATIONS_DECIMAL_COLUMNS)).toEqual([]);
});

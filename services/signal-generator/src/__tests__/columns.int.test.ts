/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { createLogger, decimalColumnMismatches } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { SIGNAL_GENERATOR_DECIMAL_COLUMNS } from '../adapters/columns';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
});
afterAll(() => t?.drop());

it('declares every DECIMAL column of signal-generator tables exactly as migrated', async () => {
  expect(SIGNAL_GENERATOR_DECIMAL_COLUMNS.length).toBeGreaterThan(0);
  expect(await decimalColumnMismatches(t.db, SIGNAL_GENERATOR_DECIMAL_COLUMNS)).toEqual([]);
});

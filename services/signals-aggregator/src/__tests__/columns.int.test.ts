/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { createLogger, decimalColumnMismatches } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { SIGNALS_AGGREGATOR_DECIMAL_COLUMNS } from '../adapters/columns';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
});
afterAll(() => t?.drop());

it('declares every DECIMAL column of signals-aggregator tables exactly as migrated', async () => {
  expect(SIGNALS_AGGREGATOR_DECIMAL_COLUMNS.length).toBeGreaterThan(0);
  expect(await decimalColumnMismatches(t.db, SIGNALS_AGGREGATOR_DECIMAL_COLUMNS)).toEqual([]);
});

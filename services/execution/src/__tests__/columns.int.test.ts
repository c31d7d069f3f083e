/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { EXECUTION_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('execution', EXECUTION_DECIMAL_COLUMNS);

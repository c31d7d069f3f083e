/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { SIGNAL_GENERATOR_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('signal-generator', SIGNAL_GENERATOR_DECIMAL_COLUMNS);

/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { SIGNALS_AGGREGATOR_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('signals-aggregator', SIGNALS_AGGREGATOR_DECIMAL_COLUMNS);

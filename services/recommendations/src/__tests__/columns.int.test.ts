/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { RECOMMENDATIONS_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('recommendations', RECOMMENDATIONS_DECIMAL_COLUMNS);

/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { RISK_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('risk', RISK_DECIMAL_COLUMNS);

/** The DECIMAL column declarations input is validated against match the migrated schema. */
import { testDecimalColumnsAsMigrated } from '@cte/testkit';
import { PORTFOLIO_DECIMAL_COLUMNS } from '../adapters/columns';

testDecimalColumnsAsMigrated('portfolio', PORTFOLIO_DECIMAL_COLUMNS);

/**
 * The DECIMAL columns of signal-generator's tables (shared/migrations/003), declared once:
 * values are checked against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const ML_SIGNALS = decimalColumns('ml_signals', { confidence: [10, 8], price: MONEY_DECIMAL });

export const SIGNAL_GENERATOR_DECIMAL_COLUMNS = Object.values(ML_SIGNALS);

/**
 * The DECIMAL columns of signals-aggregator's tables (shared/migrations/004), declared once:
 * values are checked against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const CONSENSUS_SIGNALS = decimalColumns('consensus_signals', { confidence: [10, 8], agreement: [10, 8], price: MONEY_DECIMAL });
export const AGGREGATOR_SIGNALS = decimalColumns('aggregator_signals', { price: MONEY_DECIMAL, exit_price: MONEY_DECIMAL });

export const SIGNALS_AGGREGATOR_DECIMAL_COLUMNS = [CONSENSUS_SIGNALS, AGGREGATOR_SIGNALS].flatMap((t) => Object.values(t));

/**
 * The DECIMAL columns of risk's tables (shared/migrations/006), declared once: input is validated
 * against them, and columns.int.test.ts checks them against the migrated schema. (Limits are
 * stored as JSON in risk_limits; they are validated with the same bounds as the money columns.)
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const RISK_EVENTS = decimalColumns('risk_events', {
  requested_qty: MONEY_DECIMAL,
  approved_qty: MONEY_DECIMAL,
  price: MONEY_DECIMAL,
  equity: MONEY_DECIMAL,
});

export const RISK_DECIMAL_COLUMNS = Object.values(RISK_EVENTS);

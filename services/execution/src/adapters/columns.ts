/**
 * The DECIMAL columns of execution's tables (shared/migrations/007), declared once: input is
 * validated against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const ORDERS = decimalColumns('orders', {
  qty: MONEY_DECIMAL,
  limit_price: MONEY_DECIMAL,
  filled_qty: MONEY_DECIMAL,
  avg_fill_price: MONEY_DECIMAL,
  fees: MONEY_DECIMAL,
});
export const TRADES = decimalColumns('trades', { qty: MONEY_DECIMAL, price: MONEY_DECIMAL, fee: MONEY_DECIMAL });

export const EXECUTION_DECIMAL_COLUMNS = [ORDERS, TRADES].flatMap((t) => Object.values(t));

/**
 * The DECIMAL columns of portfolio's tables (shared/migrations/008), declared once: input is
 * validated against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const PORTFOLIO_STATE = decimalColumns('portfolio_state', {
  initial_capital: MONEY_DECIMAL,
  peak_equity: MONEY_DECIMAL,
  start_of_day_equity: MONEY_DECIMAL,
});
export const APPLIED_FILLS = decimalColumns('applied_fills', { qty: MONEY_DECIMAL, price: MONEY_DECIMAL, fee: MONEY_DECIMAL, realized_pnl: MONEY_DECIMAL });
export const BALANCES = decimalColumns('balances', { total: MONEY_DECIMAL });
export const PORTFOLIO_POSITIONS = decimalColumns('portfolio_positions', {
  qty: MONEY_DECIMAL,
  avg_entry_price: MONEY_DECIMAL,
  realized_pnl: MONEY_DECIMAL,
  fees: MONEY_DECIMAL,
});
export const PORTFOLIO_SNAPSHOTS = decimalColumns('portfolio_snapshots', {
  equity: MONEY_DECIMAL,
  cash: MONEY_DECIMAL,
  realized_pnl: MONEY_DECIMAL,
  unrealized_pnl: MONEY_DECIMAL,
  fees: MONEY_DECIMAL,
  gross_exposure: MONEY_DECIMAL,
  net_exposure: MONEY_DECIMAL,
  peak_equity: MONEY_DECIMAL,
  drawdown_ratio: MONEY_DECIMAL,
  start_of_day_equity: MONEY_DECIMAL,
  daily_pnl: MONEY_DECIMAL,
});

export const PORTFOLIO_DECIMAL_COLUMNS = [PORTFOLIO_STATE, APPLIED_FILLS, BALANCES, PORTFOLIO_POSITIONS, PORTFOLIO_SNAPSHOTS].flatMap((t) => Object.values(t));

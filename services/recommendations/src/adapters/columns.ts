/**
 * The DECIMAL columns of recommendations' tables (shared/migrations/005), declared once:
 * input is validated against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const TRADE_RECOMMENDATIONS = decimalColumns('trade_recommendations', {
  confidence: MONEY_DECIMAL,
  hit_rate: MONEY_DECIMAL,
  win_probability: MONEY_DECIMAL,
  payoff_ratio: MONEY_DECIMAL,
  kelly_fraction: MONEY_DECIMAL,
  fraction: MONEY_DECIMAL,
  equity: MONEY_DECIMAL,
  qty: MONEY_DECIMAL,
  approved_qty: MONEY_DECIMAL,
  price: MONEY_DECIMAL,
  notional: MONEY_DECIMAL,
  atr: MONEY_DECIMAL,
  stop_loss: MONEY_DECIMAL,
  take_profit: MONEY_DECIMAL,
  filled_qty: MONEY_DECIMAL,
  avg_fill_price: MONEY_DECIMAL,
});

export const RECOMMENDATIONS_DECIMAL_COLUMNS = Object.values(TRADE_RECOMMENDATIONS);

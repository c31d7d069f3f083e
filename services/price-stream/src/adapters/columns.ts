/**
 * The DECIMAL columns of price-stream's tables (shared/migrations/001, 002), declared once:
 * input is validated against them, and columns.int.test.ts checks them against the migrated schema.
 */
import { decimalColumns, MONEY_DECIMAL } from '@cte/shared';

export const CRYPTO_PRICES = decimalColumns('crypto_prices', {
  open: MONEY_DECIMAL,
  high: MONEY_DECIMAL,
  low: MONEY_DECIMAL,
  close: MONEY_DECIMAL,
  volume: MONEY_DECIMAL,
});

export const PRICE_MONITORS = decimalColumns('price_monitors', { threshold_pct: [12, 6] });

export const PRICE_ALERTS = decimalColumns('price_alerts', {
  change_pct: [18, 8],
  reference_price: MONEY_DECIMAL,
  price: MONEY_DECIMAL,
});

/** price_monitors.id is VARCHAR(36). */
export const MONITOR_ID_MAX_LENGTH = 36;

export const PRICE_STREAM_DECIMAL_COLUMNS = [CRYPTO_PRICES, PRICE_MONITORS, PRICE_ALERTS].flatMap((t) => Object.values(t));

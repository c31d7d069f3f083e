-- 008: the portfolio ledger. Owner: portfolio (DESIGN.md principle 6).
-- Money, quantities and prices are exact DECIMAL(36,18). Times are epoch ms (BIGINT): `ts`,
-- `fill_ts`, `data_ts`, `day_start`, `peak_at` are data time where they come from the market or
-- the venue; `applied_at`, `updated_at`, `created_at` and snapshot `ts` are wall time.

-- One row: the ledger's version (fills applied so far, also the write fence), the seeded capital,
-- and the equity watermarks that must survive a restart.
CREATE TABLE IF NOT EXISTS portfolio_state (
  id TINYINT UNSIGNED NOT NULL COMMENT 'always 1',
  seq BIGINT UNSIGNED NOT NULL COMMENT 'fills applied: each fill transaction bumps it from the value the writer expects',
  quote_currency VARCHAR(20) NOT NULL COMMENT 'currency equity is measured in',
  initial_capital DECIMAL(36,18) NOT NULL COMMENT 'seeded once into balances',
  peak_equity DECIMAL(36,18) NOT NULL COMMENT 'highest equity seen (drawdown reference)',
  peak_at BIGINT NULL COMMENT 'data time of the peak',
  day_start BIGINT NULL COMMENT 'UTC midnight (data time) of the current day; NULL before the first price',
  start_of_day_equity DECIMAL(36,18) NULL COMMENT 'equity when that day began',
  data_ts BIGINT NULL COMMENT 'newest price time seen',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every fill the ledger applied, in application order (seq): the idempotency key (a redelivered
-- fill hits the primary key and is skipped) and the audit log the books can be recomputed from.
CREATE TABLE IF NOT EXISTS applied_fills (
  fill_id VARCHAR(128) NOT NULL COMMENT 'execution''s trades.id',
  seq BIGINT UNSIGNED NOT NULL COMMENT 'portfolio_state.seq after this fill',
  venue VARCHAR(32) NOT NULL,
  venue_trade_id VARCHAR(128) NOT NULL,
  order_id VARCHAR(128) NOT NULL,
  client_order_id VARCHAR(128) NOT NULL,
  symbol VARCHAR(41) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USD',
  side ENUM('buy','sell') NOT NULL,
  qty DECIMAL(36,18) NOT NULL COMMENT 'base quantity > 0',
  price DECIMAL(36,18) NOT NULL,
  fee DECIMAL(36,18) NOT NULL,
  fee_currency VARCHAR(20) NOT NULL,
  liquidity ENUM('maker','taker') NOT NULL,
  realized_pnl DECIMAL(36,18) NOT NULL COMMENT 'realised PnL this fill booked (gross of fees)',
  fill_ts BIGINT NOT NULL COMMENT 'venue time of the fill',
  trace_id VARCHAR(64) NOT NULL,
  stream_id VARCHAR(64) NOT NULL COMMENT 'events.fills entry id it arrived with',
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (fill_id),
  UNIQUE KEY uq_applied_fills_seq (seq),
  UNIQUE KEY uq_applied_fills_venue_trade (venue, venue_trade_id),
  KEY idx_applied_fills_symbol_seq (symbol, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Cash and coin balances per asset (signed: a short's base asset is negative).
CREATE TABLE IF NOT EXISTS balances (
  asset VARCHAR(20) NOT NULL,
  total DECIMAL(36,18) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (asset)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per symbol ever traded; a closed position keeps its realised PnL and fees.
CREATE TABLE IF NOT EXISTS portfolio_positions (
  symbol VARCHAR(41) NOT NULL,
  qty DECIMAL(36,18) NOT NULL COMMENT 'signed: < 0 is short',
  avg_entry_price DECIMAL(36,18) NOT NULL COMMENT '0 when flat',
  realized_pnl DECIMAL(36,18) NOT NULL COMMENT 'gross of fees',
  fees DECIMAL(36,18) NOT NULL COMMENT 'in the quote currency',
  fills BIGINT UNSIGNED NOT NULL,
  last_fill_id VARCHAR(128) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (symbol)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The equity curve: one row per SNAPSHOT_INTERVAL_MS while anything changed.
CREATE TABLE IF NOT EXISTS portfolio_snapshots (
  id BIGINT NOT NULL AUTO_INCREMENT,
  ts BIGINT NOT NULL COMMENT 'wall time of the snapshot',
  data_ts BIGINT NULL COMMENT 'newest price time seen (data time)',
  equity DECIMAL(36,18) NOT NULL,
  cash DECIMAL(36,18) NOT NULL,
  realized_pnl DECIMAL(36,18) NOT NULL,
  unrealized_pnl DECIMAL(36,18) NOT NULL,
  fees DECIMAL(36,18) NOT NULL,
  gross_exposure DECIMAL(36,18) NOT NULL,
  net_exposure DECIMAL(36,18) NOT NULL,
  peak_equity DECIMAL(36,18) NOT NULL,
  drawdown_ratio DECIMAL(36,18) NOT NULL,
  start_of_day_equity DECIMAL(36,18) NULL,
  daily_pnl DECIMAL(36,18) NOT NULL,
  open_positions INT UNSIGNED NOT NULL,
  fills_applied BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id),
  KEY idx_portfolio_snapshots_ts (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 002: price-move monitors and the alerts they raise. Owner: the price monitor service.
-- Times are epoch ms (BIGINT); prices exact DECIMAL(36,18).
CREATE TABLE IF NOT EXISTS price_monitors (
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  symbol VARCHAR(32) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USDT',
  threshold_pct DECIMAL(12,6) NOT NULL COMMENT 'alert when |change| >= this percent',
  window_ms BIGINT NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL COMMENT 'epoch ms',
  stopped_at BIGINT NULL COMMENT 'epoch ms; NULL while active',
  PRIMARY KEY (id),
  KEY idx_monitors_active_symbol (active, symbol)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS price_alerts (
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  monitor_id VARCHAR(36) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  direction ENUM('up','down') NOT NULL,
  change_pct DECIMAL(18,8) NOT NULL,
  reference_price DECIMAL(36,18) NOT NULL,
  price DECIMAL(36,18) NOT NULL,
  window_ms BIGINT NOT NULL,
  ts BIGINT NOT NULL COMMENT 'epoch ms of the tick that triggered the alert',
  trace_id VARCHAR(64) NULL,
  PRIMARY KEY (id),
  KEY idx_alerts_symbol_ts (symbol, ts),
  KEY idx_alerts_ts (ts),
  KEY idx_alerts_monitor_ts (monitor_id, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

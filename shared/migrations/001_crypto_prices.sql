-- 001: OHLCV bars. Owner: price-stream (DESIGN.md principle 6).
-- Prices and volume are exact DECIMAL(36,18) (principle 5); times are epoch ms.
CREATE TABLE IF NOT EXISTS crypto_prices (
  id BIGINT NOT NULL AUTO_INCREMENT,
  exchange VARCHAR(32) NOT NULL COMMENT 'ccxt exchange id, e.g. binance',
  symbol VARCHAR(32) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USDT',
  timeframe VARCHAR(4) NOT NULL COMMENT '1m, 5m, 1h, 1d ...',
  open_time BIGINT NOT NULL COMMENT 'epoch ms, bar start (inclusive)',
  close_time BIGINT NOT NULL COMMENT 'epoch ms, bar end',
  `open` DECIMAL(36,18) NOT NULL,
  high DECIMAL(36,18) NOT NULL,
  low DECIMAL(36,18) NOT NULL,
  `close` DECIMAL(36,18) NOT NULL,
  volume DECIMAL(36,18) NOT NULL DEFAULT 0,
  trades INT UNSIGNED NULL COMMENT 'trade count; NULL when the source does not report it',
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_bar (exchange, symbol, timeframe, open_time),
  KEY idx_symbol_timeframe_time (symbol, timeframe, open_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

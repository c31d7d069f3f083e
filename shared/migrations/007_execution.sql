-- 007: orders and fills. Owner: execution (DESIGN.md principle 6).
-- Quantities, prices and fees are exact DECIMAL(36,18). Times are BIGINT epoch ms: `ts` of a trade
-- is data time (the market's clock at the fill, also under replay); `created_at`, `updated_at`,
-- `sent_at`, `recorded_at` are wall time.

-- One row per order. client_order_id is the idempotency key: the row is written BEFORE anything is
-- sent to a venue, and a second Submit with the same client_order_id returns this row.
CREATE TABLE IF NOT EXISTS orders (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  client_order_id VARCHAR(128) NOT NULL COMMENT 'idempotency key, from the caller (recommendations derives it from the recommendation id)',
  venue VARCHAR(32) NOT NULL COMMENT 'mock | ccxt exchange id',
  venue_order_id VARCHAR(128) NULL COMMENT 'the venue''s id, once submitted',
  symbol VARCHAR(41) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USD',
  side ENUM('buy','sell') NOT NULL,
  type ENUM('market','limit') NOT NULL,
  qty DECIMAL(36,18) NOT NULL COMMENT 'base quantity ordered, > 0',
  limit_price DECIMAL(36,18) NULL COMMENT 'limit orders only',
  status ENUM('NEW','SUBMITTED','PARTIALLY_FILLED','FILLED','CANCELED','REJECTED','EXPIRED','FAILED') NOT NULL,
  filled_qty DECIMAL(36,18) NOT NULL DEFAULT 0,
  avg_fill_price DECIMAL(36,18) NULL COMMENT 'volume-weighted, NULL before the first fill',
  fees DECIMAL(36,18) NOT NULL DEFAULT 0 COMMENT 'sum of fill fees, in fee_currency',
  fee_currency VARCHAR(20) NOT NULL COMMENT 'quote currency of the symbol',
  reason VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'why rejected / failed / canceled / expired',
  recommendation_id VARCHAR(128) NOT NULL DEFAULT '',
  trace_id VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL COMMENT 'wall time',
  updated_at BIGINT NOT NULL COMMENT 'wall time',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_orders_id (id),
  UNIQUE KEY uq_orders_client_order_id (client_order_id),
  KEY idx_orders_status_seq (status, seq),
  KEY idx_orders_symbol_seq (symbol, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per fill (an execution of part of an order). A fill is unique per (venue, venue_trade_id).
CREATE TABLE IF NOT EXISTS trades (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(36) NOT NULL COMMENT 'uuid; fill_id on events.fills',
  order_id VARCHAR(36) NOT NULL,
  client_order_id VARCHAR(128) NOT NULL,
  venue VARCHAR(32) NOT NULL,
  venue_trade_id VARCHAR(128) NOT NULL,
  symbol VARCHAR(41) NOT NULL,
  side ENUM('buy','sell') NOT NULL,
  qty DECIMAL(36,18) NOT NULL COMMENT 'base quantity, > 0',
  price DECIMAL(36,18) NOT NULL,
  fee DECIMAL(36,18) NOT NULL,
  fee_currency VARCHAR(20) NOT NULL,
  liquidity ENUM('maker','taker') NOT NULL,
  ts BIGINT NOT NULL COMMENT 'data time of the fill at the venue',
  trace_id VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL COMMENT 'wall time recorded',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_trades_id (id),
  UNIQUE KEY uq_trades_venue_trade (venue, venue_trade_id),
  KEY idx_trades_order (order_id, seq),
  KEY idx_trades_symbol_seq (symbol, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Transactional outbox of fills: written in the same transaction as the trade row; a relay appends
-- unsent rows to the durable stream events.fills and then sets sent_at (at-least-once delivery).
CREATE TABLE IF NOT EXISTS execution_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT,
  fill_id VARCHAR(36) NOT NULL COMMENT 'trades.id',
  payload JSON NOT NULL COMMENT 'the FillMessage',
  trace_id VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL COMMENT 'wall time committed',
  sent_at BIGINT NULL COMMENT 'wall time appended to the stream; NULL = pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'failed append attempts',
  PRIMARY KEY (id),
  UNIQUE KEY uq_outbox_fill (fill_id),
  KEY idx_outbox_pending (sent_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The last fleet-wide trading state (kill switch) execution learned from risk, so a restart while
-- risk is down keeps a HALT or REDUCING in force. One row (id = 1).
CREATE TABLE IF NOT EXISTS execution_trading_state (
  id TINYINT UNSIGNED NOT NULL,
  state ENUM('ACTIVE','REDUCING','HALTED') NOT NULL,
  reason VARCHAR(256) NOT NULL DEFAULT '',
  updated_at BIGINT NOT NULL COMMENT 'risk''s updated_at of this state',
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  source VARCHAR(16) NOT NULL COMMENT 'risk_grpc | bus',
  recorded_at BIGINT NOT NULL COMMENT 'wall time execution stored it',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 006: pre-trade risk. Owner: risk (DESIGN.md principle 6).
-- Times are epoch ms (BIGINT). `ts` of a check is data time (the newest price tick risk has seen,
-- so replays count days by the market's clock); `created_at` / `updated_at` are wall time.
-- Quantities, prices and money are exact DECIMAL(36,18).

-- Every decision (kind 'check'), every trading-state change (kind 'trading_state') and every
-- limits change (kind 'limits'). Check events are written behind (batched) by the service.
CREATE TABLE IF NOT EXISTS risk_events (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(36) NOT NULL COMMENT 'uuid; CheckResponse.event_id',
  kind ENUM('check','trading_state','limits') NOT NULL,
  recommendation_id VARCHAR(128) NULL COMMENT 'checks only',
  final TINYINT(1) NOT NULL DEFAULT 1 COMMENT '0: a transient rejection (portfolio_unavailable) that a retry decides again',
  check_key VARCHAR(128) AS (CASE WHEN kind = 'check' AND final = 1 THEN recommendation_id END) PERSISTENT
    COMMENT 'one final decision per recommendation_id (idempotent Check)',
  symbol VARCHAR(41) NULL,
  side ENUM('buy','sell') NULL,
  decision ENUM('APPROVED','RESIZED','REJECTED') NULL,
  reasons JSON NOT NULL COMMENT 'array of reason codes',
  requested_qty DECIMAL(36,18) NULL,
  approved_qty DECIMAL(36,18) NULL,
  price DECIMAL(36,18) NULL COMMENT 'price the order was valued at',
  equity DECIMAL(36,18) NULL COMMENT 'portfolio equity at decision time',
  reduces_position TINYINT(1) NULL,
  trading_state ENUM('ACTIVE','REDUCING','HALTED') NOT NULL COMMENT 'state at decision time; for trading_state events the new state',
  previous_state ENUM('ACTIVE','REDUCING','HALTED') NULL COMMENT 'trading_state events',
  updated_by VARCHAR(64) NULL COMMENT 'trading_state / limits events: operator, circuit_breaker, ...',
  message VARCHAR(1000) NULL COMMENT 'trading_state: the reason given; limits: the change as JSON',
  trace_id VARCHAR(64) NULL,
  ts BIGINT NOT NULL COMMENT 'checks: data time; other kinds: wall time',
  day INT NULL COMMENT 'checks: UTC day number (ts / 86400000) the trade counts belong to',
  created_at BIGINT NOT NULL COMMENT 'wall time',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_risk_events_id (id),
  UNIQUE KEY uq_risk_events_check (check_key),
  KEY idx_risk_events_recommendation (recommendation_id),
  KEY idx_risk_events_kind_seq (kind, seq),
  KEY idx_risk_events_decision_seq (decision, seq),
  KEY idx_risk_events_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Limits set through PUT /limits or UpdateLimits. A row overrides the env default of that one
-- limit; limits without a row follow the environment.
CREATE TABLE IF NOT EXISTS risk_limits (
  name VARCHAR(64) NOT NULL,
  value JSON NOT NULL COMMENT 'decimal string, integer string, or array of symbols',
  updated_at BIGINT NOT NULL COMMENT 'wall time',
  updated_by VARCHAR(64) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The fleet-wide trading state (kill switch): one row, id = 1. No row = ACTIVE.
CREATE TABLE IF NOT EXISTS trading_state (
  id TINYINT UNSIGNED NOT NULL,
  state ENUM('ACTIVE','REDUCING','HALTED') NOT NULL,
  reason VARCHAR(1000) NOT NULL,
  updated_at BIGINT NOT NULL COMMENT 'wall time',
  updated_by VARCHAR(64) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT chk_trading_state_single_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

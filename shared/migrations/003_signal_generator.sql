-- 003: strategy agents, their logs and tasks, and the signals of agents and ML models.
-- Owner: signal-generator (DESIGN.md principle 6). Times are epoch ms (BIGINT); prices DECIMAL(36,18).

CREATE TABLE IF NOT EXISTS agents (
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  name VARCHAR(64) NOT NULL COMMENT 'unique, e.g. btc_trend_follower',
  type VARCHAR(32) NOT NULL COMMENT 'ml_model, trend_follower, mean_reversion, breakout',
  symbol VARCHAR(32) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USDT',
  timeframe VARCHAR(4) NOT NULL COMMENT '1m, 5m, 15m, 1h, 4h, 1d',
  config JSON NOT NULL COMMENT 'validated config with defaults filled: leverage, horizon_ms and the type''s parameters',
  status ENUM('stopped','running','error') NOT NULL DEFAULT 'stopped',
  created_at BIGINT NOT NULL COMMENT 'epoch ms',
  updated_at BIGINT NOT NULL COMMENT 'epoch ms',
  version INT UNSIGNED NOT NULL DEFAULT 1 COMMENT 'optimistic locking: every change increments it',
  PRIMARY KEY (id),
  UNIQUE KEY uq_agents_name (name),
  KEY idx_agents_status (status),
  KEY idx_agents_type_status (type, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS agent_logs (
  id BIGINT NOT NULL AUTO_INCREMENT,
  agent_id VARCHAR(36) NOT NULL,
  level ENUM('debug','info','warn','error') NOT NULL,
  message VARCHAR(1024) NOT NULL,
  data JSON NULL,
  ts BIGINT NOT NULL COMMENT 'epoch ms',
  PRIMARY KEY (id),
  KEY idx_agent_logs_agent_ts (agent_id, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS agent_tasks (
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  agent_id VARCHAR(36) NOT NULL,
  status ENUM('queued','running','succeeded','failed','cancelled') NOT NULL DEFAULT 'queued',
  priority INT NOT NULL DEFAULT 5 COMMENT 'higher runs first',
  parameters JSON NOT NULL,
  result JSON NULL,
  error VARCHAR(2048) NULL COMMENT 'last error; kept while a retry waits',
  attempts INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'attempts started so far',
  max_attempts INT UNSIGNED NOT NULL,
  timeout_ms INT UNSIGNED NOT NULL COMMENT 'per attempt',
  queued_at BIGINT NOT NULL COMMENT 'epoch ms',
  started_at BIGINT NULL COMMENT 'epoch ms, first attempt',
  finished_at BIGINT NULL COMMENT 'epoch ms',
  next_attempt_at BIGINT NULL COMMENT 'epoch ms; a queued retry waits until then',
  PRIMARY KEY (id),
  KEY idx_agent_tasks_status (status, priority, queued_at),
  KEY idx_agent_tasks_agent (agent_id, queued_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS ml_signals (
  id VARCHAR(128) NOT NULL,
  agent_id VARCHAR(128) NOT NULL COMMENT 'the source: an agent id or a model source id',
  source_type VARCHAR(32) NOT NULL COMMENT 'ml_model, trend_follower, ...',
  symbol VARCHAR(32) NOT NULL,
  timeframe VARCHAR(4) NOT NULL,
  side ENUM('BUY','SELL','HOLD') NOT NULL,
  confidence DECIMAL(10,8) NOT NULL COMMENT '0..1',
  horizon_ms BIGINT NOT NULL,
  price DECIMAL(36,18) NOT NULL COMMENT 'close of the bar the signal was made on',
  model_version VARCHAR(64) NULL,
  features_ref VARCHAR(200) NULL,
  bar_time BIGINT NOT NULL COMMENT 'epoch ms, open time of the bar',
  created_at BIGINT NOT NULL COMMENT 'epoch ms',
  trace_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_ml_signals_bar (agent_id, symbol, timeframe, bar_time),
  KEY idx_ml_signals_symbol_time (symbol, bar_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

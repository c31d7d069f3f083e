-- 004: consensus across signal sources. Owner: signals-aggregator (DESIGN.md principle 6).
-- Times are epoch ms (BIGINT): `ts`, `bar_time`, `as_of`, `due_at`, `scored_at` are data time
-- (the market's clock, also under replay); `created_at`, `received_at`, `updated_at` wall time.
-- Prices are exact DECIMAL(36,18).

-- Every consensus the aggregator computed (one row per accepted signal), newest = highest seq.
CREATE TABLE IF NOT EXISTS consensus_signals (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  symbol VARCHAR(41) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USDT',
  side ENUM('BUY','SELL','HOLD') NOT NULL,
  confidence DECIMAL(10,8) NOT NULL COMMENT '0..1',
  agreement DECIMAL(10,8) NOT NULL COMMENT 'weight share of the leading side, 0..1',
  sources INT UNSIGNED NOT NULL COMMENT 'distinct contributing sources',
  signal_ids JSON NOT NULL COMMENT 'contributing signal ids',
  price DECIMAL(36,18) NOT NULL COMMENT 'latest price of the symbol',
  ts BIGINT NOT NULL COMMENT 'data time the consensus is as of',
  reason VARCHAR(16) NOT NULL COMMENT 'consensus, hold, tie, no_quorum, low_agreement, no_signals',
  trace_id VARCHAR(64) NOT NULL COMMENT 'trace id of the signal that triggered it',
  created_at BIGINT NOT NULL COMMENT 'wall time',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_consensus_id (id),
  KEY idx_consensus_symbol_seq (symbol, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The signals the aggregator accepted, with their scoring outcome. Bounded: the service keeps
-- the newest SIGNALS_RETAIN rows. (ml_signals belongs to signal-generator.)
CREATE TABLE IF NOT EXISTS aggregator_signals (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(128) NOT NULL COMMENT 'signal id',
  agent_id VARCHAR(128) NOT NULL COMMENT 'the source',
  source_type VARCHAR(32) NOT NULL,
  symbol VARCHAR(41) NOT NULL,
  timeframe VARCHAR(4) NOT NULL,
  side ENUM('BUY','SELL','HOLD') NOT NULL,
  confidence DOUBLE NOT NULL COMMENT '0..1, as received',
  horizon_ms BIGINT NOT NULL,
  price DECIMAL(36,18) NOT NULL COMMENT 'close of the bar the signal was made on',
  bar_time BIGINT NOT NULL COMMENT 'open time of that bar',
  as_of BIGINT NOT NULL COMMENT 'bar_time + timeframe: when price was current',
  due_at BIGINT NOT NULL COMMENT 'as_of + horizon_ms: first price time that scores it',
  created_at BIGINT NOT NULL COMMENT 'wall time the signal was made',
  received_at BIGINT NOT NULL COMMENT 'wall time the aggregator stored it',
  trace_id VARCHAR(64) NOT NULL,
  model_version VARCHAR(64) NULL,
  features_ref VARCHAR(200) NULL,
  outcome ENUM('pending','hit','miss','unscored') NOT NULL COMMENT 'unscored: HOLD signals',
  exit_price DECIMAL(36,18) NULL COMMENT 'price that scored it',
  scored_at BIGINT NULL COMMENT 'data time of that price',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_aggregator_signal_id (id),
  KEY idx_agg_signals_symbol_seq (symbol, seq),
  KEY idx_agg_signals_agent_seq (agent_id, seq),
  KEY idx_agg_signals_symbol_as_of (symbol, as_of),
  KEY idx_agg_signals_outcome (outcome)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each source's track record, so weights survive restarts.
CREATE TABLE IF NOT EXISTS source_stats (
  agent_id VARCHAR(128) NOT NULL,
  source_type VARCHAR(32) NOT NULL,
  hits BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'scored signals that were right',
  scored BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'scored signals',
  last_scored_at BIGINT NULL COMMENT 'data time of the last scoring price',
  updated_at BIGINT NOT NULL COMMENT 'wall time',
  PRIMARY KEY (agent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 005: trade recommendations. Owner: recommendations (DESIGN.md principle 6).
-- Times are epoch ms (BIGINT): `consensus_ts` is data time (the market's clock, also under
-- replay); every other time is wall time. Money, prices and quantities are exact DECIMAL(36,18);
-- the Kelly ratios are DECIMAL(36,18) too (they are computed with decimal.js).

-- One row per recommendation: sized from a consensus (source = consensus) or proposed by
-- portfolio's rebalancing / an operator (source = rebalance | manual). `status` follows the
-- lifecycle enforced by the service's state machine; every change is in recommendation_events.
CREATE TABLE IF NOT EXISTS trade_recommendations (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id VARCHAR(36) NOT NULL COMMENT 'uuid',
  symbol VARCHAR(41) NOT NULL COMMENT 'ccxt unified symbol, e.g. BTC/USDT',
  side ENUM('buy','sell') NOT NULL,
  status ENUM('pending','approved','resized','rejected','submitted','filled','partially_filled','failed','expired') NOT NULL,
  source ENUM('consensus','rebalance','manual') NOT NULL,
  consensus_id VARCHAR(128) NULL COMMENT 'the consensus it was sized from; unique = deduplication',
  consensus_ts BIGINT NULL COMMENT 'data time of that consensus (cooldown)',
  idempotency_key VARCHAR(128) NULL COMMENT 'Propose: unique = idempotency',
  confidence DECIMAL(36,18) NULL COMMENT 'consensus confidence, 0..1',
  hit_rate DECIMAL(36,18) NULL COMMENT 'weighted hit rate of the sources used for calibration',
  calibration VARCHAR(16) NULL COMMENT 'track_record | prior',
  win_probability DECIMAL(36,18) NULL COMMENT 'calibrated p',
  payoff_ratio DECIMAL(36,18) NULL COMMENT 'b',
  kelly_fraction DECIMAL(36,18) NULL COMMENT 'f* = p - (1-p)/b, before scaling (may be negative)',
  fraction DECIMAL(36,18) NULL COMMENT 'of equity, after fractional Kelly, confidence and caps',
  equity DECIMAL(36,18) NULL COMMENT 'portfolio equity used for sizing',
  qty DECIMAL(36,18) NOT NULL COMMENT 'proposed base quantity (0 when sizing found no trade)',
  approved_qty DECIMAL(36,18) NULL COMMENT 'from risk: = qty when approved, smaller when resized, 0 when rejected',
  price DECIMAL(36,18) NULL COMMENT 'reference price',
  notional DECIMAL(36,18) NULL COMMENT 'qty x price',
  atr DECIMAL(36,18) NULL COMMENT 'ATR of the symbol when sized',
  stop_loss DECIMAL(36,18) NULL,
  take_profit DECIMAL(36,18) NULL,
  client_order_id VARCHAR(64) NULL COMMENT 'rec-<id>; persisted before the order is sent',
  order_id VARCHAR(64) NULL COMMENT 'execution order id, once acknowledged',
  order_status VARCHAR(20) NULL COMMENT 'latest execution order status seen',
  filled_qty DECIMAL(36,18) NULL,
  avg_fill_price DECIMAL(36,18) NULL,
  risk_event_id VARCHAR(64) NULL,
  reasons JSON NOT NULL COMMENT 'machine-readable reason codes (sizing, risk, execution)',
  note VARCHAR(500) NULL COMMENT 'free text reason given to Propose',
  submit_attempts INT UNSIGNED NOT NULL DEFAULT 0,
  trace_id VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL COMMENT 'last status change',
  checked_at BIGINT NULL COMMENT 'last time the sweeper re-drove or polled it',
  PRIMARY KEY (seq),
  UNIQUE KEY uq_rec_id (id),
  UNIQUE KEY uq_rec_consensus (consensus_id),
  UNIQUE KEY uq_rec_idempotency (idempotency_key),
  UNIQUE KEY uq_rec_client_order (client_order_id),
  KEY idx_rec_symbol_side_status (symbol, side, status),
  KEY idx_rec_status_updated (status, updated_at),
  KEY idx_rec_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The status history: one row per transition (the first has from_status NULL), with its reason.
CREATE TABLE IF NOT EXISTS recommendation_events (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  recommendation_id VARCHAR(36) NOT NULL,
  from_status VARCHAR(20) NULL,
  to_status VARCHAR(20) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  ts BIGINT NOT NULL COMMENT 'wall time',
  PRIMARY KEY (seq),
  KEY idx_rec_events_rec (recommendation_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

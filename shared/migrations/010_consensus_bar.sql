-- 010: one consensus decision per (symbol, timeframe, bar) (issue 13). Decisions are keyed by the
-- bar they are for; the unique key makes a second decision of the same bar (a restart, a second
-- replica) fail instead of trading twice. Rows from before this file keep NULLs, which never
-- collide. Owner: signals-aggregator.
ALTER TABLE consensus_signals
  ADD COLUMN IF NOT EXISTS timeframe VARCHAR(8) NULL COMMENT 'timeframe of the bar decided' AFTER symbol,
  ADD COLUMN IF NOT EXISTS bar_time BIGINT NULL COMMENT 'open time of the bar decided (epoch ms); ts is its close' AFTER timeframe,
  ADD UNIQUE KEY IF NOT EXISTS uq_consensus_bar (symbol, timeframe, bar_time);

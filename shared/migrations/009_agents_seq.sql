-- 009: a creation sequence for agents. Two agents created in the same millisecond had no stable
-- order (created_at, then a random UUID); listings now order by seq. Owner: signal-generator.
ALTER TABLE agents
  ADD COLUMN IF NOT EXISTS seq BIGINT NOT NULL AUTO_INCREMENT,
  ADD UNIQUE KEY IF NOT EXISTS uq_agents_seq (seq);

-- 011: the operator console's audit log: every state-changing action an operator takes through
-- the console, with the operator's name, written before the action runs and completed with its
-- outcome. Owner: console.
CREATE TABLE IF NOT EXISTS console_audit (
  id BIGINT NOT NULL AUTO_INCREMENT,
  ts BIGINT NOT NULL,
  operator VARCHAR(64) NOT NULL,
  role VARCHAR(16) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target VARCHAR(128) NOT NULL DEFAULT '',
  detail TEXT NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  error VARCHAR(512) NOT NULL DEFAULT '',
  trace_id VARCHAR(64) NOT NULL DEFAULT '',
  finished_at BIGINT NULL,
  PRIMARY KEY (id),
  KEY idx_console_audit_ts (ts),
  KEY idx_console_audit_operator (operator, ts)
);

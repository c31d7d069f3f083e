-- 012: the data time an order is as of (issue 13: same data, same trades). The paper venue fills
-- an order at the first price at or after it; stored so an open order restored after a restart
-- still fills that way. NULL = none (rows from before this file, callers that give none).
-- Owner: execution.
ALTER TABLE orders
  ADD COLUMN IF NOT EXISTS data_time BIGINT NULL COMMENT 'data time (epoch ms) the order is as of; the paper venue fills at the first price at or after it' AFTER trace_id;

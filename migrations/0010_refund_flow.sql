-- Version 10: what the refund and points flows at the counter keep beyond version 7.
--
-- A refund is sent to the server one line at a time (the server's refunds are per line code or
-- device), so each refund line keeps the id of its outbox event and the server's last answer;
-- the refund's own status follows from its lines' answers. How the till approved the refund
-- (within policy, a manager's PIN, or left to the seller) and the customer it was for are kept
-- for the audit and the order's history. A points change keeps its outbox event too, so the
-- server's answer (balance, level, or why it was rejected) lands on the right ledger row.

ALTER TABLE refunds ADD COLUMN approval TEXT NOT NULL DEFAULT 'policy'
    CHECK (approval IN ('policy', 'manager', 'seller'));
ALTER TABLE refunds ADD COLUMN customer_ref TEXT;
ALTER TABLE refunds ADD COLUMN points_value_minor INTEGER NOT NULL DEFAULT 0;  -- part given back as points

ALTER TABLE refund_lines ADD COLUMN event_id TEXT;
ALTER TABLE refund_lines ADD COLUMN server_status TEXT;   -- refunded, pending_seller_confirmation, rejected
CREATE UNIQUE INDEX refund_lines_by_event ON refund_lines (event_id) WHERE event_id IS NOT NULL;

ALTER TABLE points_ledger ADD COLUMN event_id TEXT;
ALTER TABLE points_ledger ADD COLUMN rejected_reason TEXT;
CREATE UNIQUE INDEX points_by_event ON points_ledger (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX points_by_status ON points_ledger (status) WHERE status <> 'confirmed';
CREATE INDEX refunds_pending ON refunds (status) WHERE status = 'pending';

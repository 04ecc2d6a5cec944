-- Version 14: the last points balance the server gave for each loyalty account, kept so that
-- the till can bound a redemption made while the points server cannot be reached: at most this
-- balance less the redemptions the server has not confirmed yet, and at most the installer's
-- cap. Written whenever the server answers with a balance (an account lookup at the counter, or
-- the answer to a points change, in the same transaction that confirms the change).

CREATE TABLE points_balances (
    customer_ref   TEXT PRIMARY KEY,        -- the loyalty account, 32 hex digits
    balance        INTEGER NOT NULL,        -- as the server answered
    answered_at_ms INTEGER NOT NULL         -- when that answer was recorded
) STRICT;

-- The redemptions still waiting for the server, per account (the offline limit sums them).
CREATE INDEX points_pending_by_customer ON points_ledger (customer_ref) WHERE status = 'pending';

-- Version 17: an earn whose identify token expired before the till could send it (a long time
-- offline) waits for the customer's next identification instead of being rejected. The server
-- refused it `token_expired`; the ledger row stays `pending` and is marked `awaiting_identify`
-- (the receipt still says pending, the manager's list of rejected changes does not show it).
-- The next time the customer is identified at this till, the change is sent again as a new
-- outbox event with the new identify token beside the sale's own (docs/api.md,
-- `identified_again`), in the transaction that clears the mark, so it goes exactly once. Only a
-- pending earn waits: a redemption's token names its sale and cannot be replaced.

ALTER TABLE points_ledger ADD COLUMN awaiting_identify INTEGER NOT NULL DEFAULT 0
    CHECK (awaiting_identify = 0 OR (awaiting_identify = 1 AND status = 'pending' AND kind = 'earn'));

-- The changes an identification looks for, per account.
CREATE INDEX points_awaiting_identify ON points_ledger (customer_ref) WHERE awaiting_identify = 1;

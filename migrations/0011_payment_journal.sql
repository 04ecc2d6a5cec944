-- Version 11: the payment journal (docs/payments.md, "The payment journal").
--
-- One row per payment attempt, written in its own commit BEFORE the authorisation request
-- leaves the till, so that after a crash, a failed recording or a lost answer the till still
-- knows of every approval that has no sale, and reverses it (or, if the sale did record,
-- settles it). `settled` is written in the sale's own transaction. No card data: at most the
-- masked number (first 6, last 4) and the approval code.
--
--   authorising -> approved -> settled
--        |            |
--        |            '-> reversal_pending -> reversed
--        |-> declined        ^
--        '-------------------'   (no answer, or the till stopped before it knew)

CREATE TABLE payment_journal (
    payment_id     TEXT PRIMARY KEY,                 -- the platform's Idempotency-Key of the authorisation
    method         TEXT NOT NULL,                    -- 'card' (later: payment codes)
    platform       TEXT NOT NULL CHECK (platform IN ('payment_platform', 'stand_in', 'offline')),
    checkout_key   TEXT NOT NULL,                    -- the cart: orders.checkout_key of its sale
    cashier_id     INTEGER,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN
                       ('authorising', 'approved', 'declined', 'settled', 'reversal_pending', 'reversed')),
    masked_ref     TEXT,                             -- masked PAN at most
    auth_code      TEXT,
    platform_ref   TEXT,                             -- the platform's own reference, when it gives one
    order_id       INTEGER REFERENCES orders (id),
    reason         TEXT,                             -- why declined or reversed
    last_error     TEXT,                             -- the reversal's last refusal
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    CHECK (state <> 'settled' OR order_id IS NOT NULL)
);
CREATE INDEX payment_journal_unfinished ON payment_journal (state)
    WHERE state IN ('authorising', 'approved', 'reversal_pending');
CREATE INDEX payment_journal_by_checkout ON payment_journal (checkout_key);

-- Version 5: delivery state of outbox events, for the sync worker (crates/till-sync).
--
-- An event is 'pending' (waiting, due at next_attempt_at_ms), 'sending' (claimed by a worker
-- until lease_until_ms; a crashed worker's claim lapses and the event is claimed again), 'done'
-- (the server answered; its answer is kept), 'parked' (the server refused it for good: a
-- manager retries or discards it) or 'discarded' (a manager gave it up; audited).
-- request_body holds the exact bytes sent, fixed before the first attempt, so every retry sends
-- the same body under the same Idempotency-Key (the id). SQLite cannot change a CHECK in place,
-- so the table is rebuilt; versions 1 to 4 only ever wrote 'pending', 'sent' and 'dead'.

CREATE TABLE outbox_v5 (
    id                 TEXT PRIMARY KEY,    -- also the Idempotency-Key sent to the server
    kind               TEXT NOT NULL,
    subject            TEXT NOT NULL,       -- what it is about, e.g. 'order/42'
    payload            TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error         TEXT,
    state              TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'sending', 'done', 'parked', 'discarded')),
    lease_until_ms     INTEGER,             -- while 'sending'
    wire_kind          TEXT,                -- the server's name for the event: sale, refund, ...
    request_body       TEXT,                -- the exact body sent, never changed once set
    response_status    INTEGER,             -- when 'done': the server's status and answer
    response_body      TEXT,
    done_at_ms         INTEGER,
    parked_reason      TEXT,                -- when 'parked' or 'discarded': why
    parked_at_ms       INTEGER
) STRICT;

INSERT INTO outbox_v5 (id, kind, subject, payload, created_at_ms, attempts, next_attempt_at_ms, last_error, state,
                       parked_reason)
SELECT id, kind, subject, payload, created_at_ms, attempts, next_attempt_at_ms, last_error,
       CASE state WHEN 'sent' THEN 'done' WHEN 'dead' THEN 'parked' ELSE 'pending' END,
       CASE state WHEN 'dead' THEN 'given up before schema version 5' ELSE NULL END
FROM outbox ORDER BY rowid;

DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);
CREATE INDEX outbox_queue ON outbox (state, created_at_ms);
CREATE INDEX outbox_by_subject ON outbox (subject);

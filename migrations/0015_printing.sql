-- Version 15: receipt printers, the cash drawer and the customer display.
-- The devices table takes two more roles ('receipt-printer', 'customer-display') and a receipt
-- printer's paper width and code page. SQLite cannot change a CHECK constraint in place: the
-- table is rebuilt (new table, copy, drop, rename). Nothing refers to devices, so foreign keys
-- may stay on.
-- print_jobs is the persisted print queue: a receipt's job is inserted in the same commit as
-- its sale (or refund), so a printer fault never loses a receipt; the worker prints jobs in id
-- order and marks each printed only after the printer said it had no fault. A job found
-- 'sending' at start-up may or may not have printed: it is held as 'interrupted' for the
-- cashier to decide, never printed twice silently (docs/printing.md).

CREATE TABLE devices_new (
    role               TEXT PRIMARY KEY CHECK (role IN ('card-reader', 'points-terminal', 'receipt-printer',
                                                        'customer-display')),
    driver             TEXT NOT NULL,
    uri                TEXT NOT NULL UNIQUE,
    baud               INTEGER CHECK (baud IS NULL OR baud BETWEEN 1200 AND 921600),
    parity             TEXT CHECK (parity IS NULL OR parity IN ('none', 'even', 'odd')),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    swipe_timeout_s    INTEGER CHECK (swipe_timeout_s IS NULL OR swipe_timeout_s BETWEEN 5 AND 300),
    pairing_key_sealed BLOB,
    terminal_id        TEXT,
    paired_at_ms       INTEGER,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    paper_mm           INTEGER CHECK (paper_mm IN (58, 80)),
    code_page          TEXT,
    CHECK ((pairing_key_sealed IS NULL) = (terminal_id IS NULL))
) STRICT;

INSERT INTO devices_new (role, driver, uri, baud, parity, enabled, swipe_timeout_s, pairing_key_sealed, terminal_id,
                         paired_at_ms, created_at_ms, updated_at_ms)
    SELECT role, driver, uri, baud, parity, enabled, swipe_timeout_s, pairing_key_sealed, terminal_id,
           paired_at_ms, created_at_ms, updated_at_ms FROM devices;

DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;

CREATE TABLE print_jobs (
    id            INTEGER PRIMARY KEY,     -- the order jobs print in
    kind          TEXT NOT NULL CHECK (kind IN ('receipt', 'refund', 'report', 'reprint', 'drawer', 'test')),
    order_id      INTEGER REFERENCES orders (id),
    refund_id     INTEGER REFERENCES refunds (id),
    payload       TEXT,                    -- JSON of what to print when it cannot be read back (a report)
    kick_drawer   INTEGER NOT NULL DEFAULT 0 CHECK (kick_drawer IN (0, 1)),
    lang          TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'printed', 'held', 'cancelled')),
    fault         TEXT,                    -- why it is held: paper-end, cover-open, offline, error, no-answer, interrupted
    attempts      INTEGER NOT NULL DEFAULT 0,
    uri           TEXT,                    -- print this job on another printer than the configured one
    created_at_ms INTEGER NOT NULL,
    printed_at_ms INTEGER,
    CHECK ((state = 'held') = (fault IS NOT NULL))
) STRICT;

-- The worker's question, "the first job not yet done", and the screen's list of held jobs.
CREATE INDEX print_jobs_open ON print_jobs (state, id) WHERE state IN ('queued', 'sending', 'held');

-- Version 4: the devices the installer configured. One device per role (a till has one card
-- reader and one points terminal); a URI serves at most one role. The points terminal's pairing
-- key is kept only sealed (AES-256-GCM under the till's local key file, purpose
-- "points-pairing-key"), never in clear. Every change is also written to the audit log.

CREATE TABLE devices (
    role               TEXT PRIMARY KEY CHECK (role IN ('card-reader', 'points-terminal')),
    driver             TEXT NOT NULL,       -- protocol name: magtek-hid, idtech-enhanced, till-points-v1, ...
    uri                TEXT NOT NULL UNIQUE,
    baud               INTEGER CHECK (baud IS NULL OR baud BETWEEN 1200 AND 921600),
    parity             TEXT CHECK (parity IS NULL OR parity IN ('none', 'even', 'odd')),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    swipe_timeout_s    INTEGER CHECK (swipe_timeout_s IS NULL OR swipe_timeout_s BETWEEN 5 AND 300),
    pairing_key_sealed BLOB,                -- sealed pairing key; NULL until paired
    terminal_id        TEXT,                -- the paired terminal's id, as it reported it
    paired_at_ms       INTEGER,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    CHECK ((pairing_key_sealed IS NULL) = (terminal_id IS NULL))
) STRICT;

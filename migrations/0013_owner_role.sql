-- till: foreign_keys off
-- Version 13: the owner role. Only an owner manages the accounts of managers, installers and
-- other owners (a manager manages cashiers only), so the users' CHECK constraint accepts
-- 'owner'. SQLite cannot change a CHECK constraint in place: the table is rebuilt the way
-- SQLite documents (new table, copy, drop, rename), which the runner does with foreign keys
-- off (orders, refunds, open carts and day closes refer to users) and checks them with
-- `PRAGMA foreign_key_check` before the commit. Ids are kept, so every reference still holds.
-- A database without an owner keeps working: managers still manage cashiers; an owner is made
-- with `tillctl users create-owner` (see docs/security.md, section 4).

CREATE TABLE users_new (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'installer', 'owner')),
    pin_hash        TEXT NOT NULL,          -- argon2id PHC string, never the PIN
    active          INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    created_at_ms   INTEGER NOT NULL
) STRICT;

INSERT INTO users_new (id, name, role, pin_hash, active, failed_attempts, locked_until_ms, created_at_ms)
    SELECT id, name, role, pin_hash, active, failed_attempts, locked_until_ms, created_at_ms FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

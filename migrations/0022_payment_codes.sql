-- till: foreign_keys off
-- Version 22: customers' payment codes (docs/payment-codes.md). Payments gain the
-- 'payment_code' tender; such a payment keeps the code masked (first four and last four digits)
-- in card_masked, the wallet in card_brand and the platform's reference in auth_code. SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt (new table, copy, drop,
-- rename) with its ids, indexes and closed-day triggers.

CREATE TABLE payments_v22 (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    tender         TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'points', 'payment_code')),
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    tendered_minor INTEGER,
    change_minor   INTEGER,
    card_masked    TEXT,                    -- first 6 / last 4 of a card; first 4 / last 4 of a payment code
    card_pan_hash  TEXT,                    -- HMAC-SHA256 of the PAN under the till key
    card_brand     TEXT,                    -- the card's brand, or the payment code's wallet
    auth_code      TEXT,                    -- approval code, or the payment platform's reference
    reader         TEXT,
    entry_mode     TEXT,
    cvm            TEXT CHECK (cvm IS NULL OR cvm IN ('pin', 'signature', 'pin-and-signature', 'none')),
    signature_svg  TEXT,
    card_last4     TEXT GENERATED ALWAYS AS (CASE WHEN card_masked IS NULL THEN NULL ELSE substr(card_masked, -4) END) VIRTUAL
) STRICT;
INSERT INTO payments_v22 (id, order_id, tender, amount_minor, currency, tendered_minor, change_minor, card_masked,
       card_pan_hash, card_brand, auth_code, reader, entry_mode, cvm, signature_svg)
    SELECT id, order_id, tender, amount_minor, currency, tendered_minor, change_minor, card_masked,
       card_pan_hash, card_brand, auth_code, reader, entry_mode, cvm, signature_svg FROM payments ORDER BY id;
DROP TABLE payments;
ALTER TABLE payments_v22 RENAME TO payments;
CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX payments_by_last4 ON payments (card_last4) WHERE card_last4 IS NOT NULL;

-- Payments of a closed order never change (as in version 8).
CREATE TRIGGER payments_closed_insert BEFORE INSERT ON payments
WHEN (SELECT created_at_ms FROM orders WHERE id = NEW.order_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER payments_closed_update BEFORE UPDATE ON payments
WHEN (SELECT created_at_ms FROM orders WHERE id = OLD.order_id) <= (SELECT max(to_ms) FROM day_closes)
  OR (SELECT created_at_ms FROM orders WHERE id = NEW.order_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER payments_closed_delete BEFORE DELETE ON payments
WHEN (SELECT created_at_ms FROM orders WHERE id = OLD.order_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

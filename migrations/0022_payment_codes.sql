-- till: foreign_keys off
-- Version 22: customers' payment codes (docs/payment-codes.md). Payments gain the
-- 'payment_code' tender; such a payment keeps the code masked (first four and last four digits)
-- in card_masked, the wallet in card_brand and the platform's reference in auth_code. A refund of
-- such a sale goes back to the same wallet, so refunds gain the tender too. SQLite cannot change
-- a CHECK constraint in place, so both tables are rebuilt (new table, copy, drop, rename) with
-- their ids, indexes and triggers; foreign keys are off meanwhile and checked before the commit.

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

-- Refunds: the same columns as before, the tender CHECK widened.
CREATE TABLE refunds_v22 (
    id              INTEGER PRIMARY KEY,
    refund_no       TEXT GENERATED ALWAYS AS (printf('R%07d', id)) VIRTUAL,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    created_at_ms   INTEGER NOT NULL,
    cashier_id      INTEGER NOT NULL REFERENCES users (id),
    approved_by     INTEGER REFERENCES users (id),
    tender          TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'points', 'payment_code')),
    currency        TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    tax_minor       INTEGER NOT NULL CHECK (tax_minor >= 0),
    reason          TEXT NOT NULL,
    evidence_sha256 TEXT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'refused')),
    approval        TEXT NOT NULL DEFAULT 'policy' CHECK (approval IN ('policy', 'manager', 'seller')),
    customer_ref    TEXT,
    points_value_minor INTEGER NOT NULL DEFAULT 0,
    refused_minor   INTEGER NOT NULL DEFAULT 0,
    decided_offline INTEGER NOT NULL DEFAULT 0 CHECK (decided_offline IN (0, 1))
) STRICT;
INSERT INTO refunds_v22 (id, order_id, created_at_ms, cashier_id, approved_by, tender, currency, amount_minor,
       tax_minor, reason, evidence_sha256, status, approval, customer_ref, points_value_minor, refused_minor,
       decided_offline)
    SELECT id, order_id, created_at_ms, cashier_id, approved_by, tender, currency, amount_minor, tax_minor, reason,
       evidence_sha256, status, approval, customer_ref, points_value_minor, refused_minor, decided_offline
    FROM refunds ORDER BY id;
DROP TABLE refunds;
-- Triggers of refund_lines and points_ledger name refunds: the rename must not check them
-- against the table that is gone for a moment (they read the new one once it has the name).
PRAGMA legacy_alter_table = ON;
ALTER TABLE refunds_v22 RENAME TO refunds;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX refunds_by_order ON refunds (order_id);
CREATE INDEX refunds_by_status ON refunds (status, created_at_ms);
CREATE INDEX refunds_by_time ON refunds (created_at_ms);
CREATE INDEX refunds_pending ON refunds (status) WHERE status = 'pending';

-- Its triggers, as versions 8, 10 and 16 made them.
CREATE TRIGGER refunds_closed_delete BEFORE DELETE ON refunds
WHEN OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refunds_closed_insert BEFORE INSERT ON refunds
WHEN NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refunds_closed_update BEFORE UPDATE ON refunds
WHEN (OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
      OR NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes))
 AND (NEW.id IS NOT OLD.id OR NEW.order_id IS NOT OLD.order_id OR NEW.created_at_ms IS NOT OLD.created_at_ms
      OR NEW.cashier_id IS NOT OLD.cashier_id OR NEW.approved_by IS NOT OLD.approved_by
      OR NEW.tender IS NOT OLD.tender OR NEW.currency IS NOT OLD.currency
      OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.tax_minor IS NOT OLD.tax_minor
      OR NEW.reason IS NOT OLD.reason OR NEW.evidence_sha256 IS NOT OLD.evidence_sha256)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refunds_refused_refuse_lines AFTER UPDATE OF status ON refunds
WHEN NEW.status = 'refused' AND OLD.status <> 'refused'
BEGIN
    UPDATE refund_lines SET status = 'refused' WHERE refund_id = NEW.id AND status <> 'refused';
END;
CREATE TRIGGER refunds_within_paid BEFORE INSERT ON refunds
WHEN NEW.amount_minor + (SELECT coalesce(sum(amount_minor - refused_minor), 0) FROM refunds
                         WHERE order_id = NEW.order_id)
     > (SELECT total_minor FROM orders WHERE id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'refund_exceeds_amount_paid');
END;

-- Version 7: refunds and loyalty points as the till records them.
--
-- The refund and points flows at the counter write these tables; the back office (history,
-- end-of-day reports, export) and `tillctl db check` read them. The rules that protect money
-- are in the database as well as in the domain, so no code path (nor two tills racing on one
-- file) can refund more than was sold:
--   * a refund line may not take an order line past the quantity sold (refunded_quantity is
--     kept by triggers; a refund the seller refused gives its quantities back);
--   * the refunds of an order that were not refused may not add up to more than its total.
-- Payments gain the 'points' tender (points redeemed as money); SQLite cannot change a CHECK in
-- place, so the table is rebuilt with the same rows and ids.

ALTER TABLE orders ADD COLUMN customer_ref TEXT;            -- loyalty account identified at the sale
ALTER TABLE order_lines ADD COLUMN refunded_quantity INTEGER NOT NULL DEFAULT 0;

CREATE TABLE payments_v7 (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    tender         TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'points')),
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    tendered_minor INTEGER,
    change_minor   INTEGER,
    card_masked    TEXT,                    -- first 6 / last 4 only
    card_pan_hash  TEXT,                    -- HMAC-SHA256 of the PAN under the till key
    card_brand     TEXT,
    auth_code      TEXT,
    reader         TEXT,
    entry_mode     TEXT,
    cvm            TEXT CHECK (cvm IS NULL OR cvm IN ('pin', 'signature', 'pin-and-signature', 'none')),
    signature_svg  TEXT
) STRICT;
INSERT INTO payments_v7 SELECT id, order_id, tender, amount_minor, currency, tendered_minor, change_minor, card_masked,
       card_pan_hash, card_brand, auth_code, reader, entry_mode, cvm, signature_svg FROM payments ORDER BY id;
DROP TABLE payments;
ALTER TABLE payments_v7 RENAME TO payments;
CREATE INDEX payments_by_order ON payments (order_id);

CREATE TABLE refunds (
    id              INTEGER PRIMARY KEY,
    refund_no       TEXT GENERATED ALWAYS AS (printf('R%07d', id)) VIRTUAL,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    created_at_ms   INTEGER NOT NULL,
    cashier_id      INTEGER NOT NULL REFERENCES users (id),
    approved_by     INTEGER REFERENCES users (id),   -- the manager who approved it, when one had to
    tender          TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'points')),
    currency        TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    tax_minor       INTEGER NOT NULL CHECK (tax_minor >= 0),
    reason          TEXT NOT NULL,
    evidence_sha256 TEXT,                             -- photo of the defect, kept locally
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'refused'))
) STRICT;
CREATE INDEX refunds_by_order ON refunds (order_id);
CREATE INDEX refunds_by_time ON refunds (created_at_ms);

CREATE TABLE refund_lines (
    id            INTEGER PRIMARY KEY,
    refund_id     INTEGER NOT NULL REFERENCES refunds (id),
    order_line_id INTEGER NOT NULL REFERENCES order_lines (id),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor >= 0),
    tax_minor     INTEGER NOT NULL CHECK (tax_minor >= 0),
    UNIQUE (refund_id, order_line_id)
) STRICT;
CREATE INDEX refund_lines_by_line ON refund_lines (order_line_id);

CREATE TRIGGER refund_lines_within_sold BEFORE INSERT ON refund_lines
WHEN NEW.quantity + (SELECT refunded_quantity FROM order_lines WHERE id = NEW.order_line_id)
     > (SELECT quantity FROM order_lines WHERE id = NEW.order_line_id)
BEGIN
    SELECT RAISE(ABORT, 'refund_exceeds_quantity_sold');
END;
CREATE TRIGGER refund_lines_count AFTER INSERT ON refund_lines
BEGIN
    UPDATE order_lines SET refunded_quantity = refunded_quantity + NEW.quantity WHERE id = NEW.order_line_id;
END;
CREATE TRIGGER refunds_within_paid BEFORE INSERT ON refunds
WHEN NEW.amount_minor + (SELECT coalesce(sum(amount_minor), 0) FROM refunds
                         WHERE order_id = NEW.order_id AND status <> 'refused')
     > (SELECT total_minor FROM orders WHERE id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'refund_exceeds_amount_paid');
END;
CREATE TRIGGER refunds_refused_give_back AFTER UPDATE OF status ON refunds
WHEN NEW.status = 'refused' AND OLD.status <> 'refused'
BEGIN
    UPDATE order_lines
       SET refunded_quantity = refunded_quantity
           - (SELECT r.quantity FROM refund_lines r WHERE r.refund_id = NEW.id AND r.order_line_id = order_lines.id)
     WHERE id IN (SELECT order_line_id FROM refund_lines WHERE refund_id = NEW.id);
END;

-- Loyalty points changes, provisional until the points server answers.
CREATE TABLE points_ledger (
    id            INTEGER PRIMARY KEY,
    customer_ref  TEXT NOT NULL,            -- the loyalty account
    order_id      INTEGER REFERENCES orders (id),
    refund_id     INTEGER REFERENCES refunds (id),
    kind          TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse-earn', 'return-redeem')),
    points        INTEGER NOT NULL,          -- signed change to the balance
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected')),
    created_at_ms INTEGER NOT NULL,
    balance_after INTEGER,                   -- as the server answered
    level         TEXT
) STRICT;
CREATE INDEX points_by_order ON points_ledger (order_id);
CREATE INDEX points_by_customer ON points_ledger (customer_ref, created_at_ms);
CREATE INDEX points_by_time ON points_ledger (created_at_ms);

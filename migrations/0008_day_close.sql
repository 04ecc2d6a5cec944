-- Version 8: end-of-day closes (Z reports) and the immutability of a closed day.
--
-- A close covers the period (previous close's to_ms, to_ms]. Its report is frozen as JSON, so a
-- closed day reads the same forever. Once a day is closed, triggers refuse every change to the
-- sales, lines and payments in it (RAISE(ABORT, 'day_closed'); the store maps that message to
-- StoreError::DayClosed). What stays legal, because it is booked on the day it happens:
--   * refunding an old sale: a new refund row (created now), its refund lines, the
--     order_lines.refunded_quantity counter and the orders.status they update;
--   * a pending refund or points entry getting its answer (status, balance, level).
-- "Closed" means created_at_ms <= the last close's to_ms; closes only move forward in time.

CREATE TABLE day_closes (
    id                 INTEGER PRIMARY KEY,
    business_date      TEXT NOT NULL UNIQUE,          -- 'YYYY-MM-DD'
    from_ms            INTEGER NOT NULL,              -- exclusive
    to_ms              INTEGER NOT NULL,              -- inclusive
    closed_at_ms       INTEGER NOT NULL,
    closed_by          INTEGER NOT NULL REFERENCES users (id),
    cash_counted_minor INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    report_json        TEXT NOT NULL,                 -- the frozen DayReport (kind z)
    CHECK (from_ms <= to_ms)
) STRICT;
-- Every write trigger below asks for the last close's to_ms: an index lookup, not a scan.
CREATE INDEX day_closes_by_to ON day_closes (to_ms);

CREATE TRIGGER day_closes_no_update BEFORE UPDATE ON day_closes
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER day_closes_no_delete BEFORE DELETE ON day_closes
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

-- Orders: no new order in a closed period, none moved into or out of it, none deleted; only
-- the status may change (a refund today marks an old order refunded).
CREATE TRIGGER orders_closed_insert BEFORE INSERT ON orders
WHEN NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER orders_closed_update BEFORE UPDATE ON orders
WHEN (OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
      OR NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes))
 AND (NEW.id IS NOT OLD.id OR NEW.checkout_key IS NOT OLD.checkout_key OR NEW.cashier_id IS NOT OLD.cashier_id
      OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.currency IS NOT OLD.currency
      OR NEW.subtotal_minor IS NOT OLD.subtotal_minor OR NEW.tax_minor IS NOT OLD.tax_minor
      OR NEW.total_minor IS NOT OLD.total_minor OR NEW.line_count IS NOT OLD.line_count
      OR NEW.customer_ref IS NOT OLD.customer_ref)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER orders_closed_delete BEFORE DELETE ON orders
WHEN OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

-- Order lines follow their order; only refunded_quantity (kept by the refund triggers) may change.
CREATE TRIGGER order_lines_closed_insert BEFORE INSERT ON order_lines
WHEN (SELECT created_at_ms FROM orders WHERE id = NEW.order_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER order_lines_closed_update BEFORE UPDATE ON order_lines
WHEN ((SELECT created_at_ms FROM orders WHERE id = OLD.order_id) <= (SELECT max(to_ms) FROM day_closes)
      OR (SELECT created_at_ms FROM orders WHERE id = NEW.order_id) <= (SELECT max(to_ms) FROM day_closes))
 AND (NEW.id IS NOT OLD.id OR NEW.order_id IS NOT OLD.order_id OR NEW.line_no IS NOT OLD.line_no
      OR NEW.line_code IS NOT OLD.line_code OR NEW.product_id IS NOT OLD.product_id OR NEW.sku IS NOT OLD.sku
      OR NEW.name IS NOT OLD.name OR NEW.name_zh IS NOT OLD.name_zh OR NEW.quantity IS NOT OLD.quantity
      OR NEW.unit_price_minor IS NOT OLD.unit_price_minor OR NEW.tax_rate_bp IS NOT OLD.tax_rate_bp
      OR NEW.tax_inclusive IS NOT OLD.tax_inclusive OR NEW.net_minor IS NOT OLD.net_minor
      OR NEW.tax_minor IS NOT OLD.tax_minor OR NEW.gross_minor IS NOT OLD.gross_minor
      OR NEW.serial_number IS NOT OLD.serial_number)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER order_lines_closed_delete BEFORE DELETE ON order_lines
WHEN (SELECT created_at_ms FROM orders WHERE id = OLD.order_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

-- Payments of a closed order never change.
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

-- Refunds are booked on the day they are made: none may be back-dated into a closed period,
-- and a closed refund keeps everything but its status (the seller's answer may come later).
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
CREATE TRIGGER refunds_closed_delete BEFORE DELETE ON refunds
WHEN OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refund_lines_closed_insert BEFORE INSERT ON refund_lines
WHEN (SELECT created_at_ms FROM refunds WHERE id = NEW.refund_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refund_lines_closed_update BEFORE UPDATE ON refund_lines
WHEN (SELECT created_at_ms FROM refunds WHERE id = OLD.refund_id) <= (SELECT max(to_ms) FROM day_closes)
  OR (SELECT created_at_ms FROM refunds WHERE id = NEW.refund_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER refund_lines_closed_delete BEFORE DELETE ON refund_lines
WHEN (SELECT created_at_ms FROM refunds WHERE id = OLD.refund_id) <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

-- Points: no entry back-dated into a closed period; a closed entry may still receive the
-- points server's answer (status, balance_after, level) but not change what it was.
CREATE TRIGGER points_closed_insert BEFORE INSERT ON points_ledger
WHEN NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER points_closed_update BEFORE UPDATE ON points_ledger
WHEN (OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
      OR NEW.created_at_ms <= (SELECT max(to_ms) FROM day_closes))
 AND (NEW.id IS NOT OLD.id OR NEW.customer_ref IS NOT OLD.customer_ref OR NEW.order_id IS NOT OLD.order_id
      OR NEW.refund_id IS NOT OLD.refund_id OR NEW.kind IS NOT OLD.kind OR NEW.points IS NOT OLD.points
      OR NEW.created_at_ms IS NOT OLD.created_at_ms)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;
CREATE TRIGGER points_closed_delete BEFORE DELETE ON points_ledger
WHEN OLD.created_at_ms <= (SELECT max(to_ms) FROM day_closes)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

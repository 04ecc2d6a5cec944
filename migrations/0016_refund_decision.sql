-- Version 16: one decision per refund line, and the money follows it.
--
-- A product (and so an order line) may be sold for another seller; NULL is the shop itself,
-- whose manager's approval at the counter is the seller's confirmation (docs/refunds-and-points.md).
--
-- Each refund line keeps its own decision and state: 'approved' (the money goes back: at once,
-- or paid out once the seller confirmed), 'awaiting_seller' (nothing paid yet) or 'refused'
-- (its units are given back). `paid_at_ms` is when its money left: the drawer for cash (at the
-- refund, or at the pay-out after the seller's confirmation), the server's refund to the card
-- or points otherwise. A refund's status is derived from its lines; `refused_minor` is the part
-- of its amount whose lines were refused, so what is left of a sale counts only lines not
-- refused. `decided_offline` says the till applied the decision rules itself while the server
-- could not be asked; the server's later word on such a line may disagree (the sync screen
-- lists it with the amount at stake).
--
-- A refund of a device sold at another till has no local sale: it gets a record of its own
-- (`remote_refunds`), with its status, for the history, the audit and the Z report (apart: no
-- money moves through this drawer).

ALTER TABLE products ADD COLUMN seller TEXT;
ALTER TABLE order_lines ADD COLUMN seller TEXT;

ALTER TABLE refund_lines ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'awaiting_seller', 'refused'));
ALTER TABLE refund_lines ADD COLUMN decision TEXT
    CHECK (decision IS NULL OR decision IN ('policy', 'shop_manager', 'await_seller', 'seller'));
ALTER TABLE refund_lines ADD COLUMN paid_at_ms INTEGER;
ALTER TABLE refund_lines ADD COLUMN paid_by INTEGER REFERENCES users (id);
ALTER TABLE refund_lines ADD COLUMN points_value_minor INTEGER NOT NULL DEFAULT 0;
-- Its points went back (taken back from what the sale earned, given back from what it
-- redeemed): with the money, so 0 while it waits for the seller. Older lines: at the refund.
ALTER TABLE refund_lines ADD COLUMN points_settled INTEGER NOT NULL DEFAULT 1 CHECK (points_settled IN (0, 1));
ALTER TABLE refunds ADD COLUMN refused_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN decided_offline INTEGER NOT NULL DEFAULT 0 CHECK (decided_offline IN (0, 1));

DROP TRIGGER refund_lines_closed_update;  -- recreated below, once the rows are filled in

-- Refunds recorded before: their money left when they were recorded, whatever the server said.
UPDATE refund_lines
   SET status = CASE WHEN (SELECT status FROM refunds WHERE id = refund_id) = 'refused' THEN 'refused' ELSE 'approved' END,
       decision = CASE (SELECT approval FROM refunds WHERE id = refund_id)
                      WHEN 'policy' THEN 'policy' WHEN 'manager' THEN 'shop_manager' ELSE 'await_seller' END,
       paid_at_ms = (SELECT created_at_ms FROM refunds WHERE id = refund_id);
UPDATE refunds SET refused_minor = amount_minor WHERE status = 'refused';
-- The points part of a refund, per line (older refunds: on their first line).
UPDATE refund_lines SET points_value_minor = (SELECT points_value_minor FROM refunds WHERE id = refund_id)
 WHERE id = (SELECT min(id) FROM refund_lines x WHERE x.refund_id = refund_lines.refund_id);

-- A refund line of a closed day keeps what it refunds, but its state may still change: the
-- seller's answer and the pay-out come later (version 8 froze the whole row).
CREATE TRIGGER refund_lines_closed_update BEFORE UPDATE ON refund_lines
WHEN ((SELECT created_at_ms FROM refunds WHERE id = OLD.refund_id) <= (SELECT max(to_ms) FROM day_closes)
      OR (SELECT created_at_ms FROM refunds WHERE id = NEW.refund_id) <= (SELECT max(to_ms) FROM day_closes))
 AND (NEW.id IS NOT OLD.id OR NEW.refund_id IS NOT OLD.refund_id OR NEW.order_line_id IS NOT OLD.order_line_id
      OR NEW.quantity IS NOT OLD.quantity OR NEW.amount_minor IS NOT OLD.amount_minor
      OR NEW.tax_minor IS NOT OLD.tax_minor OR NEW.event_id IS NOT OLD.event_id
      OR NEW.points_value_minor IS NOT OLD.points_value_minor)
BEGIN
    SELECT RAISE(ABORT, 'day_closed');
END;

-- A refused line gives its units and its amount back; a refund refused as a whole refuses each
-- of its lines (through the line trigger).
DROP TRIGGER refunds_refused_give_back;
CREATE TRIGGER refund_lines_refused_give_back AFTER UPDATE OF status ON refund_lines
WHEN NEW.status = 'refused' AND OLD.status <> 'refused'
BEGIN
    UPDATE order_lines SET refunded_quantity = refunded_quantity - NEW.quantity WHERE id = NEW.order_line_id;
    UPDATE refunds SET refused_minor = refused_minor + NEW.amount_minor WHERE id = NEW.refund_id;
END;
CREATE TRIGGER refunds_refused_refuse_lines AFTER UPDATE OF status ON refunds
WHEN NEW.status = 'refused' AND OLD.status <> 'refused'
BEGIN
    UPDATE refund_lines SET status = 'refused' WHERE refund_id = NEW.id AND status <> 'refused';
END;
CREATE TRIGGER refund_lines_refused_is_final BEFORE UPDATE OF status ON refund_lines
WHEN OLD.status = 'refused' AND NEW.status <> 'refused'
BEGIN
    SELECT RAISE(ABORT, 'refund_line_refused');
END;

DROP TRIGGER refunds_within_paid;
CREATE TRIGGER refunds_within_paid BEFORE INSERT ON refunds
WHEN NEW.amount_minor + (SELECT coalesce(sum(amount_minor - refused_minor), 0) FROM refunds
                         WHERE order_id = NEW.order_id)
     > (SELECT total_minor FROM orders WHERE id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'refund_exceeds_amount_paid');
END;

CREATE INDEX refund_lines_unpaid ON refund_lines (refund_id) WHERE status = 'approved' AND paid_at_ms IS NULL;
CREATE INDEX refund_lines_by_paid ON refund_lines (paid_at_ms) WHERE paid_at_ms IS NOT NULL;
-- The lines the running till asks the server about again (every 30 s): a small set, never a scan.
CREATE INDEX refund_lines_awaiting_server ON refund_lines (event_id)
    WHERE server_status = 'pending_seller_confirmation';

CREATE TABLE remote_refunds (
    id              INTEGER PRIMARY KEY,
    refund_no       TEXT GENERATED ALWAYS AS (printf('RR%06d', id)) VIRTUAL,
    identifier      TEXT NOT NULL,                   -- the device's normalised identifier
    created_at_ms   INTEGER NOT NULL,
    cashier_id      INTEGER NOT NULL REFERENCES users (id),
    approved_by     INTEGER REFERENCES users (id),
    approval        TEXT NOT NULL CHECK (approval IN ('policy', 'manager', 'seller')),
    currency        TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    reason          TEXT NOT NULL,
    evidence_sha256 TEXT,
    paying_account  TEXT NOT NULL,                   -- where the server pays it back (masked)
    server_refund_id TEXT NOT NULL UNIQUE,
    event_id        TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'awaiting_seller', 'confirmed', 'refused')),
    refused_reason  TEXT,
    decided_at_ms   INTEGER
) STRICT;
CREATE INDEX remote_refunds_by_time ON remote_refunds (created_at_ms);
CREATE INDEX remote_refunds_by_identifier ON remote_refunds (identifier);
CREATE INDEX remote_refunds_awaiting ON remote_refunds (event_id) WHERE status = 'awaiting_seller';

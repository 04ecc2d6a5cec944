-- Version 19: orders pending collection (docs/pending-orders.md). The platform's orders of this
-- till's store, mirrored page by page from GET /v1/pending-orders: each page and the cursor after
-- it are written in one transaction (the cursor is the setting `pending_orders.cursor`), so a
-- crash never skips a change. The till never holds a pickup code: the server checks it when the
-- till reserves the order. Amounts in minor units; times in ms.
CREATE TABLE pending_orders (
    order_id             TEXT PRIMARY KEY,
    order_number         TEXT NOT NULL,
    status               TEXT NOT NULL
        CHECK (status IN ('pending', 'reserved', 'collected', 'cancelled', 'expired')),
    customer_name        TEXT NOT NULL,
    phone_tail           TEXT NOT NULL,
    currency             TEXT NOT NULL,
    total_minor          INTEGER NOT NULL CHECK (total_minor >= 0),
    created_at_ms        INTEGER NOT NULL,
    expires_at_ms        INTEGER NOT NULL,
    reserved_until_ms    INTEGER,
    reserved_here        INTEGER NOT NULL DEFAULT 0 CHECK (reserved_here IN (0, 1)),
    pickup_attempts_left INTEGER NOT NULL,
    version              INTEGER NOT NULL,
    updated_at_ms        INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_orders_by_status ON pending_orders (status, created_at_ms);

CREATE TABLE pending_order_lines (
    order_id         TEXT NOT NULL REFERENCES pending_orders (order_id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    total_minor      INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) STRICT;

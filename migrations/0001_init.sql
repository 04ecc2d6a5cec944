-- Till schema, version 1: settings, users, catalogue (+ search index), orders, payments,
-- outbox and the hash-chained audit log. Money is always an integer of minor units + currency.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'installer')),
    pin_hash        TEXT NOT NULL,          -- argon2id PHC string, never the PIN
    active          INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    created_at_ms   INTEGER NOT NULL
) STRICT;

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    sku           TEXT NOT NULL UNIQUE,
    barcode       TEXT UNIQUE,              -- normalised GTIN (EAN-13 / EAN-8)
    name          TEXT NOT NULL,
    name_zh       TEXT,
    price_minor   INTEGER NOT NULL CHECK (price_minor >= 0),
    currency      TEXT NOT NULL,
    tax_rate_bp   INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    tax_inclusive INTEGER NOT NULL,
    serialised    INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Search-as-you-type: one document per product (rowid = products.id) holding its name, SKU,
-- barcode and its Chinese name with a space between characters, so a Chinese query matches
-- as a phrase of characters anywhere in the name. Kept in step by the store, in the same
-- transaction as the product row.
CREATE VIRTUAL TABLE product_search USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    order_no       TEXT GENERATED ALWAYS AS (printf('%08d', id)) VIRTUAL,
    checkout_key   TEXT NOT NULL UNIQUE,    -- the cart id: one cart, one order
    cashier_id     INTEGER NOT NULL REFERENCES users (id),
    created_at_ms  INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    subtotal_minor INTEGER NOT NULL,
    tax_minor      INTEGER NOT NULL,
    total_minor    INTEGER NOT NULL,
    line_count     INTEGER NOT NULL,        -- lets a check prove no order is partial
    status         TEXT NOT NULL DEFAULT 'paid'
) STRICT;
CREATE INDEX orders_by_time ON orders (created_at_ms);

CREATE TABLE order_lines (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    line_no          INTEGER NOT NULL,
    line_code        TEXT NOT NULL UNIQUE,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    name_zh          TEXT,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL,
    tax_rate_bp      INTEGER NOT NULL,
    tax_inclusive    INTEGER NOT NULL,
    net_minor        INTEGER NOT NULL,
    tax_minor        INTEGER NOT NULL,
    gross_minor      INTEGER NOT NULL,
    serial_number    TEXT,
    UNIQUE (order_id, line_no)
) STRICT;

CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    tender         TEXT NOT NULL CHECK (tender IN ('cash', 'card')),
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    tendered_minor INTEGER,
    change_minor   INTEGER,
    card_masked    TEXT,                    -- first 6 / last 4 only
    card_pan_hash  TEXT,                    -- HMAC-SHA256 of the PAN under the till key
    card_brand     TEXT,
    auth_code      TEXT,
    reader         TEXT
) STRICT;
CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX order_lines_by_order ON order_lines (order_id);

CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,    -- also the Idempotency-Key sent to the server
    kind               TEXT NOT NULL,
    subject            TEXT NOT NULL,       -- what it is about, e.g. 'order/42'
    payload            TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error         TEXT,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead'))
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);
CREATE INDEX outbox_by_subject ON outbox (subject);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

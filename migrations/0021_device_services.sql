-- Device services (docs/device-services.md): from a sold device's identifier the till shows
-- its sale, the warranty's end and the software recorded at sale, and keeps repairs (service
-- orders) and software update records.
--
-- The catalogue says how long a product's warranty lasts and which software package it ships
-- with now; a sale line records both as they were when it was sold, so a later change of the
-- catalogue does not change a sold device's warranty.
ALTER TABLE products ADD COLUMN warranty_months INTEGER NOT NULL DEFAULT 12
    CHECK (warranty_months BETWEEN 0 AND 240);
ALTER TABLE products ADD COLUMN software TEXT CHECK (software IS NULL OR length(software) BETWEEN 1 AND 200);
ALTER TABLE order_lines ADD COLUMN warranty_months INTEGER;
ALTER TABLE order_lines ADD COLUMN software TEXT;

-- A repair: opened for a device (its identifier, normalised, as order_lines.serial_number
-- holds it; it never leaves the till in clear), then moved forward through its states only.
-- The number printed on its receipt is SO and the id on six digits.
CREATE TABLE service_orders (
    id            INTEGER PRIMARY KEY,
    service_no    TEXT GENERATED ALWAYS AS (printf('SO%06d', id)) VIRTUAL,
    identifier    TEXT NOT NULL,
    order_line_id INTEGER REFERENCES order_lines (id),  -- the sale, when this till sold it
    fault         TEXT NOT NULL CHECK (length(fault) BETWEEN 1 AND 500),
    status        TEXT NOT NULL CHECK (status IN ('received', 'in_repair', 'ready', 'returned')),
    opened_by     INTEGER NOT NULL REFERENCES users (id),
    opened_at_ms  INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX service_orders_by_identifier ON service_orders (identifier);
CREATE INDEX service_orders_by_time ON service_orders (opened_at_ms);

-- Each state a service order reached, once, with who and when.
CREATE TABLE service_order_steps (
    service_order_id INTEGER NOT NULL REFERENCES service_orders (id),
    status           TEXT NOT NULL CHECK (status IN ('received', 'in_repair', 'ready', 'returned')),
    user_id          INTEGER NOT NULL REFERENCES users (id),
    at_ms            INTEGER NOT NULL,
    PRIMARY KEY (service_order_id, status)
) STRICT;

-- Software installed on a device: which version, who, when. update_id is sent to the server.
CREATE TABLE software_updates (
    id              INTEGER PRIMARY KEY,
    update_id       TEXT NOT NULL UNIQUE,
    identifier      TEXT NOT NULL,
    version         TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
    installed_by    INTEGER NOT NULL REFERENCES users (id),
    installed_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX software_updates_by_identifier ON software_updates (identifier);

-- A service order's receipt goes through the print queue like a sale's: the queue takes one
-- more kind ('service') naming its service order. SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt (nothing refers to print_jobs, so foreign keys may stay on).
CREATE TABLE print_jobs_new (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('receipt', 'refund', 'report', 'reprint', 'drawer', 'test', 'service')),
    order_id         INTEGER REFERENCES orders (id),
    refund_id        INTEGER REFERENCES refunds (id),
    payload          TEXT,
    kick_drawer      INTEGER NOT NULL DEFAULT 0 CHECK (kick_drawer IN (0, 1)),
    lang             TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
    state            TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'printed', 'held', 'cancelled')),
    fault            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    uri              TEXT,
    created_at_ms    INTEGER NOT NULL,
    printed_at_ms    INTEGER,
    service_order_id INTEGER REFERENCES service_orders (id),
    CHECK ((state = 'held') = (fault IS NOT NULL)),
    CHECK ((kind = 'service') = (service_order_id IS NOT NULL))
) STRICT;
INSERT INTO print_jobs_new (id, kind, order_id, refund_id, payload, kick_drawer, lang, state, fault, attempts, uri,
                            created_at_ms, printed_at_ms)
    SELECT id, kind, order_id, refund_id, payload, kick_drawer, lang, state, fault, attempts, uri,
           created_at_ms, printed_at_ms FROM print_jobs;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_new RENAME TO print_jobs;
CREATE INDEX print_jobs_open ON print_jobs (state, id) WHERE state IN ('queued', 'sending', 'held');

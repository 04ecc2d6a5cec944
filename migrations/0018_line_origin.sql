-- Version 18: a sale line may come from outside the catalogue's price list: a line of an order
-- a web shop sent for collection at the counter, or a service a provider priced. Its origin
-- (kind and the platform's reference) is kept with the line, so the history shows it and the
-- sale event carries it to the server, which marks the order collected or the service paid.

ALTER TABLE order_lines ADD COLUMN origin_kind TEXT
    CHECK (origin_kind IS NULL OR origin_kind IN ('pending_order', 'service'));
ALTER TABLE order_lines ADD COLUMN origin_ref TEXT
    CHECK ((origin_kind IS NULL) = (origin_ref IS NULL));

CREATE INDEX order_lines_origin ON order_lines (origin_kind, origin_ref) WHERE origin_kind IS NOT NULL;

-- Version 2: the cart being rung up is kept on disk, so a crash or power cut while ringing up
-- does not lose it. One open cart per user; a checkout deletes it in the same commit that
-- records the order.

CREATE TABLE open_carts (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id),
    cart_id       TEXT NOT NULL UNIQUE,
    lines         TEXT NOT NULL,            -- JSON: [[product_id, quantity], ...] in cart order
    updated_at_ms INTEGER NOT NULL
) STRICT;

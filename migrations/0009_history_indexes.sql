-- Version 9: indexes for the back office's history filters, designed from EXPLAIN QUERY PLAN
-- on a million generated orders (docs/performance.md, "Back office at a million orders").
-- Each one lets the first page of one filter be found without scanning the orders.

-- The last four digits of a card, to find a customer's payment from the slip they bring back.
-- A virtual column costs no space in the rows (only in its index); it can be added to a STRICT
-- table by ALTER, where a stored one cannot.
ALTER TABLE payments ADD COLUMN card_last4 TEXT
    GENERATED ALWAYS AS (CASE WHEN card_masked IS NULL THEN NULL ELSE substr(card_masked, -4) END) VIRTUAL;
CREATE INDEX payments_by_last4 ON payments (card_last4) WHERE card_last4 IS NOT NULL;

-- One cashier's orders, newest first, without reading the other cashiers' ones.
CREATE INDEX orders_by_cashier ON orders (cashier_id, created_at_ms);
-- Refunded and partly refunded orders are a few per cent: found directly, in time order.
CREATE INDEX orders_by_status ON orders (status, created_at_ms);
-- A loyalty customer's orders (most orders have no customer, so only those that do are indexed).
CREATE INDEX orders_by_customer ON orders (customer_ref, created_at_ms) WHERE customer_ref IS NOT NULL;
-- Sort by amount, and an amount range that picks out few orders.
CREATE INDEX orders_by_total ON orders (total_minor);
-- Orders of a product: from the product to its lines to their orders.
CREATE INDEX order_lines_by_product ON order_lines (product_id, order_id);
-- A phone's serial number / IMEI (only serialised lines have one).
CREATE INDEX order_lines_by_serial ON order_lines (serial_number) WHERE serial_number IS NOT NULL;
-- A product name prefix ("Phone X") as a range, case as typed.
CREATE INDEX products_by_name ON products (name);
-- Sync events newest first (the existing indexes lead with the state).
CREATE INDEX outbox_by_time ON outbox (created_at_ms);
-- Refunds by status in time order (pending ones to chase).
CREATE INDEX refunds_by_status ON refunds (status, created_at_ms);

-- The catalogue from HQ (docs/catalogue-from-hq.md): the sync worker pulls the merchant's
-- catalogue changes from the server page by page; each page is applied with the cursor after it
-- in one transaction.
--
-- products.hq_seq: the position of the last HQ change applied to the product; NULL for a
-- product of this till's own (created here and never sent by HQ). A product HQ sent is managed
-- by HQ: a local edit stands until HQ's next change of that product, which overwrites it.
ALTER TABLE products ADD COLUMN hq_seq INTEGER;

-- The cursor after the last page applied, and when (one row).
CREATE TABLE hq_catalogue (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    cursor       TEXT NOT NULL,
    synced_at_ms INTEGER NOT NULL
) STRICT;

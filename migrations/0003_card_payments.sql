-- Version 3: what a card payment keeps beyond the masked number, hash, brand and approval code.
-- How the card was entered and how the cardholder was verified, and the signature drawn on the
-- screen as a small SVG of path elements. Never the PIN, the PIN block, track data or the
-- encrypted card data: those live in memory only until the authorisation has answered.

ALTER TABLE payments ADD COLUMN entry_mode TEXT;       -- 'magstripe' (reader) or 'magstripe-wedge' (typed by a keyboard-wedge reader)
ALTER TABLE payments ADD COLUMN cvm TEXT
    CHECK (cvm IS NULL OR cvm IN ('pin', 'signature', 'pin-and-signature', 'none'));
ALTER TABLE payments ADD COLUMN signature_svg TEXT;    -- validated SVG, path elements only

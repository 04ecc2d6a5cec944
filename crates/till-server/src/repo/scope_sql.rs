//! SQL expressions of whose a row is: a store's merchant, a terminal's store and merchant. The
//! HQ console keeps an admin to their merchant's rows with them.
//!
//! A store's merchant is `stores.merchant_id`, and a store without a row there (the default
//! store `main` among them) belongs to merchant `default`. A terminal's store is
//! `terminal_stores.store`, else `main`. Every console query that lists business rows joins
//! their terminal or store through these and keeps those equal to the admin's merchant.

/// The SQL expression of the merchant of the store in column `store_column`.
pub fn store_merchant(store_column: &str) -> String {
    format!("COALESCE((SELECT sm.merchant_id FROM stores sm WHERE sm.store = {store_column}), 'default')")
}

/// The SQL expression of the store of the terminal in column `terminal_column`
/// (`terminal_stores.store`, else `main`).
pub fn terminal_store(terminal_column: &str) -> String {
    format!("COALESCE((SELECT ts.store FROM terminal_stores ts WHERE ts.terminal_id = {terminal_column}), 'main')")
}

/// The SQL expression of the merchant of the terminal in column `terminal_column`.
pub fn terminal_merchant(terminal_column: &str) -> String {
    store_merchant(&terminal_store(terminal_column))
}

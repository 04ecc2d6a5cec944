//! Which stores an admin sees: those of their merchant.
//!
//! A store's merchant is `stores.merchant_id`, and a store without a row there (the default
//! store `main` among them) belongs to merchant `default`. Every console query that lists
//! business rows joins their store through [`store_merchant`] and keeps those equal to the
//! admin's merchant.

/// Whether this build's schema has the `stores` table (schema 12, merchants and stores). Until it
/// has, every store is merchant `default`'s; set to true when the table is in the schema.
const STORES_TABLE: bool = false;

/// The SQL expression of the merchant of the store in column `store_column`.
pub fn store_merchant(store_column: &str) -> String {
    if !STORES_TABLE {
        return "'default'".to_string();
    }
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

//! The statements of merchants' stores and scoped lookups (schema version 12), written once over
//! [`SqlConn`].

use super::super::scope::{ScopeTx, StoreRecord};
use super::super::sql::{Row, SqlConn, SqlConnExt};
use super::super::{RepoResult, SoldDeviceRecord};
use super::rows::{device_row as device, DEVICE_COLUMNS};
use crate::args;

/// Version 12: merchants' stores, and the merchant of everything a till looks up.
///
/// `stores` maps a store to its merchant (a store without a row belongs to `default`). Orders,
/// points accounts, service orders and software updates get the merchant they were made for
/// (every existing row belonged to the one merchant there was: `default`). The sold-data list
/// and the customers are rebuilt keyed by merchant: the same device may be sold by two merchants
/// (a trade-in), the same customer id at two merchants is two customers. The statements are
/// PostgreSQL's too.
pub(in crate::repo) const MIGRATION_12: &str = "
CREATE TABLE stores (
    store TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX stores_merchant ON stores (merchant_id);
ALTER TABLE orders ADD COLUMN merchant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE points_accounts ADD COLUMN merchant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE service_orders ADD COLUMN merchant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE software_updates ADD COLUMN merchant_id TEXT NOT NULL DEFAULT 'default';
CREATE TABLE sold_devices_v12 (
    merchant_id TEXT NOT NULL, blind TEXT NOT NULL, kind TEXT NOT NULL,
    line_code TEXT NOT NULL REFERENCES order_lines (line_code), terminal_id TEXT NOT NULL, order_id TEXT NOT NULL,
    store TEXT NOT NULL, price_minor BIGINT NOT NULL, currency TEXT NOT NULL, paying_account TEXT NOT NULL,
    software TEXT, sold_at BIGINT NOT NULL, refunded BIGINT NOT NULL, identifier_sealed TEXT NOT NULL,
    warranty_months BIGINT, PRIMARY KEY (merchant_id, blind));
INSERT INTO sold_devices_v12 (merchant_id, blind, kind, line_code, terminal_id, order_id, store, price_minor,
    currency, paying_account, software, sold_at, refunded, identifier_sealed, warranty_months)
    SELECT 'default', blind, kind, line_code, terminal_id, order_id, store, price_minor, currency, paying_account,
    software, sold_at, refunded, identifier_sealed, warranty_months FROM sold_devices;
DROP TABLE sold_devices;
ALTER TABLE sold_devices_v12 RENAME TO sold_devices;
CREATE TABLE customers_v12 (
    merchant_id TEXT NOT NULL, customer_id TEXT NOT NULL, reputation BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, customer_id));
INSERT INTO customers_v12 (merchant_id, customer_id, reputation)
    SELECT 'default', customer_id, reputation FROM customers;
DROP TABLE customers;
ALTER TABLE customers_v12 RENAME TO customers;
";

fn text(r: &Row) -> RepoResult<String> {
    r.text(0)
}

fn pair(r: &Row) -> RepoResult<(String, String)> {
    Ok((r.text(0)?, r.text(1)?))
}

/// The merchant of a store with a row.
pub(super) fn store_merchant(conn: &mut dyn SqlConn, store: &str) -> RepoResult<Option<String>> {
    conn.query_opt("SELECT merchant_id FROM stores WHERE store = ?1", args![store], text)
}

/// Adds a store unless it has a row; true when this statement added it.
pub(super) fn insert_store(conn: &mut dyn SqlConn, s: &StoreRecord) -> RepoResult<bool> {
    let n = conn.execute(
        "INSERT INTO stores (store, merchant_id, name, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (store) DO NOTHING",
        args![s.store, s.merchant_id, s.name, s.created_at],
    )?;
    Ok(n == 1)
}

/// Every store with a row.
pub(super) fn stores(conn: &mut dyn SqlConn) -> RepoResult<Vec<StoreRecord>> {
    conn.query_map(
        "SELECT store, merchant_id, name, created_at FROM stores ORDER BY merchant_id, store",
        args![],
        |r| Ok(StoreRecord { store: r.text(0)?, merchant_id: r.text(1)?, name: r.text(2)?, created_at: r.int(3)? }),
    )
}

/// Stamps an order with its merchant.
pub(super) fn set_order_merchant(
    conn: &mut dyn SqlConn,
    terminal: &str,
    order_id: &str,
    merchant: &str,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE orders SET merchant_id = ?3 WHERE terminal_id = ?1 AND order_id = ?2",
        args![terminal, order_id, merchant],
    )?;
    Ok(())
}

/// The merchant of a line's order.
pub(super) fn line_merchant(conn: &mut dyn SqlConn, line_code: &str) -> RepoResult<Option<String>> {
    conn.query_opt(
        "SELECT o.merchant_id FROM order_lines l \
         JOIN orders o ON o.terminal_id = l.terminal_id AND o.order_id = l.order_id WHERE l.line_code = ?1",
        args![line_code],
        text,
    )
}

/// The merchant of a refund's line.
pub(super) fn refund_merchant(conn: &mut dyn SqlConn, refund_id: &str) -> RepoResult<Option<String>> {
    conn.query_opt(
        "SELECT o.merchant_id FROM refunds r JOIN order_lines l ON l.line_code = r.line_code \
         JOIN orders o ON o.terminal_id = l.terminal_id AND o.order_id = l.order_id WHERE r.refund_id = ?1",
        args![refund_id],
        text,
    )
}

/// A merchant's sale of a device.
pub(super) fn sold_device(conn: &mut dyn SqlConn, merchant: &str, blind: &str) -> RepoResult<Option<SoldDeviceRecord>> {
    conn.query_opt(
        &format!("SELECT {DEVICE_COLUMNS} FROM sold_devices WHERE merchant_id = ?1 AND blind = ?2"),
        args![merchant, blind],
        device,
    )
}

/// Stores a merchant's sale of a device, first dropping its refunded earlier sale.
pub(super) fn insert_sold_device(conn: &mut dyn SqlConn, merchant: &str, d: &SoldDeviceRecord) -> RepoResult<()> {
    conn.execute(
        "DELETE FROM sold_devices WHERE merchant_id = ?1 AND blind = ?2 AND refunded = 1",
        args![merchant, d.blind],
    )?;
    conn.execute(
        &format!(
            "INSERT INTO sold_devices (merchant_id, {DEVICE_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ),
        args![
            merchant,
            d.blind,
            d.kind,
            d.line_code,
            d.terminal_id,
            d.order_id,
            d.store,
            d.price_minor,
            d.currency,
            d.paying_account,
            d.software,
            d.sold_at,
            d.refunded,
            d.identifier_sealed,
            d.warranty_months
        ],
    )?;
    Ok(())
}

/// Marks a merchant's sale of a device refunded or not.
pub(super) fn set_device_refunded(
    conn: &mut dyn SqlConn,
    merchant: &str,
    blind: &str,
    refunded: bool,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE sold_devices SET refunded = ?3 WHERE merchant_id = ?1 AND blind = ?2",
        args![merchant, blind, refunded],
    )?;
    Ok(())
}

/// A customer's reputation at a merchant.
pub(super) fn customer_reputation(
    conn: &mut dyn SqlConn,
    merchant: &str,
    customer_id: &str,
) -> RepoResult<Option<i64>> {
    conn.query_opt(
        "SELECT reputation FROM customers WHERE merchant_id = ?1 AND customer_id = ?2",
        args![merchant, customer_id],
        |r| r.int(0),
    )
}

/// Sets a customer's reputation at a merchant.
pub(super) fn set_customer_reputation(
    conn: &mut dyn SqlConn,
    merchant: &str,
    customer_id: &str,
    reputation: i64,
) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO customers (merchant_id, customer_id, reputation) VALUES (?1, ?2, ?3) \
         ON CONFLICT (merchant_id, customer_id) DO UPDATE SET reputation = excluded.reputation",
        args![merchant, customer_id, reputation],
    )?;
    Ok(())
}

/// The merchant of a points account.
pub(super) fn points_account_merchant(conn: &mut dyn SqlConn, account_id: &str) -> RepoResult<Option<String>> {
    conn.query_opt("SELECT merchant_id FROM points_accounts WHERE account_id = ?1", args![account_id], text)
}

/// Stamps a points account with its merchant.
pub(super) fn set_points_account_merchant(conn: &mut dyn SqlConn, account_id: &str, merchant: &str) -> RepoResult<()> {
    conn.execute("UPDATE points_accounts SET merchant_id = ?2 WHERE account_id = ?1", args![account_id, merchant])?;
    Ok(())
}

/// Stamps a service order with its merchant.
pub(super) fn set_service_order_merchant(
    conn: &mut dyn SqlConn,
    terminal: &str,
    service_no: &str,
    merchant: &str,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE service_orders SET merchant_id = ?3 WHERE terminal_id = ?1 AND service_no = ?2",
        args![terminal, service_no, merchant],
    )?;
    Ok(())
}

/// The keys of a merchant's service orders of a device.
pub(super) fn service_orders(conn: &mut dyn SqlConn, merchant: &str, blind: &str) -> RepoResult<Vec<(String, String)>> {
    conn.query_map(
        "SELECT terminal_id, service_no FROM service_orders WHERE merchant_id = ?1 AND device_blind = ?2",
        args![merchant, blind],
        pair,
    )
}

/// Stamps a software update with its merchant.
pub(super) fn set_software_update_merchant(
    conn: &mut dyn SqlConn,
    terminal: &str,
    update_id: &str,
    merchant: &str,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE software_updates SET merchant_id = ?3 WHERE terminal_id = ?1 AND update_id = ?2",
        args![terminal, update_id, merchant],
    )?;
    Ok(())
}

/// The keys of a merchant's software updates of a device.
pub(super) fn software_updates(
    conn: &mut dyn SqlConn,
    merchant: &str,
    blind: &str,
) -> RepoResult<Vec<(String, String)>> {
    conn.query_map(
        "SELECT terminal_id, update_id FROM software_updates WHERE merchant_id = ?1 AND device_blind = ?2",
        args![merchant, blind],
        pair,
    )
}

impl ScopeTx for super::super::sql_tx::SqlTx<'_> {
    fn store_merchant(&mut self, store: &str) -> RepoResult<Option<String>> {
        store_merchant(self.sql(), store)
    }
    fn insert_store(&mut self, s: &StoreRecord) -> RepoResult<bool> {
        insert_store(self.sql(), s)
    }
    fn stores(&mut self) -> RepoResult<Vec<StoreRecord>> {
        stores(self.sql())
    }
    fn set_order_merchant(&mut self, terminal: &str, order_id: &str, merchant: &str) -> RepoResult<()> {
        set_order_merchant(self.sql(), terminal, order_id, merchant)
    }
    fn line_merchant(&mut self, line_code: &str) -> RepoResult<Option<String>> {
        line_merchant(self.sql(), line_code)
    }
    fn refund_merchant(&mut self, refund_id: &str) -> RepoResult<Option<String>> {
        refund_merchant(self.sql(), refund_id)
    }
    fn merchant_sold_device(&mut self, merchant: &str, blind: &str) -> RepoResult<Option<SoldDeviceRecord>> {
        sold_device(self.sql(), merchant, blind)
    }
    fn insert_merchant_sold_device(&mut self, merchant: &str, d: &SoldDeviceRecord) -> RepoResult<()> {
        insert_sold_device(self.sql(), merchant, d)
    }
    fn set_merchant_device_refunded(&mut self, merchant: &str, blind: &str, refunded: bool) -> RepoResult<()> {
        set_device_refunded(self.sql(), merchant, blind, refunded)
    }
    fn merchant_customer_reputation(&mut self, merchant: &str, customer_id: &str) -> RepoResult<Option<i64>> {
        customer_reputation(self.sql(), merchant, customer_id)
    }
    fn set_merchant_customer_reputation(
        &mut self,
        merchant: &str,
        customer_id: &str,
        reputation: i64,
    ) -> RepoResult<()> {
        set_customer_reputation(self.sql(), merchant, customer_id, reputation)
    }
    fn points_account_merchant(&mut self, account_id: &str) -> RepoResult<Option<String>> {
        points_account_merchant(self.sql(), account_id)
    }
    fn set_points_account_merchant(&mut self, account_id: &str, merchant: &str) -> RepoResult<()> {
        set_points_account_merchant(self.sql(), account_id, merchant)
    }
    fn set_service_order_merchant(&mut self, terminal: &str, service_no: &str, merchant: &str) -> RepoResult<()> {
        set_service_order_merchant(self.sql(), terminal, service_no, merchant)
    }
    fn merchant_service_orders(&mut self, merchant: &str, blind: &str) -> RepoResult<Vec<(String, String)>> {
        service_orders(self.sql(), merchant, blind)
    }
    fn set_software_update_merchant(&mut self, terminal: &str, update_id: &str, merchant: &str) -> RepoResult<()> {
        set_software_update_merchant(self.sql(), terminal, update_id, merchant)
    }
    fn merchant_software_updates(&mut self, merchant: &str, blind: &str) -> RepoResult<Vec<(String, String)>> {
        software_updates(self.sql(), merchant, blind)
    }
}

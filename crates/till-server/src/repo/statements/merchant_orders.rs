//! The statements behind orders pending collection (schema version 8): merchants, the store of
//! each terminal, the orders with their lines (pickup codes sealed under the server key) and
//! which terminals reserved them.

use crate::args;
use crate::repo::sql::{Row, SqlConn, SqlConnExt};
use crate::repo::sql_tx::SqlTx;
use crate::repo::{MerchantOrderLineRecord, MerchantOrderRecord, MerchantOrdersTx, MerchantRecord, RepoResult};
use crate::sealing::{Purpose, ServerKey};

const MERCHANT_COLUMNS: &str = "merchant_id, name, store, key_sha256, created_at, disabled";

fn merchant_row(r: &Row) -> RepoResult<MerchantRecord> {
    Ok(MerchantRecord {
        merchant_id: r.text(0)?,
        name: r.text(1)?,
        store: r.text(2)?,
        key_sha256: r.text(3)?,
        created_at: r.int(4)?,
        disabled: r.flag(5)?,
    })
}

const ORDER_COLUMNS: &str = "order_id, merchant_id, order_number, request_hash, store, customer_name, \
     customer_phone, currency, total_minor, pickup_code_sealed, status, created_at, expires_at, reserved_by, \
     reserved_until, pickup_failures, collected_terminal, collected_sale, collected_at, collected_flag, \
     cancelled_at, seq";

fn order_row(r: &Row) -> RepoResult<MerchantOrderRecord> {
    Ok(MerchantOrderRecord {
        order_id: r.text(0)?,
        merchant_id: r.text(1)?,
        order_number: r.text(2)?,
        request_hash: r.text(3)?,
        store: r.text(4)?,
        customer_name: r.text(5)?,
        customer_phone: r.text(6)?,
        currency: r.text(7)?,
        total_minor: r.int(8)?,
        pickup_code: r.text(9)?,
        status: r.text(10)?,
        created_at: r.int(11)?,
        expires_at: r.int(12)?,
        reserved_by: r.opt_text(13)?,
        reserved_until: r.opt_int(14)?,
        pickup_failures: r.int(15)?,
        collected_terminal: r.opt_text(16)?,
        collected_sale: r.opt_text(17)?,
        collected_at: r.opt_int(18)?,
        collected_flag: r.opt_text(19)?,
        cancelled_at: r.opt_int(20)?,
        seq: r.int(21)?,
        lines: Vec::new(),
    })
}

/// Stores an order and its lines.
fn insert_order(conn: &mut dyn SqlConn, key: &ServerKey, o: &MerchantOrderRecord) -> RepoResult<()> {
    let sealed = key.seal(Purpose::PickupCode(&o.order_id), o.pickup_code.as_bytes())?;
    conn.execute(
        &format!(
            "INSERT INTO merchant_orders ({ORDER_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
        ),
        args![
            o.order_id,
            o.merchant_id,
            o.order_number,
            o.request_hash,
            o.store,
            o.customer_name,
            o.customer_phone,
            o.currency,
            o.total_minor,
            sealed,
            o.status,
            o.created_at,
            o.expires_at,
            o.reserved_by,
            o.reserved_until,
            o.pickup_failures,
            o.collected_terminal,
            o.collected_sale,
            o.collected_at,
            o.collected_flag,
            o.cancelled_at,
            o.seq
        ],
    )?;
    for l in &o.lines {
        conn.execute(
            "INSERT INTO merchant_order_lines (order_id, line_no, sku, name, quantity, unit_price_minor, \
             total_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![o.order_id, l.line_no, l.sku, l.name, l.quantity, l.unit_price_minor, l.total_minor],
        )?;
    }
    Ok(())
}

/// Opens the pickup code and reads the lines of an order row.
fn complete(conn: &mut dyn SqlConn, key: &ServerKey, mut o: MerchantOrderRecord) -> RepoResult<MerchantOrderRecord> {
    o.pickup_code = key.open_text(Purpose::PickupCode(&o.order_id), &o.pickup_code)?;
    o.lines = conn.query_map(
        "SELECT line_no, sku, name, quantity, unit_price_minor, total_minor FROM merchant_order_lines \
         WHERE order_id = ?1 ORDER BY line_no",
        args![o.order_id],
        |r| {
            Ok(MerchantOrderLineRecord {
                line_no: r.int(0)?,
                sku: r.text(1)?,
                name: r.text(2)?,
                quantity: r.int(3)?,
                unit_price_minor: r.int(4)?,
                total_minor: r.int(5)?,
            })
        },
    )?;
    Ok(o)
}

/// The orders a query answers, completed.
fn orders(
    conn: &mut dyn SqlConn,
    key: &ServerKey,
    sql: &str,
    args: &[crate::repo::sql::Value],
) -> RepoResult<Vec<MerchantOrderRecord>> {
    let rows = conn.query_map(sql, args, order_row)?;
    rows.into_iter().map(|o| complete(conn, key, o)).collect()
}

impl MerchantOrdersTx for SqlTx<'_> {
    fn terminal_store(&mut self, terminal: &str) -> RepoResult<Option<String>> {
        self.sql().query_opt("SELECT store FROM terminal_stores WHERE terminal_id = ?1", args![terminal], |r| r.text(0))
    }

    fn set_terminal_store(&mut self, terminal: &str, store: &str) -> RepoResult<()> {
        self.sql().execute(
            "INSERT INTO terminal_stores (terminal_id, store) VALUES (?1, ?2) \
             ON CONFLICT (terminal_id) DO UPDATE SET store = excluded.store",
            args![terminal, store],
        )?;
        Ok(())
    }

    fn insert_merchant(&mut self, m: &MerchantRecord) -> RepoResult<()> {
        self.sql().execute(
            &format!("INSERT INTO merchants ({MERCHANT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            args![m.merchant_id, m.name, m.store, m.key_sha256, m.created_at, m.disabled],
        )?;
        Ok(())
    }

    fn merchant(&mut self, merchant_id: &str) -> RepoResult<Option<MerchantRecord>> {
        self.sql().query_opt(
            &format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE merchant_id = ?1"),
            args![merchant_id],
            merchant_row,
        )
    }

    fn merchants(&mut self) -> RepoResult<Vec<MerchantRecord>> {
        self.sql().query_map(
            &format!("SELECT {MERCHANT_COLUMNS} FROM merchants ORDER BY created_at, merchant_id"),
            args![],
            merchant_row,
        )
    }

    fn set_merchant_disabled(&mut self, merchant_id: &str, disabled: bool) -> RepoResult<bool> {
        let n = self
            .sql()
            .execute("UPDATE merchants SET disabled = ?2 WHERE merchant_id = ?1", args![merchant_id, disabled])?;
        Ok(n == 1)
    }

    fn next_merchant_order_seq(&mut self) -> RepoResult<i64> {
        // The caller holds the write lock, so no other transaction takes the same position (and
        // the unique index would refuse it anyway).
        Ok(self.sql().query_int("SELECT COALESCE(MAX(seq), 0) + 1 FROM merchant_orders", args![])?.unwrap_or(1))
    }

    fn insert_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()> {
        let key = self.key;
        insert_order(self.sql(), key, o)
    }

    fn update_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()> {
        self.sql().execute(
            "UPDATE merchant_orders SET status = ?2, reserved_by = ?3, reserved_until = ?4, pickup_failures = ?5, \
             collected_terminal = ?6, collected_sale = ?7, collected_at = ?8, collected_flag = ?9, \
             cancelled_at = ?10, seq = ?11 WHERE order_id = ?1",
            args![
                o.order_id,
                o.status,
                o.reserved_by,
                o.reserved_until,
                o.pickup_failures,
                o.collected_terminal,
                o.collected_sale,
                o.collected_at,
                o.collected_flag,
                o.cancelled_at,
                o.seq
            ],
        )?;
        Ok(())
    }

    fn merchant_order(&mut self, order_id: &str) -> RepoResult<Option<MerchantOrderRecord>> {
        let key = self.key;
        let sql = format!("SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE order_id = ?1");
        Ok(orders(self.sql(), key, &sql, args![order_id])?.into_iter().next())
    }

    fn merchant_order_by_number(&mut self, merchant_id: &str, number: &str) -> RepoResult<Option<MerchantOrderRecord>> {
        let key = self.key;
        let sql = format!("SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE merchant_id = ?1 AND order_number = ?2");
        Ok(orders(self.sql(), key, &sql, args![merchant_id, number])?.into_iter().next())
    }

    fn merchant_orders_changed(
        &mut self,
        store: &str,
        after_seq: i64,
        limit: i64,
    ) -> RepoResult<Vec<MerchantOrderRecord>> {
        let key = self.key;
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE store = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
        orders(self.sql(), key, &sql, args![store, after_seq, limit])
    }

    fn merchant_orders_due(&mut self, store: &str, now: i64) -> RepoResult<Vec<String>> {
        self.sql().query_map(
            "SELECT order_id FROM merchant_orders WHERE status = 'pending' AND expires_at <= ?2 AND store = ?1 \
             ORDER BY seq",
            args![store, now],
            |r| r.text(0),
        )
    }

    fn note_merchant_order_reservation(&mut self, order_id: &str, terminal: &str, at: i64) -> RepoResult<()> {
        self.sql().execute(
            "INSERT INTO merchant_order_reservations (order_id, terminal_id, first_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (order_id, terminal_id) DO NOTHING",
            args![order_id, terminal, at],
        )?;
        Ok(())
    }

    fn merchant_order_reserved_by(&mut self, order_id: &str, terminal: &str) -> RepoResult<bool> {
        self.sql().exists(
            "SELECT 1 FROM merchant_order_reservations WHERE order_id = ?1 AND terminal_id = ?2",
            args![order_id, terminal],
        )
    }
}

//! The statements behind orders pending collection (schema version 8): merchants, the store of
//! each terminal, the orders with their lines (pickup codes sealed under the server key) and
//! which terminals reserved them.

use super::super::{MerchantOrderLineRecord, MerchantOrderRecord, MerchantRecord, RepoResult};
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The store set for a terminal.
pub(super) fn terminal_store(conn: &Connection, terminal: &str) -> RepoResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT store FROM terminal_stores WHERE terminal_id = ?1")?
        .query_row([terminal], |r| r.get(0))
        .optional()?)
}

/// Sets (or moves) a terminal's store.
pub(super) fn set_terminal_store(conn: &Connection, terminal: &str, store: &str) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO terminal_stores (terminal_id, store) VALUES (?1, ?2) \
         ON CONFLICT (terminal_id) DO UPDATE SET store = excluded.store",
    )?
    .execute(params![terminal, store])?;
    Ok(())
}

const MERCHANT_COLUMNS: &str = "merchant_id, name, store, key_sha256, created_at, disabled";

fn merchant_row(r: &Row<'_>) -> rusqlite::Result<MerchantRecord> {
    Ok(MerchantRecord {
        merchant_id: r.get(0)?,
        name: r.get(1)?,
        store: r.get(2)?,
        key_sha256: r.get(3)?,
        created_at: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
    })
}

/// Stores a merchant.
pub(super) fn insert_merchant(conn: &Connection, m: &MerchantRecord) -> RepoResult<()> {
    conn.prepare_cached(&format!("INSERT INTO merchants ({MERCHANT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))?
        .execute(params![m.merchant_id, m.name, m.store, m.key_sha256, m.created_at, i64::from(m.disabled)])?;
    Ok(())
}

/// A merchant by id.
pub(super) fn merchant(conn: &Connection, merchant_id: &str) -> RepoResult<Option<MerchantRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE merchant_id = ?1"))?
        .query_row([merchant_id], merchant_row)
        .optional()?)
}

/// Every merchant, oldest first.
pub(super) fn merchants(conn: &Connection) -> RepoResult<Vec<MerchantRecord>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {MERCHANT_COLUMNS} FROM merchants ORDER BY created_at, merchant_id"))?;
    let rows = stmt.query_map([], merchant_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Disables or re-enables a merchant.
pub(super) fn set_merchant_disabled(conn: &Connection, merchant_id: &str, disabled: bool) -> RepoResult<bool> {
    let n = conn
        .prepare_cached("UPDATE merchants SET disabled = ?2 WHERE merchant_id = ?1")?
        .execute(params![merchant_id, i64::from(disabled)])?;
    Ok(n == 1)
}

/// One more than the largest change position. The caller holds the write lock, so no other
/// transaction takes the same one (and the unique index would refuse it anyway).
pub(super) fn next_seq(conn: &Connection) -> RepoResult<i64> {
    Ok(conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM merchant_orders")?.query_row([], |r| r.get(0))?)
}

const ORDER_COLUMNS: &str = "order_id, merchant_id, order_number, request_hash, store, customer_name, \
     customer_phone, currency, total_minor, pickup_code_sealed, status, created_at, expires_at, reserved_by, \
     reserved_until, pickup_failures, collected_terminal, collected_sale, collected_at, collected_flag, \
     cancelled_at, seq";

fn order_row(r: &Row<'_>) -> rusqlite::Result<MerchantOrderRecord> {
    Ok(MerchantOrderRecord {
        order_id: r.get(0)?,
        merchant_id: r.get(1)?,
        order_number: r.get(2)?,
        request_hash: r.get(3)?,
        store: r.get(4)?,
        customer_name: r.get(5)?,
        customer_phone: r.get(6)?,
        currency: r.get(7)?,
        total_minor: r.get(8)?,
        pickup_code: r.get(9)?,
        status: r.get(10)?,
        created_at: r.get(11)?,
        expires_at: r.get(12)?,
        reserved_by: r.get(13)?,
        reserved_until: r.get(14)?,
        pickup_failures: r.get(15)?,
        collected_terminal: r.get(16)?,
        collected_sale: r.get(17)?,
        collected_at: r.get(18)?,
        collected_flag: r.get(19)?,
        cancelled_at: r.get(20)?,
        seq: r.get(21)?,
        lines: Vec::new(),
    })
}

/// Stores an order and its lines.
pub(super) fn insert_order(conn: &Connection, key: &ServerKey, o: &MerchantOrderRecord) -> RepoResult<()> {
    let sealed = key.seal(Purpose::PickupCode(&o.order_id), o.pickup_code.as_bytes())?;
    conn.prepare_cached(&format!(
        "INSERT INTO merchant_orders ({ORDER_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?
    .execute(params![
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
    ])?;
    let mut line = conn.prepare_cached(
        "INSERT INTO merchant_order_lines (order_id, line_no, sku, name, quantity, unit_price_minor, total_minor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for l in &o.lines {
        line.execute(params![o.order_id, l.line_no, l.sku, l.name, l.quantity, l.unit_price_minor, l.total_minor])?;
    }
    Ok(())
}

/// Writes the columns that change over an order's life.
pub(super) fn update_order(conn: &Connection, o: &MerchantOrderRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "UPDATE merchant_orders SET status = ?2, reserved_by = ?3, reserved_until = ?4, pickup_failures = ?5, \
         collected_terminal = ?6, collected_sale = ?7, collected_at = ?8, collected_flag = ?9, cancelled_at = ?10, \
         seq = ?11 WHERE order_id = ?1",
    )?
    .execute(params![
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
    ])?;
    Ok(())
}

/// Opens the pickup code and reads the lines of an order row.
fn complete(conn: &Connection, key: &ServerKey, mut o: MerchantOrderRecord) -> RepoResult<MerchantOrderRecord> {
    o.pickup_code = key.open_text(Purpose::PickupCode(&o.order_id), &o.pickup_code)?;
    let mut stmt = conn.prepare_cached(
        "SELECT line_no, sku, name, quantity, unit_price_minor, total_minor FROM merchant_order_lines \
         WHERE order_id = ?1 ORDER BY line_no",
    )?;
    o.lines = stmt
        .query_map([&o.order_id], |r| {
            Ok(MerchantOrderLineRecord {
                line_no: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                quantity: r.get(3)?,
                unit_price_minor: r.get(4)?,
                total_minor: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(o)
}

/// An order by id.
pub(super) fn order(conn: &Connection, key: &ServerKey, order_id: &str) -> RepoResult<Option<MerchantOrderRecord>> {
    let row = conn
        .prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE order_id = ?1"))?
        .query_row([order_id], order_row)
        .optional()?;
    row.map(|o| complete(conn, key, o)).transpose()
}

/// An order by its merchant's number.
pub(super) fn order_by_number(
    conn: &Connection,
    key: &ServerKey,
    merchant_id: &str,
    number: &str,
) -> RepoResult<Option<MerchantOrderRecord>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE merchant_id = ?1 AND order_number = ?2"
        ))?
        .query_row(params![merchant_id, number], order_row)
        .optional()?;
    row.map(|o| complete(conn, key, o)).transpose()
}

/// A store's orders changed after a position.
pub(super) fn changed(
    conn: &Connection,
    key: &ServerKey,
    store: &str,
    after_seq: i64,
    limit: i64,
) -> RepoResult<Vec<MerchantOrderRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM merchant_orders WHERE store = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![store, after_seq, limit], order_row)?.collect::<Result<Vec<_>, _>>()?;
    drop(stmt);
    rows.into_iter().map(|o| complete(conn, key, o)).collect()
}

/// A store's pending orders past their expiry.
pub(super) fn due(conn: &Connection, store: &str, now: i64) -> RepoResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT order_id FROM merchant_orders WHERE status = 'pending' AND expires_at <= ?2 AND store = ?1 \
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![store, now], |r| r.get(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Remembers a terminal's reservation of an order.
pub(super) fn note_reservation(conn: &Connection, order_id: &str, terminal: &str, at: i64) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO merchant_order_reservations (order_id, terminal_id, first_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (order_id, terminal_id) DO NOTHING",
    )?
    .execute(params![order_id, terminal, at])?;
    Ok(())
}

/// Whether a terminal ever reserved an order.
pub(super) fn reserved_by(conn: &Connection, order_id: &str, terminal: &str) -> RepoResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM merchant_order_reservations WHERE order_id = ?1 AND terminal_id = ?2")?
        .query_row(params![order_id, terminal], |_| Ok(()))
        .optional()?
        .is_some())
}

impl super::super::MerchantOrdersTx for super::SqliteTx<'_> {
    fn terminal_store(&mut self, terminal: &str) -> RepoResult<Option<String>> {
        terminal_store(&self.conn, terminal)
    }

    fn set_terminal_store(&mut self, terminal: &str, store: &str) -> RepoResult<()> {
        set_terminal_store(&self.conn, terminal, store)
    }

    fn insert_merchant(&mut self, m: &MerchantRecord) -> RepoResult<()> {
        insert_merchant(&self.conn, m)
    }

    fn merchant(&mut self, merchant_id: &str) -> RepoResult<Option<MerchantRecord>> {
        merchant(&self.conn, merchant_id)
    }

    fn merchants(&mut self) -> RepoResult<Vec<MerchantRecord>> {
        merchants(&self.conn)
    }

    fn set_merchant_disabled(&mut self, merchant_id: &str, disabled: bool) -> RepoResult<bool> {
        set_merchant_disabled(&self.conn, merchant_id, disabled)
    }

    fn next_merchant_order_seq(&mut self) -> RepoResult<i64> {
        next_seq(&self.conn)
    }

    fn insert_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()> {
        insert_order(&self.conn, self.key, o)
    }

    fn update_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()> {
        update_order(&self.conn, o)
    }

    fn merchant_order(&mut self, order_id: &str) -> RepoResult<Option<MerchantOrderRecord>> {
        order(&self.conn, self.key, order_id)
    }

    fn merchant_order_by_number(&mut self, merchant_id: &str, number: &str) -> RepoResult<Option<MerchantOrderRecord>> {
        order_by_number(&self.conn, self.key, merchant_id, number)
    }

    fn merchant_orders_changed(
        &mut self,
        store: &str,
        after_seq: i64,
        limit: i64,
    ) -> RepoResult<Vec<MerchantOrderRecord>> {
        changed(&self.conn, self.key, store, after_seq, limit)
    }

    fn merchant_orders_due(&mut self, store: &str, now: i64) -> RepoResult<Vec<String>> {
        due(&self.conn, store, now)
    }

    fn note_merchant_order_reservation(&mut self, order_id: &str, terminal: &str, at: i64) -> RepoResult<()> {
        note_reservation(&self.conn, order_id, terminal, at)
    }

    fn merchant_order_reserved_by(&mut self, order_id: &str, terminal: &str) -> RepoResult<bool> {
        reserved_by(&self.conn, order_id, terminal)
    }
}

//! The till's mirror of the platform's orders pending collection (migration 19,
//! docs/pending-orders.md): each page the server sends is written with the cursor after it in
//! one transaction, so a restart goes on from where the last stored page ended. A version older
//! than the one stored never overwrites it (a reserve answer and a page may cross).

use crate::{audit, settings, Result, Store};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The setting holding the cursor of the last stored page.
pub const CURSOR_SETTING: &str = "pending_orders.cursor";

/// One line of a mirrored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrderLine {
    /// Position, from 1.
    pub line_no: i64,
    /// SKU in the store's catalogue.
    pub sku: String,
    /// The name the customer ordered.
    pub name: String,
    /// Quantity.
    pub quantity: i64,
    /// The promised unit price, minor units.
    pub unit_price_minor: i64,
    /// Quantity × unit price, minor units.
    pub total_minor: i64,
}

/// A mirrored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrderRecord {
    /// The platform's order id.
    pub order_id: String,
    /// The merchant's order number.
    pub order_number: String,
    /// `pending`, `reserved`, `collected`, `cancelled` or `expired`, as the server last said.
    pub status: String,
    /// The customer's name.
    pub customer_name: String,
    /// The last four digits of their phone.
    pub phone_tail: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// Received by the platform.
    pub created_at_ms: i64,
    /// Collectable until.
    pub expires_at_ms: i64,
    /// Held by a till until.
    pub reserved_until_ms: Option<i64>,
    /// Whether this till holds it.
    pub reserved_here: bool,
    /// Wrong pickup codes still allowed.
    pub pickup_attempts_left: i64,
    /// The server's change position of this version.
    pub version: i64,
    /// The lines.
    pub lines: Vec<PendingOrderLine>,
}

/// Inserts or replaces an order unless the stored version is newer; true when written.
fn upsert(tx: &Transaction<'_>, o: &PendingOrderRecord, now_ms: i64) -> Result<bool> {
    let stored: Option<i64> = tx
        .prepare_cached("SELECT version FROM pending_orders WHERE order_id = ?1")?
        .query_row([&o.order_id], |r| r.get(0))
        .optional()?;
    if stored.is_some_and(|v| v > o.version) {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO pending_orders (order_id, order_number, status, customer_name, phone_tail, currency, \
         total_minor, created_at_ms, expires_at_ms, reserved_until_ms, reserved_here, pickup_attempts_left, version, \
         updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, reserved_until_ms = excluded.reserved_until_ms, \
         reserved_here = excluded.reserved_here, pickup_attempts_left = excluded.pickup_attempts_left, \
         version = excluded.version, updated_at_ms = excluded.updated_at_ms",
    )?
    .execute(params![
        o.order_id,
        o.order_number,
        o.status,
        o.customer_name,
        o.phone_tail,
        o.currency,
        o.total_minor,
        o.created_at_ms,
        o.expires_at_ms,
        o.reserved_until_ms,
        i64::from(o.reserved_here),
        o.pickup_attempts_left,
        o.version,
        now_ms
    ])?;
    if stored.is_none() {
        // An order's lines never change: written once, with the order.
        let mut line = tx.prepare_cached(
            "INSERT INTO pending_order_lines (order_id, line_no, sku, name, quantity, unit_price_minor, total_minor) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for l in &o.lines {
            line.execute(params![o.order_id, l.line_no, l.sku, l.name, l.quantity, l.unit_price_minor, l.total_minor])?;
        }
    }
    Ok(true)
}

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingOrderRecord> {
    Ok(PendingOrderRecord {
        order_id: r.get(0)?,
        order_number: r.get(1)?,
        status: r.get(2)?,
        customer_name: r.get(3)?,
        phone_tail: r.get(4)?,
        currency: r.get(5)?,
        total_minor: r.get(6)?,
        created_at_ms: r.get(7)?,
        expires_at_ms: r.get(8)?,
        reserved_until_ms: r.get(9)?,
        reserved_here: r.get::<_, i64>(10)? != 0,
        pickup_attempts_left: r.get(11)?,
        version: r.get(12)?,
        lines: Vec::new(),
    })
}

const COLUMNS: &str = "order_id, order_number, status, customer_name, phone_tail, currency, total_minor, \
     created_at_ms, expires_at_ms, reserved_until_ms, reserved_here, pickup_attempts_left, version";

fn with_lines(c: &Connection, mut o: PendingOrderRecord) -> Result<PendingOrderRecord> {
    let mut stmt = c.prepare_cached(
        "SELECT line_no, sku, name, quantity, unit_price_minor, total_minor FROM pending_order_lines \
         WHERE order_id = ?1 ORDER BY line_no",
    )?;
    o.lines = stmt
        .query_map([&o.order_id], |r| {
            Ok(PendingOrderLine {
                line_no: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                quantity: r.get(3)?,
                unit_price_minor: r.get(4)?,
                total_minor: r.get(5)?,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(o)
}

impl Store {
    /// The cursor after the last stored page (none before the first).
    pub fn pending_orders_cursor(&self) -> Result<Option<String>> {
        self.setting(CURSOR_SETTING)
    }

    /// Stores one page of the server's changes and the cursor after it, in one transaction.
    /// Returns how many orders changed here.
    pub fn pending_orders_apply_page(&self, orders: &[PendingOrderRecord], cursor: &str, now_ms: i64) -> Result<usize> {
        self.write(|tx| {
            let mut changed = 0;
            for o in orders {
                changed += usize::from(upsert(tx, o, now_ms)?);
            }
            settings::put(tx, CURSOR_SETTING, cursor)?;
            Ok(changed)
        })
    }

    /// Stores one order as the server just answered it (a reservation or a release), with an
    /// audit entry for what the cashier did.
    pub fn pending_order_answered(
        &self,
        order: &PendingOrderRecord,
        actor: i64,
        action: &str,
        detail: &serde_json::Value,
        now_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            upsert(tx, order, now_ms)?;
            audit::append(tx, now_ms, Some(actor), action, detail)?;
            Ok(())
        })
    }

    /// The orders still to collect (`pending` or `reserved`), oldest first, with their lines.
    pub fn pending_orders_open(&self) -> Result<Vec<PendingOrderRecord>> {
        self.read(|c| {
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM pending_orders WHERE status IN ('pending', 'reserved') \
                     ORDER BY created_at_ms, order_id"
                ))?
                .query_map([], order_row)?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            rows.into_iter().map(|o| with_lines(c, o)).collect()
        })
    }

    /// How many orders are still to collect.
    pub fn pending_orders_open_count(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT count(*) FROM pending_orders WHERE status IN ('pending', 'reserved')")?
                .query_row([], |r| r.get(0))?)
        })
    }

    /// One mirrored order with its lines.
    pub fn pending_order(&self, order_id: &str) -> Result<Option<PendingOrderRecord>> {
        self.read(|c| {
            let row = c
                .prepare_cached(&format!("SELECT {COLUMNS} FROM pending_orders WHERE order_id = ?1"))?
                .query_row([order_id], order_row)
                .optional()?;
            row.map(|o| with_lines(c, o)).transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str, version: i64, status: &str) -> PendingOrderRecord {
        PendingOrderRecord {
            order_id: id.into(),
            order_number: "WEB-1".into(),
            status: status.into(),
            customer_name: "Li Na".into(),
            phone_tail: "8000".into(),
            currency: "CNY".into(),
            total_minor: 500,
            created_at_ms: 1,
            expires_at_ms: 2,
            reserved_until_ms: None,
            reserved_here: false,
            pickup_attempts_left: 5,
            version,
            lines: vec![PendingOrderLine {
                line_no: 1,
                sku: "TEA".into(),
                name: "Tea".into(),
                quantity: 2,
                unit_price_minor: 250,
                total_minor: 500,
            }],
        }
    }

    #[test]
    fn pages_store_the_cursor_and_older_versions_never_overwrite_newer_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("till.db")).unwrap();
        assert_eq!(store.pending_orders_cursor().unwrap(), None);
        store.pending_orders_apply_page(&[order("PO-1", 3, "pending"), order("PO-2", 4, "pending")], "4", 10).unwrap();
        assert_eq!(store.pending_orders_cursor().unwrap().as_deref(), Some("4"));
        assert_eq!(store.pending_orders_open_count().unwrap(), 2);
        // A newer version moves the status; an older one arriving late changes nothing.
        assert_eq!(store.pending_orders_apply_page(&[order("PO-1", 7, "collected")], "7", 11).unwrap(), 1);
        assert_eq!(store.pending_orders_apply_page(&[order("PO-1", 5, "reserved")], "7", 12).unwrap(), 0);
        let one = store.pending_order("PO-1").unwrap().unwrap();
        assert_eq!((one.status.as_str(), one.lines.len()), ("collected", 1));
        assert_eq!(
            store.pending_orders_open().unwrap().iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(),
            ["PO-2"]
        );
    }
}

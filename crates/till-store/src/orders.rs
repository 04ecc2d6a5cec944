//! Reading recorded orders back, for receipts and checks.

use crate::{Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use till_core::{Currency, Money};

/// A recorded order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRecord {
    /// Line code (compact form).
    pub line_code: String,
    /// SKU at the time of sale.
    pub sku: String,
    /// Name at the time of sale.
    pub name: String,
    /// Chinese name at the time of sale.
    pub name_zh: Option<String>,
    /// Units.
    pub quantity: i64,
    /// Unit price.
    pub unit_price: Money,
    /// Tax rate, basis points.
    pub tax_rate_bp: i64,
    /// Net amount.
    pub net: Money,
    /// Tax.
    pub tax: Money,
    /// Gross amount.
    pub gross: Money,
    /// The device sold on the line (IMEI or serial number).
    pub serial_number: Option<String>,
    /// Where the line came from when not the catalogue: (`pending_order` | `service`, reference).
    pub origin: Option<(String, String)>,
}

/// A recorded payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// `cash` or `card`.
    pub tender: String,
    /// Amount paid.
    pub amount: Money,
    /// Cash handed over.
    pub tendered: Option<Money>,
    /// Change given.
    pub change: Option<Money>,
    /// Masked PAN.
    pub card_masked: Option<String>,
    /// Card brand.
    pub card_brand: Option<String>,
    /// Approval code.
    pub auth_code: Option<String>,
}

/// A recorded order with its lines and payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Id.
    pub id: i64,
    /// Printed number.
    pub order_no: String,
    /// The cart id it was checked out from.
    pub checkout_key: String,
    /// Who sold it.
    pub cashier_name: String,
    /// When, ms since the epoch.
    pub created_at_ms: i64,
    /// Net total.
    pub subtotal: Money,
    /// Tax total.
    pub tax: Money,
    /// Gross total.
    pub total: Money,
    /// Lines in order.
    pub lines: Vec<OrderLineRecord>,
    /// Payments.
    pub payments: Vec<PaymentRecord>,
}

fn load(c: &Connection, id: i64) -> Result<OrderRecord> {
    let head = c
        .query_row(
            "SELECT o.id, o.order_no, o.checkout_key, u.name, o.created_at_ms, o.currency, o.subtotal_minor, o.tax_minor, o.total_minor
             FROM orders o JOIN users u ON u.id = o.cashier_id WHERE o.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                ))
            },
        )
        .optional()?
        .ok_or(StoreError::NotFound("order"))?;
    let cur = Currency::parse(&head.5)?;
    let m = |v: i64| Money::new(v, cur);
    let mut stmt = c.prepare_cached(
        "SELECT line_code, sku, name, name_zh, quantity, unit_price_minor, tax_rate_bp, net_minor, tax_minor, gross_minor,
                serial_number, origin_kind, origin_ref
         FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
    )?;
    let lines = stmt
        .query_map([id], |r| {
            Ok(OrderLineRecord {
                line_code: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                name_zh: r.get(3)?,
                quantity: r.get(4)?,
                unit_price: m(r.get(5)?),
                tax_rate_bp: r.get(6)?,
                net: m(r.get(7)?),
                tax: m(r.get(8)?),
                gross: m(r.get(9)?),
                serial_number: r.get(10)?,
                origin: match (r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?) {
                    (Some(kind), Some(reference)) => Some((kind, reference)),
                    _ => None,
                },
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut stmt = c.prepare_cached(
        "SELECT tender, amount_minor, tendered_minor, change_minor, card_masked, card_brand, auth_code
         FROM payments WHERE order_id = ?1 ORDER BY id",
    )?;
    let payments = stmt
        .query_map([id], |r| {
            Ok(PaymentRecord {
                tender: r.get(0)?,
                amount: m(r.get(1)?),
                tendered: r.get::<_, Option<i64>>(2)?.map(m),
                change: r.get::<_, Option<i64>>(3)?.map(m),
                card_masked: r.get(4)?,
                card_brand: r.get(5)?,
                auth_code: r.get(6)?,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(OrderRecord {
        id: head.0,
        order_no: head.1,
        checkout_key: head.2,
        cashier_name: head.3,
        created_at_ms: head.4,
        subtotal: m(head.6),
        tax: m(head.7),
        total: m(head.8),
        lines,
        payments,
    })
}

impl Store {
    /// One order with its lines and payments.
    pub fn order(&self, id: i64) -> Result<OrderRecord> {
        self.read(|c| load(c, id))
    }

    /// The order a cart was checked out as, if it was.
    pub fn order_by_checkout_key(&self, key: &str) -> Result<Option<OrderRecord>> {
        self.read(|c| {
            let id: Option<i64> =
                c.query_row("SELECT id FROM orders WHERE checkout_key = ?1", [key], |r| r.get(0)).optional()?;
            id.map(|id| load(c, id)).transpose()
        })
    }

    /// Orders whose stored line count differs from the lines actually there (should be none).
    pub fn partial_orders(&self) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut s = c.prepare(
                "SELECT o.id FROM orders o
                 WHERE o.line_count != (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)
                    OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)
                    OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.subject = 'order/' || o.id AND e.kind = 'sale.recorded')",
            )?;
            let ids = s.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// Number of orders.
    pub fn order_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?))
    }
}

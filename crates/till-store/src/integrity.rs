//! Money invariants `tillctl db check` proves on the stored data: every order adds up to its
//! lines, is paid exactly, and was not refunded beyond what it took.

use crate::{Result, Store};
use rusqlite::Connection;

/// How many offending order ids a report lists at most.
pub const MAX_LISTED: usize = 20;

/// The orders that break one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breach {
    /// How many orders break it.
    pub count: i64,
    /// The first of them (at most [`MAX_LISTED`]), by id.
    pub order_ids: Vec<i64>,
}

impl Breach {
    /// Whether no order breaks the rule.
    pub fn is_ok(&self) -> bool {
        self.count == 0
    }
}

/// The outcome of [`Store::check_invariants`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvariantReport {
    /// Orders looked at.
    pub orders: i64,
    /// Orders whose subtotal, tax or total differ from the sum of their lines.
    pub totals: Breach,
    /// Orders whose stored line count differs from the lines there.
    pub line_counts: Breach,
    /// Orders whose refunds (not refused) add up to more than their total.
    pub refunds: Breach,
    /// Orders whose payments do not add up to the total, or whose cash tendered minus change
    /// is not the amount paid.
    pub payments: Breach,
}

impl InvariantReport {
    /// Whether every rule holds.
    pub fn is_ok(&self) -> bool {
        self.totals.is_ok() && self.line_counts.is_ok() && self.refunds.is_ok() && self.payments.is_ok()
    }
}

fn breach(c: &Connection, sql: &str) -> Result<Breach> {
    let mut stmt = c.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut b = Breach::default();
    while let Some(r) = rows.next()? {
        b.count += 1;
        if b.order_ids.len() < MAX_LISTED {
            b.order_ids.push(r.get(0)?);
        }
    }
    Ok(b)
}

impl Store {
    /// Checks the money rules on every order (see [`InvariantReport`]).
    pub fn check_invariants(&self) -> Result<InvariantReport> {
        self.read(|c| {
            Ok(InvariantReport {
                orders: c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?,
                totals: breach(
                    c,
                    "SELECT o.id FROM orders o
                     LEFT JOIN (SELECT order_id, sum(net_minor) n, sum(tax_minor) t, sum(gross_minor) g
                                FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
                     WHERE coalesce(l.n, 0) != o.subtotal_minor OR coalesce(l.t, 0) != o.tax_minor
                        OR coalesce(l.g, 0) != o.total_minor
                     ORDER BY o.id",
                )?,
                line_counts: breach(
                    c,
                    "SELECT o.id FROM orders o
                     WHERE o.line_count != (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)
                     ORDER BY o.id",
                )?,
                refunds: breach(
                    c,
                    "SELECT o.id FROM orders o JOIN refunds r ON r.order_id = o.id
                     GROUP BY o.id HAVING sum(r.amount_minor - r.refused_minor) > o.total_minor ORDER BY o.id",
                )?,
                // A cash payment's amount is what it paid of the order; the cash handed over is
                // `tendered` and the excess went back as `change`. So payments sum to the total,
                // and tendered - change must equal the amount.
                payments: breach(
                    c,
                    "SELECT o.id FROM orders o
                     LEFT JOIN (SELECT order_id, sum(amount_minor) s FROM payments GROUP BY order_id) p
                            ON p.order_id = o.id
                     WHERE coalesce(p.s, 0) != o.total_minor
                        OR EXISTS (SELECT 1 FROM payments q WHERE q.order_id = o.id AND q.tender = 'cash'
                                   AND q.tendered_minor IS NOT NULL
                                   AND q.tendered_minor - coalesce(q.change_minor, 0) != q.amount_minor)
                     ORDER BY o.id",
                )?,
            })
        })
    }
}

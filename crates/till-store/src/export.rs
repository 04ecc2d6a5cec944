//! CSV export of orders, lines, payments, refunds and points for the accountant.
//!
//! One file per kind, UTF-8 with a byte-order mark (so Excel opens Chinese names correctly),
//! CRLF line ends and RFC 4180 quoting. Amounts are decimal strings in major units beside a
//! currency column; times are ISO-8601 UTC. Rows are streamed from a prepared statement on a
//! connection of its own, so memory stays flat however many rows there are, and the till's
//! reader connection is not held while the file is written. The card columns are the masked
//! number, brand, approval code and entry mode only: never the PAN hash or the signature. The
//! folder is made 0700 and each file 0600 (see [`crate::private_fs`]).

use crate::{connection, Result, Store, StoreError};
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
pub use till_core::calendar::{iso_utc, parse_utc_date, utc_date};
use till_core::{Currency, Money};
use ts_rs::TS;

/// What one export file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// One row per order.
    Orders,
    /// One row per order line.
    Lines,
    /// One row per payment.
    Payments,
    /// One row per refund.
    Refunds,
    /// One row per loyalty points change.
    Points,
}

impl ExportKind {
    /// Every kind, in file order.
    pub const ALL: [ExportKind; 5] =
        [ExportKind::Orders, ExportKind::Lines, ExportKind::Payments, ExportKind::Refunds, ExportKind::Points];

    /// The name used in file names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Lines => "lines",
            ExportKind::Payments => "payments",
            ExportKind::Refunds => "refunds",
            ExportKind::Points => "points",
        }
    }

    /// Parses a name as printed by [`ExportKind::name`].
    pub fn parse(text: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.name() == text.trim())
    }

    /// The header row.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Orders => &[
                "order_no",
                "created_at",
                "cashier",
                "currency",
                "subtotal",
                "tax",
                "total",
                "line_count",
                "status",
                "customer_ref",
            ],
            ExportKind::Lines => &[
                "order_no",
                "line_no",
                "line_code",
                "sku",
                "name",
                "quantity",
                "unit_price",
                "tax_rate_bp",
                "net",
                "tax",
                "gross",
                "serial_number",
                "refunded_quantity",
                "currency",
            ],
            ExportKind::Payments => {
                &["order_no", "tender", "amount", "currency", "card_masked", "card_brand", "auth_code", "entry_mode"]
            }
            ExportKind::Refunds => {
                &["refund_no", "order_no", "created_at", "tender", "amount", "tax", "reason", "status", "currency"]
            }
            ExportKind::Points => &["id", "customer_ref", "order_no", "kind", "points", "status", "created_at"],
        }
    }

    /// `FROM … WHERE …` selecting this kind's rows in `[?1, ?2)`; shared by the count and the
    /// export so the progress total is exactly the rows written.
    fn rows_sql(self) -> &'static str {
        match self {
            ExportKind::Orders => {
                "FROM orders o LEFT JOIN users u ON u.id = o.cashier_id WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2"
            }
            ExportKind::Lines => {
                "FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2"
            }
            ExportKind::Payments => {
                "FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2"
            }
            ExportKind::Refunds => {
                "FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2"
            }
            ExportKind::Points => {
                "FROM points_ledger x LEFT JOIN orders o ON o.id = x.order_id WHERE x.created_at_ms >= ?1 AND x.created_at_ms < ?2"
            }
        }
    }

    fn select(self) -> String {
        let cols = match self {
            ExportKind::Orders => {
                "o.order_no, o.created_at_ms, u.name, o.currency, o.subtotal_minor, o.tax_minor, o.total_minor, o.line_count, o.status, o.customer_ref"
            }
            ExportKind::Lines => {
                "o.order_no, l.line_no, l.line_code, l.sku, l.name, l.quantity, l.unit_price_minor, l.tax_rate_bp, l.net_minor, l.tax_minor, l.gross_minor, l.serial_number, l.refunded_quantity, o.currency"
            }
            // Named columns only: the PAN hash and the signature must never reach a file.
            ExportKind::Payments => {
                "o.order_no, p.tender, p.amount_minor, p.currency, p.card_masked, p.card_brand, p.auth_code, p.entry_mode"
            }
            ExportKind::Refunds => {
                "r.refund_no, o.order_no, r.created_at_ms, r.tender, r.amount_minor, r.tax_minor, r.reason, r.status, r.currency"
            }
            ExportKind::Points => "x.id, x.customer_ref, o.order_no, x.kind, x.points, x.status, x.created_at_ms",
        };
        let order = match self {
            ExportKind::Orders => "o.id",
            ExportKind::Lines => "l.order_id, l.line_no",
            ExportKind::Payments => "p.id",
            ExportKind::Refunds => "r.id",
            ExportKind::Points => "x.id",
        };
        format!("SELECT {cols} {} ORDER BY {order}", self.rows_sql())
    }

    /// One row as cells.
    fn cells(self, r: &Row<'_>) -> Result<Vec<Cell>> {
        let text = |i: usize| -> Result<Cell> { Ok(Cell::Text(r.get::<_, Option<String>>(i)?.unwrap_or_default())) };
        let int = |i: usize| -> Result<Cell> {
            Ok(Cell::Plain(r.get::<_, Option<i64>>(i)?.map(|v| v.to_string()).unwrap_or_default()))
        };
        let time = |i: usize| -> Result<Cell> { Ok(Cell::Plain(iso_utc(r.get(i)?))) };
        let money = |i: usize, cur: usize| -> Result<Cell> {
            let code: String = r.get(cur)?;
            Ok(Cell::Plain(major_units(r.get(i)?, &code)?))
        };
        Ok(match self {
            ExportKind::Orders => vec![
                text(0)?,
                time(1)?,
                text(2)?,
                text(3)?,
                money(4, 3)?,
                money(5, 3)?,
                money(6, 3)?,
                int(7)?,
                text(8)?,
                text(9)?,
            ],
            ExportKind::Lines => vec![
                text(0)?,
                int(1)?,
                text(2)?,
                text(3)?,
                text(4)?,
                int(5)?,
                money(6, 13)?,
                int(7)?,
                money(8, 13)?,
                money(9, 13)?,
                money(10, 13)?,
                text(11)?,
                int(12)?,
                text(13)?,
            ],
            ExportKind::Payments => {
                vec![text(0)?, text(1)?, money(2, 3)?, text(3)?, text(4)?, text(5)?, text(6)?, text(7)?]
            }
            ExportKind::Refunds => {
                vec![text(0)?, text(1)?, time(2)?, text(3)?, money(4, 8)?, money(5, 8)?, text(6)?, text(7)?, text(8)?]
            }
            ExportKind::Points => vec![int(0)?, text(1)?, text(2)?, text(3)?, int(4)?, text(5)?, time(6)?],
        })
    }
}

/// One CSV cell. Text comes from people (names, reasons) and is guarded against being run as
/// a spreadsheet formula; numbers, amounts and times are written as they are, so a negative
/// amount stays a number.
enum Cell {
    Text(String),
    Plain(String),
}

/// RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled.
/// A text cell starting with `= + - @` gets a leading `'` so Excel shows it rather than
/// evaluating it (CSV injection).
pub fn csv_field(value: &str, text: bool) -> String {
    let guarded;
    let v = if text && value.starts_with(['=', '+', '-', '@']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if v.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn write_record<'a>(w: &mut impl Write, cells: impl Iterator<Item = (&'a str, bool)>) -> std::io::Result<()> {
    for (i, (v, text)) in cells.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(csv_field(v, text).as_bytes())?;
    }
    w.write_all(b"\r\n")
}

/// `minor` units of the currency `code` as a decimal string in major units ("12.50", "-0.05").
fn major_units(minor: i64, code: &str) -> Result<String> {
    let currency = Currency::parse(code).map_err(|e| StoreError::Corrupt(format!("stored currency: {e}")))?;
    Ok(Money::new(minor, currency).major_units())
}

/// The file an export of `kind` over `[from_ms, to_ms)` is written to: the first and last
/// UTC day it covers.
pub fn export_file_name(kind: ExportKind, from_ms: i64, to_ms: i64) -> String {
    format!("{}-{}-{}.csv", kind.name(), utc_date(from_ms), utc_date(to_ms.saturating_sub(1).max(from_ms)))
}

fn count(c: &Connection, kinds: &[ExportKind], from_ms: i64, to_ms: i64) -> Result<u64> {
    let mut total = 0u64;
    for k in kinds {
        let n: i64 = c.query_row(&format!("SELECT count(*) {}", k.rows_sql()), [from_ms, to_ms], |r| r.get(0))?;
        total += n.max(0) as u64;
    }
    Ok(total)
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {e}", path.display()))
}

/// Removes the listed files, ignoring ones already gone (clean-up after a failure).
fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

impl Store {
    /// How many rows an export of `kinds` over `[from_ms, to_ms)` writes (headers not counted).
    pub fn export_row_count(&self, kinds: &[ExportKind], from_ms: i64, to_ms: i64) -> Result<u64> {
        self.read(|c| count(c, kinds, from_ms, to_ms))
    }

    /// Writes one CSV per kind into `dir` (named e.g. `orders-2026-12-01-2026-12-31.csv`),
    /// streaming. `progress(written, total)` is called every 1000 rows and at the end;
    /// returning false cancels: the files are removed and the result is `Err(Cancelled)`.
    ///
    /// Each file is written as `<name>.part` and renamed only when every file is complete, so a
    /// crash or a cancel never leaves a half file under the final name.
    pub fn export_csv(
        &self,
        kinds: &[ExportKind],
        from_ms: i64,
        to_ms: i64,
        dir: &Path,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<Vec<PathBuf>> {
        if from_ms > to_ms {
            return Err(StoreError::Invalid("the export period ends before it starts".into()));
        }
        let mut kinds_seen: Vec<ExportKind> = Vec::new();
        for k in kinds {
            if !kinds_seen.contains(k) {
                kinds_seen.push(*k);
            }
        }
        crate::private_fs::create_private_dir_all(dir).map_err(|e| io(dir, e))?;
        // A connection of its own: a long export must not hold the till's reader, and one read
        // transaction gives every file (and the total) the same snapshot.
        let mut conn = connection::open(self.path())?;
        let tx = conn.transaction()?;
        let total = count(&tx, &kinds_seen, from_ms, to_ms)?;
        let mut parts: Vec<PathBuf> = Vec::new();
        let mut finals: Vec<PathBuf> = Vec::new();
        let mut renamed: Vec<PathBuf> = Vec::new();
        let mut written = 0u64;
        let mut since_report = 0u32;
        let outcome = (|| -> Result<()> {
            for &kind in &kinds_seen {
                let name = export_file_name(kind, from_ms, to_ms);
                let part = dir.join(format!("{name}.part"));
                parts.push(part.clone());
                finals.push(dir.join(&name));
                let mut w = BufWriter::new(crate::private_fs::create_private_file(&part).map_err(|e| io(&part, e))?);
                w.write_all("\u{feff}".as_bytes()).map_err(|e| io(&part, e))?;
                write_record(&mut w, kind.columns().iter().map(|c| (*c, false))).map_err(|e| io(&part, e))?;
                let mut stmt = tx.prepare(&kind.select())?;
                let mut rows = stmt.query([from_ms, to_ms])?;
                while let Some(r) = rows.next()? {
                    let cells = kind.cells(r)?;
                    write_record(
                        &mut w,
                        cells.iter().map(|c| match c {
                            Cell::Text(v) => (v.as_str(), true),
                            Cell::Plain(v) => (v.as_str(), false),
                        }),
                    )
                    .map_err(|e| io(&part, e))?;
                    written += 1;
                    since_report += 1;
                    if since_report == 1000 {
                        since_report = 0;
                        if !progress(written, total) {
                            return Err(StoreError::Cancelled);
                        }
                    }
                }
                let file = w.into_inner().map_err(|e| io(&part, e.into_error()))?;
                file.sync_all().map_err(|e| io(&part, e))?;
            }
            if !progress(written, total) {
                return Err(StoreError::Cancelled);
            }
            for (part, fin) in parts.iter().zip(&finals) {
                std::fs::rename(part, fin).map_err(|e| io(fin, e))?;
                renamed.push(fin.clone());
            }
            Ok(())
        })();
        drop(tx);
        match outcome {
            Ok(()) => Ok(finals),
            Err(e) => {
                remove_all(&parts);
                // A failed rename leaves the files renamed before it: half an export is none.
                remove_all(&renamed);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_guards_fields() {
        assert_eq!(csv_field("plain", true), "plain");
        assert_eq!(csv_field("a,b", true), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\r\nlines", true), "\"two\r\nlines\"");
        assert_eq!(csv_field("=SUM(A1)", true), "'=SUM(A1)");
        assert_eq!(csv_field("@x", true), "'@x");
        assert_eq!(csv_field("-1.00", false), "-1.00");
        assert_eq!(csv_field("+1,2", true), "\"'+1,2\"");
    }

    #[test]
    fn formats_money_and_time() {
        assert_eq!(major_units(1250, "CNY").unwrap(), "12.50");
        assert_eq!(major_units(-5, "CNY").unwrap(), "-0.05");
        assert_eq!(major_units(1250, "JPY").unwrap(), "1250");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(1_764_841_872_123), "2025-12-04T09:51:12.123Z");
        assert_eq!(parse_utc_date("2025-12-04"), Some(1_764_806_400_000));
        assert_eq!(parse_utc_date("2024-02-29").map(utc_date).as_deref(), Some("2024-02-29"));
        assert_eq!(parse_utc_date("2025-02-29"), None);
        assert_eq!(parse_utc_date("2025-13-01"), None);
        assert_eq!(parse_utc_date("25-12-04"), None);
        assert_eq!(parse_utc_date("2025-1-004"), None);
    }
}

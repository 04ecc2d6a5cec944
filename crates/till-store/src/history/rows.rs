//! The rows of a page, read one by one once the page is known: what each kind of row shows.

use super::*;
use rusqlite::Connection;

pub(super) fn money(currency: &str, minor: i64) -> Result<Money> {
    let c = Currency::parse(currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Money::new(minor, c))
}

pub(super) fn order_no(id: i64) -> String {
    format!("{id:08}")
}

pub(super) fn sync_status(state: &str) -> &'static str {
    match state {
        "done" => "sent",
        "parked" | "discarded" => "dead",
        _ => "pending",
    }
}

/// Reads one row's details (the page query only has its key).
// Each kind's columns are read as one tuple, named where destructured; a struct per kind would
// only repeat the names.
#[allow(clippy::type_complexity)]
pub(super) fn hydrate(c: &Connection, kind: HistoryKind, id: i64) -> Result<HistoryRow> {
    let row = match kind {
        HistoryKind::Orders | HistoryKind::All => {
            let mut s = c.prepare_cached(
                "SELECT o.created_at_ms, u.name, o.currency, o.total_minor, o.status, o.customer_ref, o.line_count,
                        (SELECT group_concat(t, '+') FROM (SELECT DISTINCT tender AS t FROM payments WHERE order_id = o.id ORDER BY t)),
                        (SELECT card_masked FROM payments WHERE order_id = o.id AND card_masked IS NOT NULL ORDER BY id LIMIT 1)
                 FROM orders o LEFT JOIN users u ON u.id = o.cashier_id WHERE o.id = ?1",
            )?;
            let (at, cashier, cur, total, status, customer, lines, tender, card): (
                i64,
                Option<String>,
                String,
                i64,
                String,
                Option<String>,
                i64,
                Option<String>,
                Option<String>,
            ) = s.query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?;
            HistoryRow {
                kind: HistoryKind::Orders,
                id,
                order_id: Some(id),
                order_no: Some(order_no(id)),
                at_ms: at,
                cashier,
                tender,
                amount: Some(money(&cur, total)?),
                status,
                card_masked: card,
                customer_ref: customer,
                summary: if lines == 1 { "1 line".into() } else { format!("{lines} lines") },
            }
        }
        HistoryKind::Payments => {
            let mut s = c.prepare_cached(
                "SELECT p.order_id, o.created_at_ms, u.name, p.tender, p.currency, p.amount_minor, o.status, p.card_masked,
                        o.customer_ref, p.card_brand
                 FROM payments p JOIN orders o ON o.id = p.order_id LEFT JOIN users u ON u.id = o.cashier_id WHERE p.id = ?1",
            )?;
            s.query_row([id], |r| {
                let tender: String = r.get(3)?;
                let brand: Option<String> = r.get(9)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    tender,
                    r.get::<_, String>(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    brand,
                ))
            })
            .map_err(StoreError::from)
            .and_then(
                |(oid, at, cashier, tender, cur, amount, status, card, customer, brand): (
                    i64,
                    i64,
                    Option<String>,
                    String,
                    String,
                    i64,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                )| {
                    let summary = match &brand {
                        Some(b) => format!("{tender} {b}"),
                        None => tender.clone(),
                    };
                    Ok(HistoryRow {
                        kind: HistoryKind::Payments,
                        id,
                        order_id: Some(oid),
                        order_no: Some(order_no(oid)),
                        at_ms: at,
                        cashier,
                        tender: Some(tender),
                        amount: Some(money(&cur, amount)?),
                        status,
                        card_masked: card,
                        customer_ref: customer,
                        summary,
                    })
                },
            )?
        }
        HistoryKind::Refunds => {
            let mut s = c.prepare_cached(
                "SELECT r.order_id, r.created_at_ms, u.name, r.tender, r.currency, r.amount_minor, r.status, o.customer_ref,
                        r.refund_no, r.reason
                 FROM refunds r JOIN orders o ON o.id = r.order_id LEFT JOIN users u ON u.id = r.cashier_id WHERE r.id = ?1",
            )?;
            let (oid, at, cashier, tender, cur, amount, status, customer, no, reason): (
                i64,
                i64,
                Option<String>,
                String,
                String,
                i64,
                String,
                Option<String>,
                String,
                String,
            ) = s.query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })?;
            HistoryRow {
                kind: HistoryKind::Refunds,
                id,
                order_id: Some(oid),
                order_no: Some(order_no(oid)),
                at_ms: at,
                cashier,
                tender: Some(tender),
                amount: Some(money(&cur, amount)?),
                status,
                card_masked: None,
                customer_ref: customer,
                summary: format!("refund {no}: {reason}"),
            }
        }
        HistoryKind::Points => {
            let mut s = c.prepare_cached(
                "SELECT pl.order_id, pl.created_at_ms, u.name, pl.status, pl.customer_ref, pl.kind, pl.points
                 FROM points_ledger pl LEFT JOIN orders o ON o.id = pl.order_id LEFT JOIN users u ON u.id = o.cashier_id
                 WHERE pl.id = ?1",
            )?;
            let (oid, at, cashier, status, customer, kind, points): (
                Option<i64>,
                i64,
                Option<String>,
                String,
                String,
                String,
                i64,
            ) = s.query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })?;
            HistoryRow {
                kind: HistoryKind::Points,
                id,
                order_id: oid,
                order_no: oid.map(order_no),
                at_ms: at,
                cashier,
                tender: None,
                amount: None,
                status,
                card_masked: None,
                customer_ref: Some(customer),
                summary: format!("{kind} {points:+}"),
            }
        }
        HistoryKind::Sync => {
            let mut s = c.prepare_cached(
                "SELECT e.subject, e.created_at_ms, e.kind, e.state, e.attempts FROM outbox e WHERE e.rowid = ?1",
            )?;
            let (subject, at, kind, state, attempts): (String, i64, String, String, i64) =
                s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            let oid = subject.strip_prefix("order/").and_then(|n| n.parse::<i64>().ok());
            let status = sync_status(&state);
            let tries = if attempts > 1 { format!(" ({attempts} attempts)") } else { String::new() };
            HistoryRow {
                kind: HistoryKind::Sync,
                id,
                order_id: oid,
                order_no: oid.map(order_no),
                at_ms: at,
                cashier: None,
                tender: None,
                amount: None,
                status: status.into(),
                card_masked: None,
                customer_ref: None,
                summary: format!("{kind} → {status}{tries}"),
            }
        }
    };
    Ok(row)
}

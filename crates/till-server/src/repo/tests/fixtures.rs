//! Rows the area tests build on: a terminal, an order with one line, a refund of it.

use super::*;

/// An order of `terminal`, stamped with nothing yet (merchant `default`).
pub(super) fn order(terminal: &str, order_id: &str, total_minor: i64, created_at: i64) -> OrderRecord {
    OrderRecord {
        terminal_id: terminal.into(),
        order_id: order_id.into(),
        store: "Shop".into(),
        currency: "CNY".into(),
        total_minor,
        customer_id: Some(format!("cust-{order_id}")),
        checkout_key: None,
        created_at,
        recorded_at: created_at,
    }
}

/// The one line of an order.
pub(super) fn line(code: &str, terminal: &str, order_id: &str, total_minor: i64) -> LineRecord {
    LineRecord {
        line_code: code.into(),
        terminal_id: terminal.into(),
        order_id: order_id.into(),
        line_no: 1,
        sku: "SKU-1".into(),
        name: "Phone".into(),
        quantity: 1,
        unit_price_minor: total_minor,
        total_minor,
        currency: "CNY".into(),
        seller: Some("seller-a".into()),
        refunded_minor: 0,
    }
}

/// A terminal, and an order of it with one line `code`, stamped with `merchant`.
pub(super) fn sale(tx: &mut dyn Tx, terminal: &str, order_id: &str, code: &str, merchant: &str, total: i64, at: i64) {
    if tx.terminal(terminal).unwrap().is_none() {
        tx.insert_terminal(&super::core::terminal(terminal)).unwrap();
    }
    tx.insert_order(&order(terminal, order_id, total, at)).unwrap();
    tx.insert_line(&line(code, terminal, order_id, total)).unwrap();
    tx.set_order_merchant(terminal, order_id, merchant).unwrap();
}

/// A refund of line `code`, in `status`.
pub(super) fn refund(
    id: &str,
    terminal: &str,
    code: &str,
    status: &str,
    evidence: Option<&str>,
    at: i64,
) -> RefundRecord {
    RefundRecord {
        refund_id: id.into(),
        terminal_id: terminal.into(),
        line_code: code.into(),
        device_blind: None,
        amount_minor: 100,
        currency: "CNY".into(),
        tender: "cash".into(),
        reason: "broken screen".into(),
        evidence_sha256: evidence.map(str::to_string),
        customer_id: Some("cust-9".into()),
        approved_by: None,
        original_auth_code: None,
        reputation: Some(70),
        status: status.into(),
        refund_to: "cash".into(),
        created_at: at,
        decided_at: None,
        decided_by: None,
    }
}

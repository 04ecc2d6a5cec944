//! Rows as records: one function per table, shared by the statements that read it.

use super::super::*;
use rusqlite::Row;

pub(super) fn terminal_row(r: &Row<'_>) -> rusqlite::Result<TerminalRecord> {
    Ok(TerminalRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        secret_hex: r.get(2)?,
        created_at: r.get(3)?,
        disabled: r.get::<_, i64>(4)? != 0,
    })
}

pub(super) fn line_row(r: &Row<'_>) -> rusqlite::Result<LineRecord> {
    Ok(LineRecord {
        line_code: r.get(0)?,
        terminal_id: r.get(1)?,
        order_id: r.get(2)?,
        line_no: r.get(3)?,
        sku: r.get(4)?,
        name: r.get(5)?,
        quantity: r.get(6)?,
        unit_price_minor: r.get(7)?,
        total_minor: r.get(8)?,
        currency: r.get(9)?,
        seller: r.get(10)?,
        refunded_minor: r.get(11)?,
    })
}

pub(super) fn refund_row(r: &Row<'_>) -> rusqlite::Result<RefundRecord> {
    Ok(RefundRecord {
        refund_id: r.get(0)?,
        terminal_id: r.get(1)?,
        line_code: r.get(2)?,
        device_blind: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        tender: r.get(6)?,
        reason: r.get(7)?,
        evidence_sha256: r.get(8)?,
        customer_id: r.get(9)?,
        approved_by: r.get(10)?,
        reputation: r.get(11)?,
        status: r.get(12)?,
        refund_to: r.get(13)?,
        created_at: r.get(14)?,
        decided_at: r.get(15)?,
        decided_by: r.get(16)?,
        original_auth_code: r.get(17)?,
    })
}

pub(super) fn payment_row(r: &Row<'_>) -> rusqlite::Result<PaymentRecord> {
    Ok(PaymentRecord {
        terminal_id: r.get(0)?,
        order_id: r.get(1)?,
        seq: r.get(2)?,
        tender: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        masked_pan: r.get(6)?,
        auth_code: r.get(7)?,
        payment_id: r.get(8)?,
    })
}

pub(super) fn entry_row(r: &Row<'_>) -> rusqlite::Result<PointsEntry> {
    Ok(PointsEntry {
        account_id: r.get(0)?,
        counter: r.get(1)?,
        terminal_id: r.get(2)?,
        order_id: r.get(3)?,
        kind: r.get(4)?,
        delta: r.get(5)?,
        balance_after: r.get(6)?,
        at: r.get(7)?,
        refund_id: r.get(8)?,
    })
}

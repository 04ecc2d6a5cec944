//! Rows as records: one function per table, shared by the statements that read it, and the
//! column lists those statements select (in the order the functions read them).

use crate::repo::sql::Row;
use crate::repo::*;

/// The columns of `order_lines` that [`line_row`] reads.
pub(in crate::repo) const LINE_COLUMNS: &str = "line_code, terminal_id, order_id, line_no, sku, name, quantity, \
     unit_price_minor, total_minor, currency, seller, refunded_minor";
/// The columns of `sold_devices` that [`device_row`] reads.
pub(in crate::repo) const DEVICE_COLUMNS: &str = "blind, kind, line_code, terminal_id, order_id, store, price_minor, \
     currency, paying_account, software, sold_at, refunded, identifier_sealed, warranty_months";
/// The columns of `refunds` that [`refund_row`] reads.
pub(in crate::repo) const REFUND_COLUMNS: &str = "refund_id, terminal_id, line_code, device_blind, amount_minor, \
     currency, tender, reason, evidence_sha256, customer_id, approved_by, reputation, status, refund_to, created_at, \
     decided_at, decided_by, original_auth_code";
/// The columns of `payments` that [`payment_row`] reads.
pub(in crate::repo) const PAYMENT_COLUMNS: &str =
    "terminal_id, order_id, seq, tender, amount_minor, currency, masked_pan, auth_code, payment_id";
/// The columns of `points_entries` that [`entry_row`] reads.
pub(in crate::repo) const ENTRY_COLUMNS: &str =
    "account_id, counter, terminal_id, order_id, kind, delta, balance_after, at, refund_id";

/// A terminal row; its secret still sealed.
pub(in crate::repo) fn terminal_row(r: &Row) -> RepoResult<TerminalRecord> {
    Ok(TerminalRecord {
        id: r.text(0)?,
        name: r.text(1)?,
        secret_hex: r.text(2)?,
        created_at: r.int(3)?,
        disabled: r.flag(4)?,
    })
}

/// An order line.
pub(in crate::repo) fn line_row(r: &Row) -> RepoResult<LineRecord> {
    Ok(LineRecord {
        line_code: r.text(0)?,
        terminal_id: r.text(1)?,
        order_id: r.text(2)?,
        line_no: r.int(3)?,
        sku: r.text(4)?,
        name: r.text(5)?,
        quantity: r.int(6)?,
        unit_price_minor: r.int(7)?,
        total_minor: r.int(8)?,
        currency: r.text(9)?,
        seller: r.opt_text(10)?,
        refunded_minor: r.int(11)?,
    })
}

/// A sold device.
pub(in crate::repo) fn device_row(r: &Row) -> RepoResult<SoldDeviceRecord> {
    Ok(SoldDeviceRecord {
        blind: r.text(0)?,
        kind: r.text(1)?,
        line_code: r.text(2)?,
        terminal_id: r.text(3)?,
        order_id: r.text(4)?,
        store: r.text(5)?,
        price_minor: r.int(6)?,
        currency: r.text(7)?,
        paying_account: r.text(8)?,
        software: r.opt_text(9)?,
        sold_at: r.int(10)?,
        refunded: r.flag(11)?,
        identifier_sealed: r.text(12)?,
        warranty_months: r.opt_int(13)?,
    })
}

/// A refund.
pub(in crate::repo) fn refund_row(r: &Row) -> RepoResult<RefundRecord> {
    Ok(RefundRecord {
        refund_id: r.text(0)?,
        terminal_id: r.text(1)?,
        line_code: r.text(2)?,
        device_blind: r.opt_text(3)?,
        amount_minor: r.int(4)?,
        currency: r.text(5)?,
        tender: r.text(6)?,
        reason: r.text(7)?,
        evidence_sha256: r.opt_text(8)?,
        customer_id: r.opt_text(9)?,
        approved_by: r.opt_text(10)?,
        reputation: r.opt_int(11)?,
        status: r.text(12)?,
        refund_to: r.text(13)?,
        created_at: r.int(14)?,
        decided_at: r.opt_int(15)?,
        decided_by: r.opt_text(16)?,
        original_auth_code: r.opt_text(17)?,
    })
}

/// A payment of an order.
pub(in crate::repo) fn payment_row(r: &Row) -> RepoResult<PaymentRecord> {
    Ok(PaymentRecord {
        terminal_id: r.text(0)?,
        order_id: r.text(1)?,
        seq: r.int(2)?,
        tender: r.text(3)?,
        amount_minor: r.int(4)?,
        currency: r.text(5)?,
        masked_pan: r.opt_text(6)?,
        auth_code: r.opt_text(7)?,
        payment_id: r.opt_text(8)?,
    })
}

/// A points history entry.
pub(in crate::repo) fn entry_row(r: &Row) -> RepoResult<PointsEntry> {
    Ok(PointsEntry {
        account_id: r.text(0)?,
        counter: r.int(1)?,
        terminal_id: r.text(2)?,
        order_id: r.text(3)?,
        kind: r.text(4)?,
        delta: r.int(5)?,
        balance_after: r.int(6)?,
        at: r.int(7)?,
        refund_id: r.opt_text(8)?,
    })
}

//! Refunds of devices sold at another till (CN103310370A): there is no local sale to book them
//! against, so each has a record of its own beside its `refund.requested` event, written in the
//! same transaction. The server's answer moves its status; the history, the audit and the Z
//! report (apart: no money moves through this drawer) read it.

use crate::reports::RemoteRefundEntry;
use crate::{audit, outbox, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use till_core::{Currency, EventKind, Money};

pub use crate::refunds::RemoteRefund;

/// A refund of a device sold elsewhere, as recorded here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRefundRecord {
    /// Local id.
    pub id: i64,
    /// Printed number (`RR000001`).
    pub refund_no: String,
    /// The device's identifier.
    pub identifier: String,
    /// When it was asked for.
    pub created_at_ms: i64,
    /// Who asked.
    pub cashier: String,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The approving manager's name.
    pub approved_by: Option<String>,
    /// Amount.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Where the server pays it back.
    pub paying_account: String,
    /// `pending` (not answered yet), `awaiting_seller`, `confirmed` or `refused`.
    pub status: String,
    /// Why the server refused it.
    pub refused_reason: Option<String>,
}

impl RemoteRefund {
    /// The `refund.requested` body it queues (and what `POST /v1/refunds/check` is asked).
    pub fn request(&self) -> serde_json::Value {
        let mut body = json!({
            "refund_id": self.key,
            "device_identifier": self.identifier,
            "amount": { "minor": self.amount_minor, "currency": self.currency },
            "tender": "original",
            "reason": self.reason,
        });
        if let Some(h) = &self.evidence_sha256 {
            body["evidence_sha256"] = json!(h);
        }
        if let Some((_, name)) = &self.approved_by {
            body["approved_by"] = json!(name);
        }
        if self.approval == "seller" {
            body["hold_for_seller"] = json!(true);
        }
        body
    }
}

/// The status of a remote refund for the server's answer `status`.
fn status_of(server_status: &str) -> &'static str {
    match server_status {
        "refunded" => "confirmed",
        "pending_seller_confirmation" => "awaiting_seller",
        _ => "refused",
    }
}

/// Applies the server's answer to the remote refund of event `event_id`, if it is one.
pub(crate) fn apply_answer(
    tx: &Transaction<'_>,
    event_id: &str,
    server_status: &str,
    reason: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE remote_refunds SET status = ?2, refused_reason = coalesce(?3, refused_reason), decided_at_ms = ?4
          WHERE event_id = ?1 AND status <> 'refused'",
    )?
    .execute(params![event_id, status_of(server_status), reason, now_ms])?;
    Ok(())
}

const COLUMNS: &str = "r.id, r.refund_no, r.identifier, r.created_at_ms, u.name, r.approval, m.name, r.amount_minor,
     r.currency, r.paying_account, r.status, r.refused_reason
     FROM remote_refunds r JOIN users u ON u.id = r.cashier_id LEFT JOIN users m ON m.id = r.approved_by";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RemoteRefundRecord> {
    Ok(RemoteRefundRecord {
        id: r.get(0)?,
        refund_no: r.get(1)?,
        identifier: r.get(2)?,
        created_at_ms: r.get(3)?,
        cashier: r.get(4)?,
        approval: r.get(5)?,
        approved_by: r.get(6)?,
        amount_minor: r.get(7)?,
        currency: r.get(8)?,
        paying_account: r.get(9)?,
        status: r.get(10)?,
        refused_reason: r.get(11)?,
    })
}

/// The period's remote refunds as the X and Z reports list them (apart), oldest first.
pub(crate) fn report_entries(c: &rusqlite::Connection, lo: i64, hi: i64) -> Result<Vec<RemoteRefundEntry>> {
    let mut st = c.prepare_cached(
        "SELECT refund_no, identifier, amount_minor, currency, status FROM remote_refunds
          WHERE created_at_ms > ?1 AND created_at_ms <= ?2 ORDER BY id",
    )?;
    let rows = st.query_map(params![lo, hi], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?, r.get(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (refund_no, identifier, amount, currency, status) = row?;
        let currency = Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push(RemoteRefundEntry { refund_no, identifier, amount: Money::new(amount, currency), status });
    }
    Ok(out)
}

impl Store {
    /// Records the refund of a device sold at another till and queues its request, with its
    /// audit entry, in one transaction. A second request for a device whose first one was not
    /// refused is a conflict.
    pub fn record_remote_refund(&self, r: &RemoteRefund) -> Result<RemoteRefundRecord> {
        let id = self.write(|tx| {
            let open: i64 = tx.query_row(
                "SELECT count(*) FROM remote_refunds WHERE identifier = ?1 AND status <> 'refused'",
                [&r.identifier],
                |row| row.get(0),
            )?;
            if open > 0 {
                return Err(StoreError::Conflict(format!("a refund of device {} was already asked for", r.identifier)));
            }
            let body = r.request();
            let subject = format!("device/{}", r.identifier);
            outbox::enqueue_kind(tx, &r.event_id, EventKind::RefundRequested, &subject, &body, r.now_ms)?;
            if let Some(p) = &r.photo {
                if r.evidence_sha256.as_deref() != Some(p.sha256.as_str()) {
                    return Err(StoreError::Invalid("the photo uploaded must be the one the refund names".into()));
                }
                crate::refunds::photo::enqueue_photo(tx, p, r.now_ms)?;
            }
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO remote_refunds (identifier, created_at_ms, cashier_id, approved_by, approval, currency,
                                                 amount_minor, reason, evidence_sha256, paying_account, server_refund_id,
                                                 event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
                )?
                .query_row(
                    params![
                        r.identifier,
                        r.now_ms,
                        r.cashier_id,
                        r.approved_by.as_ref().map(|(id, _)| *id),
                        r.approval,
                        r.currency,
                        r.amount_minor,
                        r.reason,
                        r.evidence_sha256,
                        r.paying_account,
                        r.key,
                        r.event_id
                    ],
                    |row| row.get(0),
                )?;
            audit::append(
                tx,
                r.now_ms,
                Some(r.cashier_id),
                "refund.remote_requested",
                &json!({ "remote_refund_id": id, "device": r.identifier, "amount": r.amount_minor, "currency": r.currency,
                         "reason": r.reason, "approval": r.approval,
                         "approved_by": r.approved_by.as_ref().map(|(id, _)| *id) }),
            )?;
            Ok(id)
        })?;
        self.remote_refund(id)?.ok_or(StoreError::NotFound("remote refund"))
    }

    /// One remote refund.
    pub fn remote_refund(&self, id: i64) -> Result<Option<RemoteRefundRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COLUMNS} WHERE r.id = ?1"))?.query_row([id], row).optional()?)
        })
    }

    /// The remote refund whose request is the outbox event `event_id`.
    pub fn remote_refund_of_event(&self, event_id: &str) -> Result<Option<RemoteRefundRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COLUMNS} WHERE r.event_id = ?1"))?
                .query_row([event_id], row)
                .optional()?)
        })
    }

    /// Remote refunds asked for in `(from_ms, to_ms]`, newest first.
    pub fn remote_refunds_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<RemoteRefundRecord>> {
        self.read(|c| {
            let mut s = c.prepare_cached(&format!(
                "SELECT {COLUMNS} WHERE r.created_at_ms > ?1 AND r.created_at_ms <= ?2 ORDER BY r.id DESC"
            ))?;
            let rows = s.query_map(params![from_ms, to_ms], row)?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}

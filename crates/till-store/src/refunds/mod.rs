//! Refunds at the counter: finding what to refund, and recording a refund with its outbox
//! events, points reversals and audit entry in one IMMEDIATE transaction.
//!
//! A sale is found by one of its receipt line codes, by the identifier of a device sold on it,
//! or by its receipt number with the day and the amount printed on it. A refund names lines and
//! quantities; each line pays back its units' share of what the line was paid
//! ([`till_core::refund::unit_share`]), so refunding every unit in any number of steps pays back
//! exactly the line and never more. The same rule is checked three times: here before anything
//! is written, by the database's triggers (migration 7: never beyond the quantity sold or the
//! amount paid) and by the server when the refund arrives. Because the checks and the writes
//! share one IMMEDIATE transaction, two tills on the same file refunding the same line at once
//! are serialised and the second one is refused.
//!
//! Each refund line becomes one `refund.requested` event (the server's refunds are per line
//! code, or per device for serialised goods); the refund's status follows its lines' answers in
//! [`crate::answers`].

use crate::{audit, outbox, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use till_core::loyalty::points_share;
use till_core::refund::unit_share;
use till_core::refund::Decision;
use till_core::{Currency, EventKind, Money};

mod payout;
pub mod photo;
mod points_back;
mod write;
pub use payout::{RefundDisagreement, RefundToPayOut};
pub use photo::PhotoUpload;
pub(crate) use points_back::settle_confirmed_line;
pub(crate) use write::{set_order_status, write_refund};

/// A line of a sale as a refund sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundableLine {
    /// Order line id.
    pub order_line_id: i64,
    /// Position on the receipt.
    pub line_no: i64,
    /// Its receipt line code.
    pub line_code: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units sold.
    pub quantity: i64,
    /// Units refunded already (refunds the seller refused give theirs back).
    pub refunded_quantity: i64,
    /// Unit price.
    pub unit_price_minor: i64,
    /// What the line was paid.
    pub gross_minor: i64,
    /// The device sold on it.
    pub serial_number: Option<String>,
    /// The seller it was sold for (None: the shop itself).
    pub seller: Option<String>,
}

/// A sale as a refund sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundableOrder {
    /// Order id.
    pub order_id: i64,
    /// Receipt number.
    pub order_no: String,
    /// When it was sold.
    pub created_at_ms: i64,
    /// Currency.
    pub currency: String,
    /// Total paid.
    pub total_minor: i64,
    /// Refunded so far by refunds not refused.
    pub refunded_minor: i64,
    /// The money tender: `cash` or `card` (`points` when points paid it all).
    pub tender: String,
    /// Masked card number of a card sale.
    pub card_masked: Option<String>,
    /// Approval code of a card sale, quoted when the card is refunded.
    pub auth_code: Option<String>,
    /// What points paid of the total.
    pub points_paid_minor: i64,
    /// The loyalty account of the sale.
    pub customer_ref: Option<String>,
    /// Lines.
    pub lines: Vec<RefundableLine>,
    /// The line the lookup matched (line code or device), if one did.
    pub matched_line_id: Option<i64>,
}

/// A refund to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// The order refunded.
    pub order_id: i64,
    /// `(order line id, units)`, each line at most once.
    pub lines: Vec<(i64, i64)>,
    /// Reason code.
    pub reason: String,
    /// SHA-256 (hex) of the photo of the defect.
    pub evidence_sha256: Option<String>,
    /// The photo itself, uploaded to the server through the outbox in the refund's commit
    /// (its SHA-256 is `evidence_sha256`).
    pub photo: Option<PhotoUpload>,
    /// Who gave the refund.
    pub cashier_id: i64,
    /// The manager who approved it, when one had to.
    pub approved_by: Option<(i64, String)>,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The customer, for the server's reputation check.
    pub customer_ref: Option<String>,
    /// Random key the server's refund ids are made from (`<key>-<line no>`).
    pub key: String,
    /// One outbox event id per line, then one per points reversal (at most two more).
    pub event_ids: Vec<String>,
    /// The decision on each line, in the order of `lines` ([`till_core::refund::decide`]);
    /// empty: every line as `approval` says (`policy`, `manager` as the shop's manager,
    /// `seller` waiting for the seller).
    pub decisions: Vec<Decision>,
    /// The till decided without the server (offline), with what it knew.
    pub decided_offline: bool,
    /// When.
    pub now_ms: i64,
}

/// A refund of a device sold at another till (found through the server's sold-devices list):
/// no local sale to book it against, so it is only asked of the server, which pays the price
/// back to the account that paid (CN103310370A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRefund {
    /// The device's normalised identifier.
    pub identifier: String,
    /// Its price, as the server said.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Reason code.
    pub reason: String,
    /// SHA-256 (hex) of the photo of the defect.
    pub evidence_sha256: Option<String>,
    /// The photo itself, uploaded like a local refund's ([`NewRefund::photo`]).
    pub photo: Option<PhotoUpload>,
    /// Who asked.
    pub cashier_id: i64,
    /// The approving manager, when one had to.
    pub approved_by: Option<(i64, String)>,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The account the server pays it back to, as the server named it (masked).
    pub paying_account: String,
    /// The server's refund id.
    pub key: String,
    /// Outbox event id.
    pub event_id: String,
    /// When.
    pub now_ms: i64,
}

/// A refund as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRefund {
    /// Refund id.
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// Amount paid back (value of the goods).
    pub amount_minor: i64,
    /// Tax in it.
    pub tax_minor: i64,
    /// Where the money goes: `cash`, `card` or `points`.
    pub tender: String,
    /// Of the amount, the part given back as points (money value).
    pub points_value_minor: i64,
    /// Points taken back from what the sale earned.
    pub points_reversed: i64,
    /// Points given back from what the sale redeemed.
    pub points_returned: i64,
    /// Of the amount, what goes back now (lines approved); the rest waits for the seller.
    pub approved_minor: i64,
    /// Of the amount, what leaves the drawer now (cash lines approved).
    pub cash_now_minor: i64,
    /// The `refund.requested` bodies queued, one per line in the order given: what the
    /// server is asked (and what `POST /v1/refunds/check` is asked before money moves).
    pub requests: Vec<serde_json::Value>,
}

/// A recorded refund as its receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSummary {
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// When.
    pub created_at_ms: i64,
    /// Amount paid back.
    pub amount_minor: i64,
    /// Tax in it.
    pub tax_minor: i64,
    /// `cash`, `card` or `points`.
    pub tender: String,
    /// Masked card of the sale, when it went back to a card.
    pub card_masked: Option<String>,
    /// Reason code.
    pub reason: String,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The approving manager's name.
    pub approved_by: Option<String>,
    /// `pending` (a line waits for the seller), `confirmed` (no line waits, at least one
    /// approved) or `refused` (every line refused).
    pub status: String,
    /// The till decided without the server.
    pub decided_offline: bool,
    /// SHA-256 of the photo.
    pub evidence_sha256: Option<String>,
    /// Lines.
    pub lines: Vec<RefundSummaryLine>,
    /// Points taken back from what the sale earned.
    pub points_reversed: i64,
    /// Points given back from what the sale redeemed.
    pub points_returned: i64,
}

/// A line of a recorded refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSummaryLine {
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units.
    pub quantity: i64,
    /// Amount paid back.
    pub amount_minor: i64,
    /// The device sold on the line.
    pub serial_number: Option<String>,
    /// `approved`, `awaiting_seller` or `refused`.
    pub status: String,
    /// How it was decided: `policy`, `shop_manager`, `await_seller`, or `seller` (the seller
    /// confirmed it later).
    pub decision: Option<String>,
    /// The server's last answer: `refunded`, `pending_seller_confirmation`, `rejected`.
    pub server_status: Option<String>,
    /// When its money went back (None: not yet).
    pub paid_at_ms: Option<i64>,
    /// The seller it was sold for (None: the shop).
    pub seller: Option<String>,
}

const ORDER_COLUMNS: &str = "o.id, o.order_no, o.created_at_ms, o.currency, o.total_minor, o.customer_ref,
    (SELECT coalesce(sum(amount_minor - refused_minor), 0) FROM refunds WHERE order_id = o.id),
    (SELECT tender FROM payments WHERE order_id = o.id AND tender <> 'points' ORDER BY id LIMIT 1),
    (SELECT card_masked FROM payments WHERE order_id = o.id AND tender = 'card' ORDER BY id LIMIT 1),
    (SELECT auth_code FROM payments WHERE order_id = o.id AND tender = 'card' ORDER BY id LIMIT 1),
    (SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE order_id = o.id AND tender = 'points')";

fn load_order(c: &rusqlite::Connection, order_id: i64, matched: Option<i64>) -> Result<Option<RefundableOrder>> {
    let head = c
        .prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = ?1"))?
        .query_row([order_id], |r| {
            Ok(RefundableOrder {
                order_id: r.get(0)?,
                order_no: r.get(1)?,
                created_at_ms: r.get(2)?,
                currency: r.get(3)?,
                total_minor: r.get(4)?,
                customer_ref: r.get(5)?,
                refunded_minor: r.get(6)?,
                tender: r.get::<_, Option<String>>(7)?.unwrap_or_else(|| "points".into()),
                card_masked: r.get(8)?,
                auth_code: r.get(9)?,
                points_paid_minor: r.get(10)?,
                lines: Vec::new(),
                matched_line_id: matched,
            })
        })
        .optional()?;
    let Some(mut order) = head else { return Ok(None) };
    let mut s = c.prepare_cached(
        "SELECT id, line_no, line_code, sku, name, name_zh, quantity, refunded_quantity, unit_price_minor, gross_minor,
                serial_number, seller
           FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
    )?;
    order.lines = s
        .query_map([order_id], |r| {
            Ok(RefundableLine {
                order_line_id: r.get(0)?,
                line_no: r.get(1)?,
                line_code: r.get(2)?,
                sku: r.get(3)?,
                name: r.get(4)?,
                name_zh: r.get(5)?,
                quantity: r.get(6)?,
                refunded_quantity: r.get(7)?,
                unit_price_minor: r.get(8)?,
                gross_minor: r.get(9)?,
                serial_number: r.get(10)?,
                seller: r.get(11)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(Some(order))
}

fn order_of_line(c: &rusqlite::Connection, sql: &str, key: &str) -> Result<Option<RefundableOrder>> {
    let hit: Option<(i64, i64)> = c.prepare_cached(sql)?.query_row([key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    match hit {
        Some((order_id, line_id)) => load_order(c, order_id, Some(line_id)),
        None => Ok(None),
    }
}

impl Store {
    /// The sale with the receipt line code `code` (already normalised by
    /// [`till_core::LineCode::parse`]).
    pub fn refund_find_by_line_code(&self, code: &str) -> Result<Option<RefundableOrder>> {
        self.read(|c| order_of_line(c, "SELECT order_id, id FROM order_lines WHERE line_code = ?1", code))
    }

    /// The latest sale of the device with this normalised identifier.
    pub fn refund_find_by_device(&self, identifier: &str) -> Result<Option<RefundableOrder>> {
        self.read(|c| {
            order_of_line(
                c,
                "SELECT order_id, id FROM order_lines WHERE serial_number = ?1 ORDER BY id DESC LIMIT 1",
                identifier,
            )
        })
    }

    /// The sale with receipt number `order_no`, sold between `from_ms` and `to_ms` (the day on
    /// the receipt) for `total_minor`: all three must match, so a mistyped number finds
    /// nothing rather than someone else's sale.
    pub fn refund_find_by_receipt(
        &self,
        order_no: &str,
        from_ms: i64,
        to_ms: i64,
        total_minor: i64,
    ) -> Result<Option<RefundableOrder>> {
        let Ok(id) = order_no.trim().parse::<i64>() else { return Ok(None) };
        self.read(|c| {
            let hit: Option<i64> = c
                .prepare_cached(
                    "SELECT id FROM orders WHERE id = ?1 AND created_at_ms >= ?2 AND created_at_ms < ?3 AND total_minor = ?4",
                )?
                .query_row(params![id, from_ms, to_ms, total_minor], |r| r.get(0))
                .optional()?;
            match hit {
                Some(id) => load_order(c, id, None),
                None => Ok(None),
            }
        })
    }

    /// A recorded refund with its lines and points, for its receipt.
    pub fn refund_summary(&self, refund_id: i64) -> Result<RefundSummary> {
        self.read(|c| {
            let mut r = c
                .prepare_cached(
                    "SELECT r.refund_no, o.order_no, r.created_at_ms, r.amount_minor, r.tax_minor, r.tender, r.reason,
                            r.approval, u.name, r.status, r.evidence_sha256,
                            CASE WHEN r.tender = 'card' THEN
                              (SELECT card_masked FROM payments WHERE order_id = o.id AND tender = 'card' LIMIT 1) END,
                            (SELECT coalesce(sum(CASE WHEN kind = 'reverse-earn' THEN -points END), 0)
                               FROM points_ledger WHERE refund_id = r.id),
                            (SELECT coalesce(sum(CASE WHEN kind = 'return-redeem' THEN points END), 0)
                               FROM points_ledger WHERE refund_id = r.id),
                            r.decided_offline
                       FROM refunds r JOIN orders o ON o.id = r.order_id LEFT JOIN users u ON u.id = r.approved_by
                      WHERE r.id = ?1",
                )?
                .query_row([refund_id], |r| {
                    Ok(RefundSummary {
                        refund_no: r.get(0)?,
                        order_no: r.get(1)?,
                        created_at_ms: r.get(2)?,
                        amount_minor: r.get(3)?,
                        tax_minor: r.get(4)?,
                        tender: r.get(5)?,
                        reason: r.get(6)?,
                        approval: r.get(7)?,
                        approved_by: r.get(8)?,
                        status: r.get(9)?,
                        evidence_sha256: r.get(10)?,
                        card_masked: r.get(11)?,
                        points_reversed: r.get(12)?,
                        points_returned: r.get(13)?,
                        decided_offline: r.get(14)?,
                        lines: Vec::new(),
                    })
                })
                .optional()?
                .ok_or(StoreError::NotFound("refund"))?;
            let mut s = c.prepare_cached(
                "SELECT l.name, l.name_zh, rl.quantity, rl.amount_minor, l.serial_number, rl.status, rl.decision,
                        rl.server_status, rl.paid_at_ms, l.seller
                   FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id WHERE rl.refund_id = ?1 ORDER BY l.line_no",
            )?;
            r.lines = s
                .query_map([refund_id], |x| {
                    Ok(RefundSummaryLine {
                        name: x.get(0)?,
                        name_zh: x.get(1)?,
                        quantity: x.get(2)?,
                        amount_minor: x.get(3)?,
                        serial_number: x.get(4)?,
                        status: x.get(5)?,
                        decision: x.get(6)?,
                        server_status: x.get(7)?,
                        paid_at_ms: x.get(8)?,
                        seller: x.get(9)?,
                    })
                })?
                .collect::<std::result::Result<_, _>>()?;
            Ok(r)
        })
    }

    /// The refunds of an order, newest first.
    pub fn refund_ids_of_order(&self, order_id: i64) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut s = c.prepare_cached("SELECT id FROM refunds WHERE order_id = ?1 ORDER BY id DESC")?;
            let rows = s.query_map([order_id], |r| r.get(0))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// A sale by its id, as a refund sees it.
    pub fn refundable_order(&self, order_id: i64) -> Result<Option<RefundableOrder>> {
        self.read(|c| load_order(c, order_id, None))
    }

    /// Records a refund: checks it against what is left of the sale, writes the refund, its
    /// lines, the points reversals, an audit entry and one outbox event per line and per points
    /// reversal, all in one IMMEDIATE transaction. Nothing is written when any check fails.
    /// The refund receipt's print job is queued in the same commit when a receipt printer is
    /// set up; a cash refund opens the drawer.
    pub fn record_refund(&self, r: &NewRefund) -> Result<RecordedRefund> {
        self.write(|tx| {
            let recorded = write_refund(tx, r)?;
            // The drawer opens only for cash that leaves it now.
            crate::print_queue::queue_refund(tx, recorded.refund_id, recorded.cash_now_minor > 0, r.now_ms)?;
            Ok(recorded)
        })
    }

    /// What [`Store::record_refund`] would record, without recording it: the same code runs
    /// and is rolled back, so the quote the cashier sees cannot differ from the refund.
    pub fn refund_preview(&self, r: &NewRefund) -> Result<RecordedRefund> {
        let mut conn = Self::lock(&self.writer);
        // IMMEDIATE as a real refund: a deferred read that turns into a write fails at once
        // (no busy wait) when the sync worker committed in between.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = write_refund(&tx, r).map_err(crate::day_closed);
        tx.rollback()?;
        out
    }
}

//! The payment journal: every payment attempt, on disk before its authorisation leaves the till,
//! so an approval can never exist without the till knowing of it (docs/payments.md).
//!
//! ```text
//! authorising ──approved──> approved ──the sale's own commit──> settled
//!      │  └──declined──> declined        │
//!      │                                 └──> reversal_pending ──platform answered──> reversed
//!      └──no answer / the till stopped────────────┘
//! ```
//!
//! - [`Store::journal_begin`] writes `authorising` in its own IMMEDIATE commit; only then may
//!   the request leave.
//! - `settled` is written in the same transaction as the order ([`Settle`], used by
//!   [`Store::record_sale_settling`]): an approved payment and its recorded sale are on disk
//!   together or not at all, and a payment that is no longer `authorising` or `approved` (being
//!   reversed) cannot be settled, which refuses the sale.
//! - [`Store::journal_reverse`] moves an unsettled payment to `reversal_pending` and queues its
//!   `payment.reversal` outbox event (id [`reversal_event_id`], the platform's
//!   Idempotency-Key) with an audit entry, in one commit; the sync worker sends it until the
//!   platform answers, and the answer makes it `reversed` ([`apply_reversal_answer`]). A payment
//!   only the till itself approved (the stand-in) is reversed at once.
//!
//! Generic over the method (card today, payment codes later). No card data: the masked number
//! at most, the approval code and the platform's reference.

use crate::answers::Answer;
use crate::{audit, outbox, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde_json::{json, Value};
use till_core::{Currency, EventKind, Money};

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalState {
    /// Written before the request left; no answer yet.
    Authorising,
    /// The platform approved; the sale is not recorded yet.
    Approved,
    /// The platform declined or refused: no money was taken.
    Declined,
    /// The sale is recorded (in the same commit).
    Settled,
    /// The sale was not recorded: the reversal is queued and retried until answered.
    ReversalPending,
    /// The platform took the authorisation back (or never had it and now refuses it).
    Reversed,
}

impl JournalState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Authorising => "authorising",
            JournalState::Approved => "approved",
            JournalState::Declined => "declined",
            JournalState::Settled => "settled",
            JournalState::ReversalPending => "reversal_pending",
            JournalState::Reversed => "reversed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "authorising" => JournalState::Authorising,
            "approved" => JournalState::Approved,
            "declined" => JournalState::Declined,
            "settled" => JournalState::Settled,
            "reversal_pending" => JournalState::ReversalPending,
            "reversed" => JournalState::Reversed,
            other => return Err(StoreError::Corrupt(format!("payment journal state {other:?}"))),
        })
    }
}

/// Who answers the payment's authorisation, and so who must reverse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// The payment platform (till-server's `/v1/payments/...`): reversed through the outbox.
    PaymentPlatform,
    /// The local stand-in of demo mode: its approvals exist on this till only, reversed here.
    StandIn,
    /// Approved by the till itself while the platform was unreachable, forwarded with its sale.
    Offline,
}

impl Platform {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::PaymentPlatform => "payment_platform",
            Platform::StandIn => "stand_in",
            Platform::Offline => "offline",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "payment_platform" => Platform::PaymentPlatform,
            "stand_in" => Platform::StandIn,
            "offline" => Platform::Offline,
            other => return Err(StoreError::Corrupt(format!("payment journal platform {other:?}"))),
        })
    }
}

/// A payment about to be authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJournalPayment {
    /// The payment id (the authorisation's Idempotency-Key).
    pub payment_id: String,
    /// `card` (later: payment codes).
    pub method: String,
    /// Who authorises it.
    pub platform: Platform,
    /// The cart being paid (`orders.checkout_key` of its sale).
    pub checkout_key: String,
    /// The cashier taking it.
    pub cashier_id: Option<i64>,
    /// Amount and currency, above zero.
    pub amount: Money,
    /// The masked card number (first 6, last 4) at most; never more.
    pub masked_ref: Option<String>,
}

/// A journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// The payment id.
    pub payment_id: String,
    /// `card`, ...
    pub method: String,
    /// Who authorised it.
    pub platform: Platform,
    /// The cart paid.
    pub checkout_key: String,
    /// The cashier.
    pub cashier_id: Option<i64>,
    /// Amount and currency.
    pub amount: Money,
    /// Where it is.
    pub state: JournalState,
    /// Masked card number.
    pub masked_ref: Option<String>,
    /// Approval code.
    pub auth_code: Option<String>,
    /// The platform's reference, when it gives one.
    pub platform_ref: Option<String>,
    /// The order, once settled.
    pub order_id: Option<i64>,
    /// Why it was declined or reversed.
    pub reason: Option<String>,
    /// The reversal's last refusal, while it waits.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at_ms: i64,
    /// When it last changed.
    pub updated_at_ms: i64,
}

/// The journal's part of a sale's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// A journaled payment (`authorising` or `approved`) becomes `settled`.
    Payment(String),
    /// A payment the till approved itself (offline) is written `settled` with its code.
    Offline(NewJournalPayment, String),
}

/// What [`Store::journal_reverse`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reversal {
    /// Queued for the platform (the outbox event's id).
    Queued(String),
    /// Done here: the stand-in's approval never left the till.
    Local,
    /// The payment was not unsettled any more (settled, declined or already reversing).
    Nothing(JournalState),
}

/// The id (and Idempotency-Key) of the reversal event of `payment_id`: not the payment id
/// itself, which is the authorisation's key at the platform.
pub fn reversal_event_id(payment_id: &str) -> String {
    format!("reversal-{payment_id}")
}

const COLUMNS: &str = "payment_id, method, platform, checkout_key, cashier_id, amount_minor, currency, state, \
                       masked_ref, auth_code, platform_ref, order_id, reason, last_error, created_at_ms, updated_at_ms";

/// A stored text that is not one of the journal's names (or not a currency): the row is bad.
fn bad_text(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.into())
}

fn entry(r: &Row<'_>) -> rusqlite::Result<JournalEntry> {
    let text = |col: usize| -> rusqlite::Result<String> { r.get(col) };
    let platform = text(2)?;
    let currency = text(6)?;
    let state = text(7)?;
    Ok(JournalEntry {
        payment_id: r.get(0)?,
        method: r.get(1)?,
        platform: Platform::parse(&platform).map_err(|e| bad_text(2, e.to_string()))?,
        checkout_key: r.get(3)?,
        cashier_id: r.get(4)?,
        amount: Money::new(r.get(5)?, Currency::parse(&currency).map_err(|e| bad_text(6, e.to_string()))?),
        state: JournalState::parse(&state).map_err(|e| bad_text(7, e.to_string()))?,
        masked_ref: r.get(8)?,
        auth_code: r.get(9)?,
        platform_ref: r.get(10)?,
        order_id: r.get(11)?,
        reason: r.get(12)?,
        last_error: r.get(13)?,
        created_at_ms: r.get(14)?,
        updated_at_ms: r.get(15)?,
    })
}

/// Whether `s` shows at most the first six and last four digits of a card number.
/// A card number with no more than its first six and last four digits, or a payment code with
/// no more than its first four and last four (`till_core::payment_code::mask`).
fn is_masked(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    let shows = |first: usize| {
        b.iter().enumerate().all(|(i, c)| if i < first || i >= n - 4 { c.is_ascii_digit() } else { *c == b'*' })
    };
    ((12..=19).contains(&n) && shows(6)) || ((16..=24).contains(&n) && shows(4))
}

fn load(tx: &rusqlite::Connection, payment_id: &str) -> Result<Option<JournalEntry>> {
    Ok(tx
        .prepare_cached(&format!("SELECT {COLUMNS} FROM payment_journal WHERE payment_id = ?1"))?
        .query_row([payment_id], entry)
        .optional()?)
}

fn insert(tx: &Transaction<'_>, p: &NewJournalPayment, state: JournalState, now_ms: i64) -> Result<()> {
    if let Some(m) = &p.masked_ref {
        // Nothing more of a card than first six and last four may be kept (of a code, four and four).
        if !is_masked(m) {
            return Err(StoreError::Invalid("the journal keeps a masked card number only".into()));
        }
    }
    tx.prepare_cached(
        "INSERT INTO payment_journal (payment_id, method, platform, checkout_key, cashier_id, amount_minor, currency,
                                      state, masked_ref, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        p.payment_id,
        p.method,
        p.platform.as_str(),
        p.checkout_key,
        p.cashier_id,
        p.amount.minor(),
        p.amount.currency().code(),
        state.as_str(),
        p.masked_ref,
        now_ms
    ])?;
    Ok(())
}

/// Moves `payment_id` from one of `from` to `to`, setting the given columns; the row must be in
/// one of `from`, else nothing changes and the state found is returned as the error.
fn transition(
    tx: &Transaction<'_>,
    payment_id: &str,
    from: &[JournalState],
    to: JournalState,
    set: &str,
    values: &[&dyn rusqlite::ToSql],
    now_ms: i64,
) -> Result<std::result::Result<(), JournalState>> {
    let Some(current) = load(tx, payment_id)? else { return Err(StoreError::NotFound("journal payment")) };
    if !from.contains(&current.state) {
        return Ok(Err(current.state));
    }
    let sql = format!("UPDATE payment_journal SET state = ?1, updated_at_ms = ?2{set} WHERE payment_id = ?3");
    let to_name = to.as_str();
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&to_name, &now_ms, &payment_id];
    all.extend_from_slice(values);
    tx.prepare_cached(&sql)?.execute(all.as_slice())?;
    Ok(Ok(()))
}

fn wrong_state(payment_id: &str, found: JournalState, to: JournalState) -> StoreError {
    StoreError::Conflict(format!("payment {payment_id} is {}, it cannot become {}", found.as_str(), to.as_str()))
}

/// Writes the journal's part of a sale inside the sale's transaction. Fails (and so refuses the
/// sale) when the payment is no longer `authorising` or `approved`.
pub(crate) fn settle(tx: &Transaction<'_>, s: &Settle, order_id: i64, now_ms: i64) -> Result<()> {
    let payment_id = match s {
        Settle::Payment(id) => id,
        Settle::Offline(p, auth_code) => {
            insert(tx, p, JournalState::Approved, now_ms)?;
            tx.prepare_cached("UPDATE payment_journal SET auth_code = ?2 WHERE payment_id = ?1")?
                .execute(params![p.payment_id, auth_code])?;
            &p.payment_id
        }
    };
    let from = [JournalState::Authorising, JournalState::Approved];
    transition(tx, payment_id, &from, JournalState::Settled, ", order_id = ?4", &[&order_id], now_ms)?
        .map_err(|found| wrong_state(payment_id, found, JournalState::Settled))
}

/// What a reversal's answer (recorded by the sync worker) means for its payment, in the
/// worker's transaction: `reversed` (reversed now or before, or never seen by the platform and
/// now blocked there), `declined` (the platform had declined it), or still pending with the
/// refusal kept for a manager.
pub(crate) fn apply_reversal_answer(tx: &Transaction<'_>, event_id: &str, answer: Answer<'_>, now: i64) -> Result<()> {
    let payment_id: Option<String> = tx
        .prepare_cached("SELECT json_extract(payload, '$.payment_id') FROM outbox WHERE id = ?1")?
        .query_row([event_id], |r| r.get(0))
        .optional()?
        .flatten();
    // An event without its journal row (written by hand, or by a test) has nothing to update.
    let Some(payment_id) = payment_id.filter(|id| matches!(load(tx, id), Ok(Some(_)))) else { return Ok(()) };
    let pending = [JournalState::ReversalPending];
    let outcome = match answer {
        Answer::Done(body) => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            match (v.get("status").and_then(Value::as_str), v.get("code").and_then(Value::as_str)) {
                (Some("reversed"), _) => Some((JournalState::Reversed, "reversed at the payment platform")),
                (_, Some("already_reversed")) => {
                    Some((JournalState::Reversed, "already reversed at the payment platform"))
                }
                (_, Some("payment_not_found")) => {
                    Some((JournalState::Reversed, "the payment platform never had it; the payment id is blocked there"))
                }
                (_, Some("payment_declined")) => Some((JournalState::Declined, "the payment platform had declined it")),
                _ => None,
            }
        }
        Answer::Refused(reason) => {
            tx.prepare_cached("UPDATE payment_journal SET last_error = ?2 WHERE payment_id = ?1")?
                .execute(params![payment_id, reason])?;
            None
        }
    };
    if let Some((to, reason)) = outcome {
        let set = ", reason = coalesce(reason || '; ', '') || ?4, last_error = NULL";
        // An answer for a payment no longer pending (a replay) changes nothing.
        if transition(tx, &payment_id, &pending, to, set, &[&reason], now)?.is_ok() {
            let detail = json!({ "payment_id": payment_id, "outcome": to.as_str(), "why": reason });
            audit::append(tx, now, None, "payment.reversed", &detail)?;
        }
    }
    Ok(())
}

impl Store {
    /// Writes `authorising` for a new payment in its own IMMEDIATE commit. Call before the
    /// authorisation request leaves; if this fails, the request must not be sent.
    pub fn journal_begin(&self, p: &NewJournalPayment, now_ms: i64) -> Result<()> {
        if p.amount.minor() <= 0 {
            return Err(StoreError::Invalid("a payment is above zero".into()));
        }
        self.write(|tx| insert(tx, p, JournalState::Authorising, now_ms))
    }

    /// `authorising` → `approved`, with the approval code and the platform's reference.
    pub fn journal_approved(
        &self,
        payment_id: &str,
        auth_code: &str,
        platform_ref: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            let set = ", auth_code = ?4, platform_ref = ?5";
            transition(
                tx,
                payment_id,
                &[JournalState::Authorising],
                JournalState::Approved,
                set,
                &[&auth_code, &platform_ref],
                now_ms,
            )?
            .map_err(|found| wrong_state(payment_id, found, JournalState::Approved))
        })
    }

    /// `authorising` → `declined` (declined, or refused by the platform: nothing was taken).
    pub fn journal_declined(&self, payment_id: &str, reason: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            transition(
                tx,
                payment_id,
                &[JournalState::Authorising],
                JournalState::Declined,
                ", reason = ?4",
                &[&reason],
                now_ms,
            )?
            .map_err(|found| wrong_state(payment_id, found, JournalState::Declined))
        })
    }

    /// Takes back an unsettled payment (`authorising` or `approved`): for the payment platform,
    /// `reversal_pending` and its `payment.reversal` event; for the stand-in, `reversed` at
    /// once. Either way with an audit entry (`payment.reversal_queued` / `payment.reversed`) for
    /// the manager, in one commit. A payment in any other state is left as it is.
    pub fn journal_reverse(&self, payment_id: &str, reason: &str, actor: Option<i64>, now_ms: i64) -> Result<Reversal> {
        self.write(|tx| {
            let Some(p) = load(tx, payment_id)? else { return Err(StoreError::NotFound("journal payment")) };
            let from = [JournalState::Authorising, JournalState::Approved];
            if !from.contains(&p.state) {
                return Ok(Reversal::Nothing(p.state));
            }
            let detail = json!({
                "payment_id": p.payment_id, "method": p.method, "amount": p.amount.minor(),
                "currency": p.amount.currency().code(), "card_masked": p.masked_ref, "was": p.state.as_str(),
                "why": reason,
            });
            if p.platform != Platform::PaymentPlatform {
                transition(tx, payment_id, &from, JournalState::Reversed, ", reason = ?4", &[&reason], now_ms)?
                    .map_err(|found| wrong_state(payment_id, found, JournalState::Reversed))?;
                audit::append(tx, now_ms, actor, "payment.reversed", &detail)?;
                return Ok(Reversal::Local);
            }
            transition(tx, payment_id, &from, JournalState::ReversalPending, ", reason = ?4", &[&reason], now_ms)?
                .map_err(|found| wrong_state(payment_id, found, JournalState::ReversalPending))?;
            let event_id = reversal_event_id(payment_id);
            let body = json!({
                "payment_id": p.payment_id,
                "amount": { "minor": p.amount.minor(), "currency": p.amount.currency().code() },
                "reason": reason,
            });
            outbox::enqueue_kind(
                tx,
                &event_id,
                EventKind::PaymentReversal,
                &format!("payment/{payment_id}"),
                &body,
                now_ms,
            )?;
            audit::append(tx, now_ms, actor, "payment.reversal_queued", &detail)?;
            Ok(Reversal::Queued(event_id))
        })
    }

    /// Marks an unsettled payment `settled` because its sale is found recorded as `order_id`
    /// (the start-up check; the normal path settles in the sale's own commit).
    pub fn journal_settle_found(&self, payment_id: &str, order_id: i64, now_ms: i64) -> Result<()> {
        self.write(|tx| settle(tx, &Settle::Payment(payment_id.to_string()), order_id, now_ms))
    }

    /// One payment.
    pub fn journal_entry(&self, payment_id: &str) -> Result<Option<JournalEntry>> {
        self.read(|c| load(c, payment_id))
    }

    /// Payments left `authorising` or `approved`: what the start-up check looks at.
    pub fn journal_unsettled(&self) -> Result<Vec<JournalEntry>> {
        self.journal_where("state IN ('authorising', 'approved')")
    }

    /// Every payment of a cart, oldest first.
    pub fn journal_of_checkout(&self, checkout_key: &str) -> Result<Vec<JournalEntry>> {
        self.read(|c| {
            let mut s = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM payment_journal WHERE checkout_key = ?1 ORDER BY created_at_ms, rowid"
            ))?;
            let rows = s.query_map([checkout_key], entry)?.collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Payments waiting for their reversal's answer, oldest first.
    pub fn journal_reversals_pending(&self) -> Result<Vec<JournalEntry>> {
        self.journal_where("state = 'reversal_pending'")
    }

    fn journal_where(&self, condition: &str) -> Result<Vec<JournalEntry>> {
        self.read(|c| {
            let mut s = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM payment_journal WHERE {condition} ORDER BY created_at_ms, rowid"
            ))?;
            let rows = s.query_map([], entry)?.collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

//! Store-and-forward: a card payment approved by the till itself while the payment platform
//! cannot be reached, within limits the installer sets, and forwarded to the platform through
//! the outbox once it can.
//!
//! When [`crate::sale::card::remote_authorizer::RemoteAuthorizer`] answers "unreachable" (no connection,
//! timeout, 5xx) the card flow asks [`check_offline`]. Within the limits of
//! [`PaymentSettings`] (amount per payment, payments waiting to be forwarded, age of the
//! oldest of them; 24 h by default as Square and Adyen do) the sale is recorded with the approval
//! code [`OFFLINE_AUTH_CODE`] ("offline approval" on the receipt) and, **in the same
//! transaction** ([`till_store::checkout::LinkedEvent`]), a `payment.forward` outbox event whose
//! id is the offline payment's id and whose payload is the platform request: the card data
//! encrypted under the platform key (never in clear), and its journal row, `settled`. A card that asks
//! for its PIN is never approved offline: only the platform can check a PIN, and a PIN block is
//! never stored. Beyond the limits the payment is declined with a reason code `offline_*` and
//! words for the cashier, who takes another tender; the cart stays.
//!
//! The offline approval is a payment of its own, with a new payment id (the card data encrypted
//! again for it): the online attempt that got no answer may have reached the platform after
//! all, so the payment journal takes it back ([`crate::sale::journal`]) and it is never
//! forwarded. The sync worker sends the reversal first and the forward after it, each alone
//! to its endpoint with its own Idempotency-Key, so the platform ends with one authorisation
//! for the sale, not two. The moment the forward's answer is recorded (or the event is parked
//! or discarded) the encrypted card data is removed from the outbox row (till-store's
//! `delivery`). A forwarded payment the platform declined (or refused) is listed
//! for managers by [`Pos::forwarded_declines_list`].

use crate::admin::permissions::Command;
use crate::error::PaymentError;
use crate::error::{PosError, Result};
use crate::ipc::sale::{ForwardedDecline, PaymentSettings};
use crate::sale::card::authorizer::{AuthorizationRequest, PlatformCardData};
use crate::Pos;
use serde_json::Value;
use till_core::Money;
use till_core::{PaymentId, SessionToken};
use till_store::checkout::LinkedEvent;
use till_store::delivery::PAYMENT_FORWARD;
use till_store::{NewJournalPayment, Platform};
/// The approval code of a payment the till approved offline; the receipt says "offline approval".
pub const OFFLINE_AUTH_CODE: &str = "OFFLINE";
const SETTING: &str = "payment_settings";
const HOUR_MS: i64 = 3_600_000;

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            authorization_timeout_s: 15,
            offline_max_amount_minor: 50_000,
            offline_max_pending: 20,
            offline_max_age_hours: 24,
            // Fail closed: points are redeemed offline only once the installer sets a limit.
            offline_points_cap: 0,
        }
    }
}

impl PaymentSettings {
    /// Checks the ranges; a bad value is [`PosError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(PosError::InvalidInput(m.into()));
        if !(1..=120).contains(&self.authorization_timeout_s) {
            return bad("the authorisation timeout is 1 to 120 seconds");
        }
        if !(0..=100_000_000).contains(&self.offline_max_amount_minor) {
            return bad("the offline amount limit is 0 to 100,000,000 minor units");
        }
        if self.offline_max_pending > 1000 {
            return bad("at most 1000 offline payments may wait to be forwarded");
        }
        if !(1..=72).contains(&self.offline_max_age_hours) {
            return bad("the offline age limit is 1 to 72 hours");
        }
        if !(0..=1_000_000).contains(&self.offline_points_cap) {
            return bad("the offline points limit is 0 to 1,000,000 points");
        }
        Ok(())
    }

    /// The authorisation timeout.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.authorization_timeout_s))
    }
}

/// Payments approved offline that wait to be forwarded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingForwards {
    /// How many.
    pub count: i64,
    /// When the oldest was approved.
    pub oldest_at_ms: Option<i64>,
}

fn refuse(reason_code: &str, message: String) -> PaymentError {
    PaymentError::Declined { reason_code: reason_code.into(), message }
}

/// Whether a payment of `amount` may be approved offline now; the `Err` is the decline the
/// cashier sees (reason codes `offline_off`, `offline_pin`, `offline_amount`, `offline_count`,
/// `offline_age`).
pub fn check_offline(
    limits: &PaymentSettings,
    amount: Money,
    pin_required: bool,
    pending: PendingForwards,
    now_ms: i64,
) -> std::result::Result<(), PaymentError> {
    const WHY: &str = "the payment platform cannot be reached";
    if limits.offline_max_amount_minor == 0 || limits.offline_max_pending == 0 {
        return Err(refuse("offline_off", format!("{WHY} and offline approval is off; please take another tender")));
    }
    if pin_required {
        return Err(refuse(
            "offline_pin",
            format!("{WHY}, and a card that asks for its PIN cannot be approved offline; please take another tender"),
        ));
    }
    if amount.minor() > limits.offline_max_amount_minor {
        let max = Money::new(limits.offline_max_amount_minor, amount.currency());
        return Err(refuse(
            "offline_amount",
            format!("{WHY}; offline approval is limited to {max} per payment; please take another tender"),
        ));
    }
    if pending.count >= i64::from(limits.offline_max_pending) {
        return Err(refuse(
            "offline_count",
            format!(
                "{WHY} and {} offline payments already wait to be forwarded (the limit); please take another tender",
                pending.count
            ),
        ));
    }
    if let Some(oldest) = pending.oldest_at_ms {
        if now_ms - oldest > i64::from(limits.offline_max_age_hours) * HOUR_MS {
            return Err(refuse(
                "offline_age",
                format!(
                    "{WHY} and an offline payment has waited more than {} hours to be forwarded; please take another tender",
                    limits.offline_max_age_hours
                ),
            ));
        }
    }
    Ok(())
}

impl Pos {
    /// The installer's payment settings (defaults until set).
    pub(crate) fn payment_settings(&self) -> Result<PaymentSettings> {
        match self.store.setting(SETTING)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| PosError::Internal(format!("the stored payment settings are unreadable: {e}"))),
            None => Ok(PaymentSettings::default()),
        }
    }

    /// The payment settings (installers).
    pub fn payment_settings_get(&self, token: &SessionToken) -> Result<PaymentSettings> {
        self.authorize(token, Command::PaymentSettingsGet)?;
        self.payment_settings()
    }

    /// Sets the payment settings (installers); checked first, audited, nothing changed when bad.
    pub fn payment_settings_set(&self, token: &SessionToken, settings: PaymentSettings) -> Result<PaymentSettings> {
        let s = self.authorize(token, Command::PaymentSettingsSet)?;
        settings.validate()?;
        let text = serde_json::to_string(&settings).map_err(|e| PosError::Internal(e.to_string()))?;
        let detail = serde_json::to_value(settings).map_err(|e| PosError::Internal(e.to_string()))?;
        let now = self.now_ms();
        self.store.write(|tx| {
            till_store::settings::put(tx, SETTING, &text)?;
            till_store::audit::append(tx, now, Some(s.user_id), "payment.settings_set", &detail)
        })?;
        Ok(settings)
    }

    /// Payments approved offline still waiting to be forwarded.
    pub fn pending_forwards(&self) -> Result<PendingForwards> {
        Ok(self.store.read(|c| {
            Ok(c.query_row(
                "SELECT count(*), min(created_at_ms) FROM outbox WHERE kind = ?1 AND state IN ('pending', 'sending')",
                [PAYMENT_FORWARD],
                |r| Ok(PendingForwards { count: r.get(0)?, oldest_at_ms: r.get(1)? }),
            )?)
        })?)
    }

    /// Decides on offline approval of the card of `request` (whose authorisation got no
    /// answer: `why`) and, when allowed, makes it a payment of its own: a new payment id, the
    /// card data encrypted again for it, its `payment.forward` event linked to the cart's sale
    /// (to be written in the sale's transaction), and its journal row for that same commit. The
    /// unanswered attempt is the journal's to take back; it is never forwarded, so the platform
    /// can never hold both. The caller records the sale with [`OFFLINE_AUTH_CODE`] and unlinks
    /// the cart if that fails.
    pub(crate) fn approve_offline(
        &self,
        request: &AuthorizationRequest,
        why: &str,
        cashier_id: i64,
    ) -> Result<NewJournalPayment> {
        let limits = self.payment_settings()?;
        let pending = self.pending_forwards()?;
        if let Err(refusal) = check_offline(&limits, request.amount, request.pin_required, pending, self.now_ms()) {
            tracing::info!(payment_id = %request.payment_id, %why, "offline approval refused: {refusal}");
            return Err(refusal.into());
        }
        let payment_id = PaymentId::generate(&mut **crate::mutex::lock(&self.rng)).to_string();
        let card_data = match &request.card_data {
            PlatformCardData::Encrypted(data) => {
                let key = self.sale.card_payments.keys.require()?;
                let (pan, expiry) = key.decrypt_card(&request.payment_id, data)?;
                let again = key.encrypt_card(&payment_id, &pan, &expiry, &mut **crate::mutex::lock(&self.rng));
                drop(pan);
                PlatformCardData::Encrypted(again?)
            }
            PlatformCardData::ReaderBlock(block) => PlatformCardData::ReaderBlock(block.clone()),
        };
        let forward = AuthorizationRequest {
            payment_id: payment_id.clone(),
            order_ref: request.order_ref.clone(),
            amount: request.amount,
            masked_pan: request.masked_pan.clone(),
            brand: request.brand,
            card_data,
            pin_required: false,
            // Never stored: only the platform can check a PIN, and PIN cards are not approved offline.
            pin_block: None,
            entry_mode: request.entry_mode,
        };
        let payload: Value = serde_json::from_str(&crate::sale::card::remote_authorizer::request_body(&forward))
            .map_err(|e| PosError::Internal(e.to_string()))?;
        self.store.link_to_checkout(
            &request.order_ref,
            LinkedEvent { id: payment_id.clone(), kind: PAYMENT_FORWARD.into(), payload },
        );
        tracing::warn!(%payment_id, unanswered = %request.payment_id, %why, "payment platform unreachable; approving offline");
        Ok(NewJournalPayment {
            payment_id,
            method: "card".into(),
            platform: Platform::Offline,
            checkout_key: request.order_ref.clone(),
            cashier_id: Some(cashier_id),
            amount: request.amount,
            masked_ref: Some(request.masked_pan.to_string()),
        })
    }

    /// Forwarded offline payments the platform declined or refused, newest first (managers).
    pub fn forwarded_declines_list(&self, token: &SessionToken) -> Result<Vec<ForwardedDecline>> {
        self.authorize(token, Command::ForwardedDeclinesList)?;
        let currency = self.currency();
        let rows = self.store.read(|c| {
            let mut s = c.prepare(
                "SELECT e.id, e.payload, e.created_at_ms, e.state, e.response_body, e.done_at_ms,
                        coalesce(e.parked_reason, ''), e.parked_at_ms, o.id, o.order_no
                 FROM outbox e LEFT JOIN orders o ON 'order/' || o.id = e.subject
                 WHERE e.kind = ?1 AND (e.state IN ('parked', 'discarded')
                       OR (e.state = 'done' AND json_extract(e.response_body, '$.status') = 'declined'))
                 ORDER BY e.created_at_ms DESC, e.rowid DESC",
            )?;
            let rows = s.query_map([PAYMENT_FORWARD], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, payload, created, state, response, done_at, parked_reason, parked_at, order_id, order_no)| {
                let p: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
                let answer: Value = response.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
                let (outcome, reason, answered) = match state.as_str() {
                    "done" => {
                        ("declined", answer["reason_code"].as_str().unwrap_or("do_not_honour").to_string(), done_at)
                    }
                    "discarded" => ("discarded", parked_reason, parked_at),
                    _ => ("refused", parked_reason, parked_at),
                };
                ForwardedDecline {
                    payment_id: id,
                    order_id,
                    order_no,
                    amount: Money::new(p["amount"]["minor"].as_i64().unwrap_or(0), currency),
                    card_masked: p["card"]["masked_pan"]
                        .as_str()
                        .or(answer["masked_pan"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    approved_offline_at_ms: created,
                    outcome: outcome.into(),
                    reason,
                    answered_at_ms: answered,
                }
            })
            .collect())
    }
}

/// The forward event's payload as stored (what is kept until the platform answers), for tests
/// and tools.
pub fn forward_payload(store: &till_store::Store, payment_id: &str) -> Result<Option<Value>> {
    Ok(store
        .outbox_events(PAYMENT_FORWARD)?
        .into_iter()
        .find(|e| e.id == payment_id)
        .and_then(|e| serde_json::from_str(&e.payload).ok()))
}

#[cfg(test)]
#[path = "offline_forward_tests.rs"]
pub(crate) mod tests;

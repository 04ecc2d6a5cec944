//! Payment by a customer's payment code (docs/payment-codes.md): the cashier scans the code the
//! customer's wallet app shows, the till sends it with the amount to the payment platform and
//! records the sale once the platform says paid.
//!
//! The same journal as card payments ([`till_store::NewJournalPayment`]), the wallets' own
//! discipline on top:
//!
//! 1. the payment is written `authorising` before the code leaves; if that fails, nothing leaves;
//! 2. paid: `approved`, then the sale and `settled` in one commit (a sale that cannot be recorded
//!    takes the payment back);
//! 3. declined: `declined`, nothing was charged;
//! 4. "the customer is confirming on the phone", or no answer: the till asks every
//!    [`crate::PosConfig::code_poll`] until paid or declined, for at most [`CONFIRM_WINDOW_MS`];
//!    still unknown then (or the cashier cancels), it is taken back through the outbox
//!    (`payment.reversal`, retried until the platform answers) and the cashier takes another
//!    tender. A crash in the middle ends the same way, at start-up ([`crate::sale::journal`]).
//!
//! The code is a bearer instrument for about a minute: it is never stored or logged; only its
//! masked form ([`PaymentCode::masked`]) is.

use crate::admin::permissions::Command;
use crate::error::{PaymentError, PosError, Result};
use crate::ipc::sale::CodePaymentView;
use crate::ipc::sync::Service;
use crate::ipc::views::Receipt;
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use crate::sale::journal::{REASON_NO_ANSWER, REASON_SALE_NOT_RECORDED};
use crate::Pos;
use serde_json::json;
use till_api::payment_codes::{CodePaymentResponse, CodePaymentStatus};
use till_core::{CartId, CodePayment, Money, Payment, PaymentCode, PaymentId, SessionToken};
use till_store::{NewJournalPayment, Platform, Settle};

/// How long the customer has to confirm on the phone before the payment is taken back.
pub const CONFIRM_WINDOW_MS: i64 = 60_000;

/// The reason a payment the cashier cancelled while the customer was confirming is taken back.
pub const REASON_CANCELLED: &str = "cancelled";

/// What the platform said last.
enum Heard {
    Answer(CodePaymentResponse),
    /// No answer, or one that could not be read: the customer may have paid.
    Unknown(String),
}

impl Pos {
    /// Charges the customer's payment `code` for the open cart `cart_id` and records the sale;
    /// returns its receipt. Every change (submitted, the customer confirming with the seconds
    /// left, paid, declined, taken back) goes to `watch`. Blocks while the customer confirms,
    /// up to a minute; [`Pos::payment_code_cancel`] ends the wait.
    pub fn payment_code_pay(
        &self,
        token: &SessionToken,
        cart_id: &CartId,
        code: &str,
        watch: Watch<CodePaymentView>,
    ) -> Result<Receipt> {
        let s = self.authorize(token, Command::PaymentCodePay)?;
        let code = PaymentCode::parse(code).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        // Fail closed: no payments server, no payment code.
        if self.sync_credentials()?.is_none() {
            return Err(PaymentError::CodesNotSetUp("no payments server is set up".into()).into());
        }
        let expected = self.snapshot_cart(s.user_id, cart_id)?;
        let total = expected.cart.totals()?.total;
        let amount = match self.points_paying(s.user_id, cart_id) {
            Some(points) => total.checked_sub(points)?,
            None => total,
        };
        if amount.minor() <= 0 {
            return Err(PosError::InvalidInput("nothing is left to pay: take it as cash 0.00".into()));
        }
        let id = PaymentId::generate(&mut **lock(&self.rng));
        let masked = code.masked();
        let wallet = code.wallet();
        let started = self.now_ms();
        // `message`: words, or the error whose words (and decline reason) the window shows.
        let view =
            |status: &str, message: Option<std::result::Result<String, &PaymentError>>, now: i64| CodePaymentView {
                payment_id: id.to_string(),
                status: status.into(),
                wallet: wallet.as_str().into(),
                masked_code: masked.clone(),
                amount,
                seconds_left: ((started + CONFIRM_WINDOW_MS - now) / 1000).max(0),
                reason_code: match &message {
                    Some(Err(PaymentError::CodeDeclined { reason_code, .. })) => Some(reason_code.clone()),
                    _ => None,
                },
                message: message.map(|m| match m {
                    Ok(words) => words,
                    Err(e) => e.to_string(),
                }),
            };
        // The journal knows of the payment before the code leaves; if it cannot, nothing leaves.
        self.store.journal_begin(
            &NewJournalPayment {
                payment_id: id.to_string(),
                method: "payment_code".into(),
                platform: Platform::PaymentPlatform,
                checkout_key: cart_id.to_string(),
                cashier_id: Some(s.user_id),
                amount,
                masked_ref: Some(masked.clone()),
            },
            started,
        )?;
        lock(&self.sale.code_payments).insert(id.to_string(), false);
        watch(&view("submitting", None, started));
        let outcome =
            self.follow_code(&id, &code, cart_id, amount, started, &|status, now| watch(&view(status, None, now)));
        drop(code);
        lock(&self.sale.code_payments).remove(id.as_str());
        let paid = match outcome {
            Ok(paid) => paid,
            Err(e) => {
                let declined = matches!(e, PosError::Payment(PaymentError::CodeDeclined { .. }));
                let shown = match &e {
                    PosError::Payment(p) => Err(p),
                    other => Ok(other.to_string()),
                };
                watch(&view(if declined { "declined" } else { "failed" }, Some(shown), self.now_ms()));
                return Err(e);
            }
        };
        let platform_ref = paid.platform_ref.clone().unwrap_or_default();
        if let Err(e) = self.store.journal_approved(id.as_str(), &platform_ref, Some(&platform_ref), self.now_ms()) {
            // The sale's commit settles an `authorising` payment too; if the till stops first,
            // the start-up check takes it back.
            tracing::error!(payment_id = %id, "could not journal the payment code's approval: {e}");
        }
        let payment =
            Payment::Code(CodePayment { wallet, masked_code: masked.clone(), platform_ref, payment_id: id.clone() });
        let recorded = self.record_checkout(s.user_id, &expected, Some(&Settle::Payment(id.to_string())), |due| {
            if due == amount {
                Ok(payment)
            } else {
                Err(PosError::Conflict("the total changed during payment; please take payment again".into()))
            }
        });
        match recorded {
            Ok(receipt) => {
                tracing::info!(payment_id = %id, wallet = wallet.as_str(), code = %masked, "payment code paid");
                watch(&view("paid", None, self.now_ms()));
                Ok(receipt)
            }
            Err(e) => {
                tracing::error!(payment_id = %id, "paid payment code could not be recorded: {e}");
                self.take_back(id.as_str(), REASON_SALE_NOT_RECORDED, Some(s.user_id));
                let e = PaymentError::NotRecorded(e.to_string());
                watch(&view("failed", Some(Err(&e)), self.now_ms()));
                Err(e.into())
            }
        }
    }

    /// Stops waiting for the customer to confirm `payment_id` on the phone: the payment is
    /// taken back and the cashier can take another tender.
    pub fn payment_code_cancel(&self, token: &SessionToken, payment_id: &str) -> Result<()> {
        self.authorize(token, Command::PaymentCodeCancel)?;
        match lock(&self.sale.code_payments).get_mut(payment_id) {
            Some(cancelled) => {
                *cancelled = true;
                Ok(())
            }
            None => Err(PaymentError::NotFound.into()),
        }
    }

    /// Submits the code and follows it until paid (its answer), declined or given up (taken
    /// back): the steps 1 to 4 of the module's documentation after the journal's first write.
    fn follow_code(
        &self,
        id: &PaymentId,
        code: &PaymentCode,
        cart_id: &CartId,
        amount: Money,
        started: i64,
        progress: &dyn Fn(&str, i64),
    ) -> Result<CodePaymentResponse> {
        let body = json!({
            "payment_id": id.as_str(), "order_id": cart_id.as_str(), "code": code.expose(),
            "amount": { "minor": amount.minor(), "currency": amount.currency().code() },
        });
        let mut heard =
            match self.server_call(Service::Payments, "POST", "/v1/payments/code", Some(&body), Some(id.as_str())) {
                Ok(v) => read_answer(v),
                Err(PosError::ServerRefused { code, message }) => {
                    // The platform refused the request itself: nothing was charged.
                    let _ = self.store.journal_declined(id.as_str(), &format!("refused: {code}"), self.now_ms());
                    return Err(PaymentError::PlatformRefused { status: 400, code, message }.into());
                }
                Err(e) => Heard::Unknown(e.to_string()),
            };
        loop {
            let now = self.now_ms();
            match heard {
                Heard::Answer(a) if a.status == CodePaymentStatus::Paid => return Ok(a),
                Heard::Answer(a) if a.status == CodePaymentStatus::Declined => {
                    let reason = a.reason_code.unwrap_or_else(|| "declined".into());
                    let _ = self.store.journal_declined(id.as_str(), &reason, now);
                    let audit = json!({ "payment_id": id, "wallet": a.wallet, "code_masked": a.masked_code,
                        "reason_code": reason, "amount": amount.minor() });
                    self.store.audit(now, None, "payment_code.declined", &audit)?;
                    return Err(PaymentError::CodeDeclined {
                        message: decline_words(&reason).into(),
                        reason_code: reason,
                    }
                    .into());
                }
                Heard::Answer(a) if a.status == CodePaymentStatus::Reversed => {
                    let _ = self.store.journal_declined(id.as_str(), "reversed", now);
                    return Err(PaymentError::CodeUnconfirmed(a.wallet).into());
                }
                Heard::Answer(_) => progress("user_paying", now),
                Heard::Unknown(ref why) => {
                    tracing::warn!(payment_id = %id, "payment code: no answer yet ({why})");
                    progress("user_paying", now);
                }
            }
            let cancelled = lock(&self.sale.code_payments).get(id.as_str()).copied().unwrap_or(false);
            if cancelled || now - started >= CONFIRM_WINDOW_MS {
                let reason = if cancelled { REASON_CANCELLED } else { REASON_NO_ANSWER };
                progress("reversing", now);
                self.take_back(id.as_str(), reason, None);
                return Err(if cancelled {
                    PaymentError::Cancelled
                } else {
                    PaymentError::CodeUnconfirmed(code.wallet().display_name().into())
                }
                .into());
            }
            std::thread::sleep(self.sale.code_poll);
            let path = format!("/v1/payments/code/{}", id.as_str());
            heard = match self.server_call(Service::Payments, "GET", &path, None, None) {
                Ok(v) => read_answer(v),
                // The platform never received it: it was not charged; the reversal at the end
                // blocks a late arrival.
                Err(PosError::ServerRefused { code, .. }) if code == "payment_not_found" => {
                    Heard::Unknown("the platform has no such payment yet".into())
                }
                Err(e) => Heard::Unknown(e.to_string()),
            };
        }
    }
}

fn read_answer(v: serde_json::Value) -> Heard {
    match serde_json::from_value::<CodePaymentResponse>(v) {
        Ok(a) => Heard::Answer(a),
        Err(e) => Heard::Unknown(format!("an answer the till cannot read: {e}")),
    }
}

/// The cashier's words for a wallet's decline reason.
fn decline_words(reason: &str) -> &'static str {
    match reason {
        "insufficient_balance" => "the wallet's balance is too low; ask for another payment method",
        "code_expired" => "the code has expired or was used; ask the customer to refresh it",
        "user_cancelled" => "the customer cancelled on the phone",
        "amount_limit" => "the amount is over the wallet's limit",
        _ => "the wallet declined the payment",
    }
}

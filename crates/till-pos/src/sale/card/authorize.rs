//! Step 5 of a card payment: the authorisation and the sale's commit, with the payment journal
//! around the request (docs/payments.md, "The payment journal"):
//!
//! 1. the payment is written `authorising` in its own commit before the request leaves; if
//!    that fails, nothing is sent;
//! 2. approved: `approved`, then the sale is recorded and the payment `settled` in one commit
//!    (the fault point [`crate::fault::CARD_APPROVED`] sits between the two); if the sale
//!    cannot be recorded, the payment is taken back and the cashier is told so
//!    ([`PaymentError::NotRecorded`]);
//! 3. declined, or refused by the platform: `declined`, nothing was taken;
//! 4. no answer (or one that cannot be read): the platform may have approved, so the attempt is
//!    taken back at once; an offline approval within the installer's limits is then a payment
//!    of its own ([`crate::sale::offline_forward`]).
//!
//! Whatever the outcome, the cart is kept until a sale is recorded, and a new attempt is a new
//! payment id.

use super::payment::{Phase, ProtectedCard};
use crate::admin::permissions::Command;
use crate::error::{PaymentError, PosError, Result};
use crate::ipc::views::Receipt;
use crate::mutex::lock;
use crate::sale::card::authorizer::{AuthorizationRequest, AuthorizationResponse};
use crate::sale::journal::{REASON_NO_ANSWER, REASON_SALE_NOT_RECORDED};
use crate::sale::offline_forward::OFFLINE_AUTH_CODE;
use crate::Pos;
use serde_json::json;
use till_core::{CardPayment, Payment, PaymentId, SessionToken};
use till_store::{NewJournalPayment, Settle};

impl Pos {
    /// Asks the authoriser and, when approved, records the sale; returns its receipt. The card
    /// data and PIN block are dropped whatever the answer. A decline ends the payment with
    /// [`PaymentError::Declined`] and keeps the cart; so does an approval whose sale cannot be
    /// recorded ([`PaymentError::NotRecorded`]), which is taken back.
    pub fn payment_authorize(&self, token: &SessionToken, payment_id: &PaymentId) -> Result<Receipt> {
        let s = self.authorize(token, Command::PaymentAuthorize)?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        let card = {
            let mut phase = lock(&entry.phase);
            match std::mem::replace(&mut *phase, Phase::Authorising) {
                Phase::CardRead(card) => card,
                other => {
                    *phase = other;
                    return Err(PaymentError::WrongStep("there is no card read to authorise".into()).into());
                }
            }
        };
        entry.publish();
        let fail = |e: PosError| -> PosError {
            let why = match &e {
                PosError::Payment(p) => p.clone(),
                PosError::Conflict(m) => PaymentError::WrongStep(m.clone()),
                other => PaymentError::Internal(other.to_string()),
            };
            entry.enter(Phase::Failed(why));
            e
        };
        // Do not authorise a cart that can no longer be recorded as it was.
        match self.snapshot_cart(s.user_id, &entry.cart.id) {
            Ok(now) if now.cart == entry.cart.cart => {}
            Ok(_) => {
                return Err(fail(PosError::Conflict(
                    "the cart changed during payment; please take payment again".into(),
                )))
            }
            Err(e) => return Err(fail(e)),
        }
        let ProtectedCard { masked_pan, brand, pin_required, pan_hash, data, pin_block, signature_svg, .. } = *card;
        let cvm = match (pin_block.is_some(), signature_svg.is_some()) {
            (true, true) => "pin-and-signature",
            (true, false) => "pin",
            (false, true) => "signature",
            (false, false) => "none",
        };
        let request = AuthorizationRequest {
            payment_id: entry.id.to_string(),
            order_ref: entry.cart.id.to_string(),
            amount: entry.amount,
            masked_pan: masked_pan.clone(),
            brand,
            card_data: data,
            pin_required,
            pin_block,
            entry_mode: entry.entry_mode,
        };
        let authorizer = match self.payment_authorizer() {
            Ok(a) => a,
            Err(e) => return Err(fail(e)),
        };
        // The journal knows of the payment before the request leaves; if it cannot, nothing leaves.
        let journaled = NewJournalPayment {
            payment_id: entry.id.to_string(),
            method: "card".into(),
            platform: authorizer.platform(),
            checkout_key: entry.cart.id.to_string(),
            cashier_id: Some(s.user_id),
            amount: entry.amount,
            masked_ref: Some(masked_pan.to_string()),
        };
        if let Err(e) = self.store.journal_begin(&journaled, self.now_ms()) {
            return Err(fail(e.into()));
        }
        let answer = authorizer.authorize(&request);
        let id = entry.id.as_str();
        let (auth_code, settle, offline) = match answer {
            Ok(AuthorizationResponse::Approved { auth_code }) => {
                if let Err(e) = self.store.journal_approved(id, &auth_code, None, self.now_ms()) {
                    // The sale's commit settles an `authorising` payment too, and if the till
                    // stops first the start-up check takes it back.
                    tracing::error!(payment_id = %id, "could not journal the approval: {e}");
                }
                crate::fault::point(crate::fault::CARD_APPROVED);
                (auth_code, Settle::Payment(id.to_string()), false)
            }
            Ok(AuthorizationResponse::Declined { reason_code, message })
            | Err(PosError::Payment(PaymentError::Declined { reason_code, message })) => {
                let _ = self.store.journal_declined(id, &reason_code, self.now_ms());
                tracing::info!(payment_id = %payment_id, card = %masked_pan, reason_code, "card declined");
                let audit = json!({ "payment_id": entry.id, "card_masked": masked_pan.as_str(), "reason_code": reason_code, "amount": entry.amount.minor() });
                self.store.audit(self.now_ms(), Some(s.user_id), "card.declined", &audit)?;
                let declined = PaymentError::Declined { reason_code, message };
                entry.enter(Phase::Failed(declined.clone()));
                return Err(declined.into());
            }
            Err(PosError::Payment(refused @ PaymentError::PlatformRefused { .. })) => {
                // The platform refused the request itself (a 4xx changes nothing there).
                if let PaymentError::PlatformRefused { code, .. } = &refused {
                    let _ = self.store.journal_declined(id, &format!("refused: {code}"), self.now_ms());
                }
                entry.enter(Phase::Failed(refused.clone()));
                return Err(refused.into());
            }
            Err(e) => {
                // No answer, or none the till can read: the platform may have approved. Take it
                // back whatever happens next; an offline approval is a payment of its own.
                self.take_back(id, REASON_NO_ANSWER, Some(s.user_id));
                let offline = match e {
                    PosError::Payment(PaymentError::Unreachable(why)) => {
                        self.approve_offline(&request, &why, s.user_id)
                    }
                    other => Err(other),
                };
                match offline {
                    Ok(p) => (OFFLINE_AUTH_CODE.to_string(), Settle::Offline(p, OFFLINE_AUTH_CODE.into()), true),
                    Err(e) => {
                        let err = PaymentError::from(e);
                        entry.enter(Phase::Failed(err.clone()));
                        return Err(err.into());
                    }
                }
            }
        };
        drop(request); // the card data and PIN block go here, approved or not
        tracing::info!(payment_id = %payment_id, card = %masked_pan, authorizer = authorizer.name(), offline, "card approved");
        // The id the platform knows the authorisation by: an offline approval's own.
        let authorised_id = match &settle {
            Settle::Payment(id) => id.clone(),
            Settle::Offline(p, _) => p.payment_id.clone(),
        };
        let payment = Payment::Card(CardPayment {
            masked_pan,
            pan_hash,
            brand,
            auth_code,
            payment_id: PaymentId::parse(&authorised_id).ok(),
            reader: lock(&entry.reader).clone(),
            entry_mode: entry.entry_mode.as_str().into(),
            cvm: cvm.into(),
            signature_svg,
        });
        let amount = entry.amount;
        let recorded = self.record_checkout(s.user_id, &entry.cart, Some(&settle), |total| {
            if total == amount {
                Ok(payment)
            } else {
                Err(PosError::Conflict("the total changed during payment; please take payment again".into()))
            }
        });
        match recorded {
            Ok(receipt) => {
                entry.enter(Phase::Approved(receipt.order_id));
                lock(&self.sale.card_payments.active).remove(&entry.id);
                Ok(receipt)
            }
            Err(e) => {
                // An offline approval's forward goes only with its sale.
                self.store.unlink_checkout(entry.cart.id.as_str());
                tracing::error!(payment_id = %payment_id, "approved card payment could not be recorded: {e}");
                if let Settle::Payment(approved) = &settle {
                    self.take_back(approved, REASON_SALE_NOT_RECORDED, Some(s.user_id));
                }
                Err(fail(PaymentError::NotRecorded(e.to_string()).into()))
            }
        }
    }
}

//! One card payment under way: its step machine (waiting for the swipe, PIN, signature, ready,
//! authorising, failed, approved) and what the window is shown of it. Only protected card data
//! is ever held here. Every change of step is pushed to the payment's listener, so the window
//! follows this machine and keeps none of its own.

use super::pan_hash;
use crate::error::{IpcError, PaymentError};
use crate::ipc::sale::{CardPaymentStatus, CardPaymentView, CardSummary};
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use crate::sale::card::authorizer::{EntryMode, PlatformCardData};
use crate::sale::card::pin_block::PinBlock;
use crate::sale::card::platform_key::PlatformKeySlot;
use crate::sale::cart::OpenCart;
use rand::rngs::StdRng;
use std::sync::{Arc, Mutex};
use till_core::Clock;
use till_core::{CardBrand, MaskedPan, Money, PaymentId};
use till_devices::{Cancel, CardData, CardRead};

/// The card after the read: only protected data.
pub(super) struct ProtectedCard {
    pub(super) masked_pan: MaskedPan,
    pub(super) brand: CardBrand,
    pub(super) pin_required: bool,
    pub(super) pan_hash: String,
    pub(super) data: PlatformCardData,
    pub(super) pin_block: Option<PinBlock>,
    pub(super) signature_svg: Option<String>,
    /// The cashier went on without a signature (the customer could not sign).
    pub(super) signature_skipped: bool,
}

impl ProtectedCard {
    /// The step a read card is at: its PIN first when it asks for one, then the signature.
    fn step(&self) -> CardPaymentStatus {
        if self.pin_required && self.pin_block.is_none() {
            CardPaymentStatus::Pin
        } else if self.signature_svg.is_none() && !self.signature_skipped {
            CardPaymentStatus::Signature
        } else {
            CardPaymentStatus::Ready
        }
    }

    fn summary(&self) -> CardSummary {
        CardSummary {
            masked_pan: self.masked_pan.to_string(),
            brand: self.brand.name().to_string(),
            pin_required: self.pin_required,
            pin_entered: self.pin_block.is_some(),
            signed: self.signature_svg.is_some(),
        }
    }
}

/// Where a payment is.
pub(super) enum Phase {
    Waiting,
    CardRead(Box<ProtectedCard>),
    Authorising,
    Failed(PaymentError),
    Approved(i64),
}

/// One card payment under way.
pub(super) struct PaymentEntry {
    pub(super) id: PaymentId,
    pub(super) user_id: i64,
    pub(super) cart: OpenCart,
    pub(super) amount: Money,
    pub(super) deadline_ms: i64,
    pub(super) cancel: Cancel,
    /// The reader's address, known once the reader thread holds the reader.
    pub(super) reader: Mutex<String>,
    pub(super) entry_mode: EntryMode,
    pub(super) phase: Mutex<Phase>,
    /// What the UI shows of the card, kept after the card data itself is gone.
    summary: Mutex<Option<CardSummary>>,
    /// Who is told of every change (the window's channel for this payment).
    watch: Watch<CardPaymentView>,
    clock: Arc<dyn Clock>,
}

/// What a new payment is made of.
pub(super) struct NewPayment {
    pub(super) id: PaymentId,
    pub(super) user_id: i64,
    pub(super) cart: OpenCart,
    pub(super) amount: Money,
    pub(super) deadline_ms: i64,
    pub(super) reader: String,
    pub(super) entry_mode: EntryMode,
    pub(super) watch: Watch<CardPaymentView>,
    pub(super) clock: Arc<dyn Clock>,
}

/// Encrypts a fresh card read at once; the clear number is dropped before this returns.
pub(super) fn protect(
    read: CardRead,
    payment_id: &str,
    keys: &PlatformKeySlot,
    rng: &Mutex<StdRng>,
    hash_key: &[u8; 32],
) -> std::result::Result<ProtectedCard, PaymentError> {
    let CardRead { masked_pan, brand, expiry, cardholder, pin_required, card_data } = read;
    // The name is not needed for a payment; do not keep it.
    drop(cardholder);
    let (data, hash) = match card_data {
        CardData::Clear(pan) => {
            let key = keys.get().ok_or(PaymentError::PlatformKeyMissing)?;
            let hash = pan_hash(hash_key, pan.expose());
            let encrypted = key.encrypt_card(payment_id, &pan, &expiry, &mut *lock(rng))?;
            drop(pan);
            (PlatformCardData::Encrypted(encrypted), hash)
        }
        // The till cannot see the number; the platform can hash it if it wants to.
        CardData::Encrypted(block) => (PlatformCardData::ReaderBlock(block), String::new()),
    };
    Ok(ProtectedCard {
        masked_pan,
        brand,
        pin_required,
        pan_hash: hash,
        data,
        pin_block: None,
        signature_svg: None,
        signature_skipped: false,
    })
}

impl PaymentEntry {
    /// A payment waiting for its card.
    pub(super) fn new(p: NewPayment) -> Self {
        PaymentEntry {
            id: p.id,
            user_id: p.user_id,
            cart: p.cart,
            amount: p.amount,
            deadline_ms: p.deadline_ms,
            cancel: Cancel::new(),
            reader: Mutex::new(p.reader),
            entry_mode: p.entry_mode,
            phase: Mutex::new(Phase::Waiting),
            summary: Mutex::new(None),
            watch: p.watch,
            clock: p.clock,
        }
    }

    /// Moves the payment to `next` (under the caller's lock of the phase) and remembers what
    /// may be shown of the card. The caller tells the listener once the lock is released
    /// ([`PaymentEntry::publish`]).
    pub(super) fn set(&self, phase: &mut Phase, next: Phase) {
        if let Phase::CardRead(card) = &next {
            *lock(&self.summary) = Some(card.summary());
        }
        *phase = next;
    }

    /// Moves the payment to `next` and tells the listener.
    pub(super) fn enter(&self, next: Phase) {
        {
            let mut phase = lock(&self.phase);
            self.set(&mut phase, next);
        }
        self.publish();
    }

    /// Remembers what the card now shows (a PIN taken, a signature) after a change made in
    /// place under the phase lock.
    pub(super) fn card_changed(&self, card: &ProtectedCard) {
        *lock(&self.summary) = Some(card.summary());
    }

    /// Tells the listener where the payment stands. Never called with the phase locked.
    pub(super) fn publish(&self) {
        (self.watch)(&self.view());
    }

    /// Whether the reader still waits for this payment's card.
    pub(super) fn is_waiting(&self) -> bool {
        matches!(*lock(&self.phase), Phase::Waiting)
    }

    /// Whether the authoriser is being asked (past the point of no return).
    pub(super) fn is_authorising(&self) -> bool {
        matches!(*lock(&self.phase), Phase::Authorising)
    }

    /// What the window shows.
    pub(super) fn view(&self) -> CardPaymentView {
        let now_ms = self.clock.now_ms();
        let phase = lock(&self.phase);
        let (status, error, order_id) = match &*phase {
            Phase::Waiting => (CardPaymentStatus::Waiting, None, None),
            Phase::CardRead(card) => (card.step(), None, None),
            Phase::Authorising => (CardPaymentStatus::Authorising, None, None),
            Phase::Failed(e) => {
                (CardPaymentStatus::Failed, Some(IpcError { code: e.code(), message: e.to_string() }), None)
            }
            Phase::Approved(id) => (CardPaymentStatus::Approved, None, Some(*id)),
        };
        let left_ms = if status == CardPaymentStatus::Waiting { (self.deadline_ms - now_ms).max(0) } else { 0 };
        CardPaymentView {
            payment_id: self.id.clone(),
            cart_id: self.cart.id.clone(),
            amount: self.amount,
            status,
            deadline_ms: self.deadline_ms,
            seconds_left: u32::try_from((left_ms + 999) / 1000).unwrap_or(u32::MAX),
            card: lock(&self.summary).clone(),
            error,
            order_id,
        }
    }

    /// Ends the payment as cancelled unless it is past the point of no return; drops the card.
    pub(super) fn cancel(&self) -> std::result::Result<(), PaymentError> {
        self.cancel.cancel();
        let changed = {
            let mut phase = lock(&self.phase);
            match &*phase {
                Phase::Waiting | Phase::CardRead(_) => {
                    *phase = Phase::Failed(PaymentError::Cancelled);
                    true
                }
                Phase::Authorising => {
                    return Err(PaymentError::WrongStep("the card is being authorised; wait for the answer".into()))
                }
                Phase::Failed(_) | Phase::Approved(_) => false,
            }
        };
        if changed {
            self.publish();
        }
        Ok(())
    }
}

//! Card payments (CN102750632A), step by step, each step its own command:
//!
//! 1. [`Pos::payment_start`] snapshots the cart's total, arms the reader with it (the payment
//!    indication) on a background thread with a [`Cancel`], and answers at once with the
//!    payment id and the deadline. Every change of step is pushed to the listener given to
//!    `payment_start` (the window's channel), so the window follows this step machine
//!    ([`payment`]) and asks nothing; [`Pos::payment_cancel`] stops it. A keyboard-wedge reader's swipe, typed into the
//!    cashier's input, starts a payment with the card already read:
//!    [`Pos::payment_swipe_text`].
//! 2. The moment a clear-text reader's card is read, its number and expiry are encrypted under
//!    the payment platform key (see [`crate::sale::card::platform_key`]) and the `SecretPan` is dropped;
//!    what stays is the ciphertext, the masked number, the brand and the keyed hash
//!    ([`pan_hash`]). An encrypting reader's block is kept untouched. Nothing else of the
//!    tracks (name, service code, discretionary data) is kept.
//! 3. [`Pos::payment_pin`] turns the PIN into an ISO 9564 format 4 PIN block at once
//!    ([`crate::sale::card::pin_block`]) and drops the PIN.
//! 4. [`Pos::payment_sign`] keeps the signature drawn on screen ([`crate::sale::card::signature`]),
//!    or notes that the cashier went on without one.
//! 5. [`Pos::payment_authorize`] (in `authorize.rs`) journals the payment, sends the request to
//!    the [`PaymentAuthorizer`] and, when approved, records the sale exactly as cash does (one
//!    transaction: order, lines, payment with its signature, audit entry, outbox event, the
//!    journal's `settled`). The card data and PIN block are dropped whatever the answer.
//!
//! A failure or a cancel keeps the cart as it was, so the cashier can try again or take cash.
//! The card itself lives in memory only: nothing of it reaches the disk but the masked number
//! (in the payment journal, from the moment it is authorised) and, once approved, the brand,
//! keyed hash, approval code, entry mode, verification method and signature. An approval whose
//! sale is not recorded is taken back ([`crate::sale::journal`]).

mod authorize;
pub mod authorizer;
pub mod pan_hash;
pub mod payment;
pub mod pin_block;
pub mod platform_key;
pub mod platform_setup;
pub mod remote_authorizer;
pub mod signature;

use crate::admin::permissions::Command;
use crate::admin::secrets::wipe_string;
use crate::error::PaymentError;
use crate::error::{PosError, Result};
use crate::ipc::sale::CardPaymentView;
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use crate::sale::card::authorizer::{EntryMode, PaymentAuthorizer, PlatformCardData};
use crate::sale::card::platform_key::PlatformKeySlot;
use crate::sale::card::remote_authorizer::{RemoteAuthorizer, RemoteConfig};
use crate::Pos;
pub use pan_hash::pan_hash;
use payment::{protect, NewPayment, PaymentEntry, Phase};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use till_core::{CartId, PaymentId, SessionToken};
/// The reader address recorded for a keyboard-wedge swipe.
pub const WEDGE_READER: &str = "keyboard-wedge";
/// A card read that is not authorised this long after the swipe deadline is dropped (with its
/// card data and PIN block), and payments over that long ago are forgotten.
pub const CARD_READ_TTL_MS: i64 = 5 * 60 * 1000;

/// The till's card payments under way, and what they need.
pub struct CardPayments {
    active: Mutex<HashMap<PaymentId, Arc<PaymentEntry>>>,
    /// The payment platform key, shared with the authoriser.
    pub(crate) keys: Arc<PlatformKeySlot>,
    // An authoriser fixed by the configuration (tests, tools); otherwise the payment platform
    // client once it is set up (see `platform_setup`).
    pub(crate) fixed: Option<Arc<dyn PaymentAuthorizer>>,
    // Demo mode only: answers while no payments server is configured. `None` outside demo, so
    // nothing there can approve a card but the payment platform.
    pub(crate) stand_in: Option<Arc<dyn PaymentAuthorizer>>,
    // The platform client built for the current settings, rebuilt when they change.
    remote: Mutex<Option<(RemoteKey, Arc<RemoteAuthorizer>)>>,
    // Nonces and PIN fill for the background reader thread, seeded from the injected RNG.
    rng: Arc<Mutex<StdRng>>,
}

/// What a cached platform client was built from.
#[derive(PartialEq, Eq)]
struct RemoteKey {
    url: String,
    terminal_id: String,
    secret: till_client::Secret,
    timeout: std::time::Duration,
}

impl CardPayments {
    /// Payments through `fixed` if given, else through the payment platform once set up, and
    /// `stand_in` (demo mode only) while no payments server is configured; the key in `keys`;
    /// `rng` seeds nonces and PIN fill.
    pub fn new(
        keys: Arc<PlatformKeySlot>,
        fixed: Option<Arc<dyn PaymentAuthorizer>>,
        stand_in: Option<Arc<dyn PaymentAuthorizer>>,
        rng: StdRng,
    ) -> Self {
        CardPayments {
            active: Mutex::new(HashMap::new()),
            keys,
            fixed,
            stand_in,
            remote: Mutex::new(None),
            rng: Arc::new(Mutex::new(rng)),
        }
    }
}

impl Pos {
    /// Who authorises now: the configured authoriser, else the payment platform client for the
    /// saved sync settings (payments URL, terminal id, secret; the installer's timeout) once
    /// set up, else (demo mode only) the stand-in; otherwise [`PaymentError::NotSetUp`].
    fn payment_authorizer(&self) -> Result<Arc<dyn PaymentAuthorizer>> {
        let cp = &self.sale.card_payments;
        let creds = match self.card_answerer()? {
            platform_setup::Answerer::Fixed(a) | platform_setup::Answerer::StandIn(a) => return Ok(a),
            platform_setup::Answerer::Platform(creds) => creds,
        };
        let client = creds.config_for(crate::ipc::sync::Service::Payments);
        let timeout = self.payment_settings()?.timeout();
        let key = RemoteKey {
            url: client.base_url.clone(),
            terminal_id: client.terminal_id.clone(),
            secret: client.secret.clone(),
            timeout,
        };
        let mut cached = lock(&cp.remote);
        if let Some((k, client)) = &*cached {
            if *k == key {
                return Ok(client.clone());
            }
        }
        let seed = StdRng::from_rng(&mut *lock(&cp.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let client = Arc::new(RemoteAuthorizer::new(RemoteConfig { client, timeout }, self.clock.clone(), seed)?);
        *cached = Some((key, client.clone()));
        Ok(client)
    }

    /// Drops card data nobody came back for, and forgets payments long over: a till left alone
    /// must not hold a card read or PIN block for hours.
    fn sweep(&self, active: &mut HashMap<PaymentId, Arc<PaymentEntry>>) {
        let now = self.now_ms();
        let mut expired = Vec::new();
        active.retain(|_, e| {
            if now <= e.deadline_ms + CARD_READ_TTL_MS {
                return true;
            }
            let mut phase = lock(&e.phase);
            match &*phase {
                Phase::CardRead(_) => {
                    *phase = Phase::Failed(PaymentError::WrongStep(
                        "the card read expired before it was authorised; please start the payment again".into(),
                    ));
                    expired.push(e.clone());
                    true
                }
                Phase::Waiting | Phase::Authorising => true,
                Phase::Failed(_) | Phase::Approved(_) => now <= e.deadline_ms + 2 * CARD_READ_TTL_MS,
            }
        });
        for e in expired {
            e.publish();
        }
    }

    fn payment_entry(&self, user_id: i64, payment_id: &PaymentId) -> Result<Arc<PaymentEntry>> {
        let mut active = lock(&self.sale.card_payments.active);
        self.sweep(&mut active);
        active.get(payment_id).filter(|e| e.user_id == user_id).cloned().ok_or_else(|| PaymentError::NotFound.into())
    }

    /// A new payment of the user's open cart `cart_id`; the user's earlier payments end.
    fn new_payment(
        &self,
        user_id: i64,
        cart_id: &CartId,
        reader: String,
        mode: EntryMode,
        watch: Watch<CardPaymentView>,
    ) -> Result<Arc<PaymentEntry>> {
        let watch = self.customer_display.follow_card(watch);
        let cart = self.snapshot_cart(user_id, cart_id)?;
        if cart.cart.is_empty() {
            return Err(till_core::CoreError::EmptyCart.into());
        }
        let total = cart.cart.totals()?.total;
        // Points redeemed pay part of it; the card pays the rest.
        let amount = match self.points_paying(user_id, cart_id) {
            Some(points) => total.checked_sub(points)?,
            None => total,
        };
        if amount.minor() <= 0 {
            return Err(PosError::InvalidInput("points pay this cart in full: take it as cash 0.00".into()));
        }
        let mut active = lock(&self.sale.card_payments.active);
        self.sweep(&mut active);
        // The reader serves one payment at a time; another cashier's wait must end first.
        let reader_busy = active.values().any(|e| e.user_id != user_id && e.is_waiting());
        if mode == EntryMode::Magstripe && reader_busy {
            return Err(PaymentError::WrongStep("the card reader is waiting for another cashier's card".into()).into());
        }
        active.retain(|_, e| {
            if e.user_id != user_id {
                return true;
            }
            // One payment per cashier at a time: a new one replaces one still waiting.
            let _ = e.cancel();
            e.is_authorising()
        });
        let entry = Arc::new(PaymentEntry::new(NewPayment {
            id: PaymentId::generate(&mut **lock(&self.rng)),
            user_id,
            cart,
            amount,
            deadline_ms: self.now_ms() + self.sale.card_timeout.as_millis() as i64,
            reader,
            entry_mode: mode,
            watch,
            clock: self.clock.clone(),
        }));
        active.insert(entry.id.clone(), entry.clone());
        Ok(entry)
    }

    /// Starts a card payment of the open cart `cart_id`: arms the reader with the total and
    /// waits for the swipe in the background. Answers at once; every later change of step
    /// (the card read, a failure, the PIN and signature taken, authorising, the answer) goes to
    /// `watch` as it happens.
    pub fn payment_start(
        &self,
        token: &SessionToken,
        cart_id: &CartId,
        watch: Watch<CardPaymentView>,
    ) -> Result<CardPaymentView> {
        let s = self.authorize(token, Command::PaymentStart)?;
        // Fail closed: no reader is armed for a card nobody may authorise.
        self.card_answerer()?;
        // The reader's lock is not taken here: a cancelled payment's thread may still hold it
        // for a moment, and a command must never wait on a device.
        let entry = self.new_payment(s.user_id, cart_id, String::new(), EntryMode::Magstripe, watch)?;
        let (reader, keys, rng) = (
            Arc::clone(&self.devices.card_reader),
            self.sale.card_payments.keys.clone(),
            self.sale.card_payments.rng.clone(),
        );
        let (hash_key, timeout, worker) = (self.sale.card_hash_key, self.sale.card_timeout, entry.clone());
        tracing::info!(payment_id = %entry.id, amount = %entry.amount, "card payment started; reader armed");
        // The listener hears the wait first, before the reader thread can answer.
        entry.publish();
        let spawned = std::thread::Builder::new().name("card-reader".into()).spawn(move || {
            let read = {
                let mut reader = lock(&reader);
                *lock(&worker.reader) = reader.address();
                reader.read_card(worker.amount, timeout, &worker.cancel)
            };
            let next = match read {
                Ok(read) => match protect(read, worker.id.as_str(), &keys, &rng, &hash_key) {
                    Ok(card) => Phase::CardRead(Box::new(card)),
                    Err(e) => Phase::Failed(e),
                },
                Err(e) => Phase::Failed(e.into()),
            };
            let changed = {
                let mut phase = lock(&worker.phase);
                // A cancel that came first wins; the card (if any) is dropped here.
                let waiting = matches!(*phase, Phase::Waiting);
                if waiting {
                    match &next {
                        Phase::Failed(e) => {
                            tracing::info!(payment_id = %worker.id, code = ?e.code(), "card read failed: {e}")
                        }
                        _ => tracing::info!(payment_id = %worker.id, "card read"),
                    }
                    worker.set(&mut phase, next);
                }
                waiting
            };
            if changed {
                worker.publish();
            }
        });
        if let Err(e) = spawned {
            entry.enter(Phase::Failed(PaymentError::Internal(format!("could not start the reader: {e}"))));
        }
        Ok(entry.view())
    }

    /// A keyboard-wedge swipe typed into the cashier's input: parses it, encrypts it at once
    /// and starts a payment of the open cart `cart_id` with the card already read. The text is
    /// overwritten once parsed; a text that is not a swipe is [`PaymentError::BadRead`].
    /// Like [`Pos::payment_start`], the changes going to `watch`.
    pub fn payment_swipe_text(
        &self,
        token: &SessionToken,
        cart_id: &CartId,
        text: String,
        watch: Watch<CardPaymentView>,
    ) -> Result<CardPaymentView> {
        let outcome = self.take_swipe(token, cart_id, &text, watch);
        wipe_string(text);
        outcome
    }

    fn take_swipe(
        &self,
        token: &SessionToken,
        cart_id: &CartId,
        text: &str,
        watch: Watch<CardPaymentView>,
    ) -> Result<CardPaymentView> {
        let s = self.authorize(token, Command::PaymentSwipeText)?;
        self.card_answerer()?;
        let read = till_devices::card_reader::iso7813::parse_text(text).map_err(PaymentError::from)?;
        let entry = self.new_payment(s.user_id, cart_id, WEDGE_READER.into(), EntryMode::MagstripeWedge, watch)?;
        let card = protect(
            read,
            entry.id.as_str(),
            &self.sale.card_payments.keys,
            &self.sale.card_payments.rng,
            &self.sale.card_hash_key,
        );
        match card {
            Ok(card) => entry.enter(Phase::CardRead(Box::new(card))),
            Err(e) => {
                lock(&self.sale.card_payments.active).remove(&entry.id);
                return Err(e.into());
            }
        }
        tracing::info!(payment_id = %entry.id, "card read from a keyboard-wedge swipe");
        Ok(entry.view())
    }

    /// Cancels the payment: the reader stops waiting, any card data is dropped, the cart stays.
    pub fn payment_cancel(&self, token: &SessionToken, payment_id: &PaymentId) -> Result<CardPaymentView> {
        let s = self.authorize(token, Command::PaymentCancel)?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        entry.cancel()?;
        tracing::info!(payment_id = %payment_id, "card payment cancelled");
        Ok(entry.view())
    }

    /// The customer's PIN: enciphered at once into an ISO 9564 format 4 PIN block, then
    /// overwritten. Only for a card that asks for a PIN.
    pub fn payment_pin(&self, token: &SessionToken, payment_id: &PaymentId, pin: String) -> Result<CardPaymentView> {
        let outcome = self.take_pin(token, payment_id, &pin);
        wipe_string(pin);
        outcome
    }

    fn take_pin(&self, token: &SessionToken, payment_id: &PaymentId, pin: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, Command::PaymentPin)?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        pin_block::check_card_pin(pin)?;
        let mut phase = lock(&entry.phase);
        let Phase::CardRead(card) = &mut *phase else {
            return Err(PaymentError::WrongStep("a PIN is taken only after the card is read".into()).into());
        };
        if !card.pin_required {
            return Err(PaymentError::WrongStep("this card does not ask for a PIN".into()).into());
        }
        let PlatformCardData::Encrypted(data) = &card.data else {
            return Err(PaymentError::Reader(
                "this reader encrypts the card, so its PIN must be entered on the reader's own PIN pad".into(),
            )
            .into());
        };
        let key = self.sale.card_payments.keys.require()?;
        let (pan, _expiry) = key.decrypt_card(entry.id.as_str(), data).map_err(|_| {
            PaymentError::WrongStep(
                "the payment platform key changed during this payment; please start it again".into(),
            )
        })?;
        let block = pin_block::encipher(&key.pin_key()?, pin, pan.expose(), &mut *lock(&self.sale.card_payments.rng))?;
        drop(pan);
        card.pin_block = Some(block);
        entry.card_changed(card);
        drop(phase);
        tracing::info!(payment_id = %payment_id, "PIN taken as a format 4 PIN block");
        entry.publish();
        Ok(entry.view())
    }

    /// The customer's signature, as the signature pad's SVG; validated, kept with the payment.
    /// `None`: the cashier goes on without a signature (the customer cannot sign).
    pub fn payment_sign(
        &self,
        token: &SessionToken,
        payment_id: &PaymentId,
        svg: Option<String>,
    ) -> Result<CardPaymentView> {
        let s = self.authorize(token, Command::PaymentSign)?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        if let Some(svg) = &svg {
            crate::sale::card::signature::validate(svg)?;
        }
        let mut phase = lock(&entry.phase);
        let Phase::CardRead(card) = &mut *phase else {
            return Err(PaymentError::WrongStep("a signature is taken only after the card is read".into()).into());
        };
        card.signature_skipped = svg.is_none();
        card.signature_svg = svg;
        entry.card_changed(card);
        drop(phase);
        entry.publish();
        Ok(entry.view())
    }
}

#[cfg(test)]
pub(crate) mod tests;

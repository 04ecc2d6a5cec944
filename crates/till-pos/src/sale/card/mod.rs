//! Card payments (CN102750632A), step by step, each step its own command:
//!
//! 1. [`Pos::payment_start`] snapshots the cart's total, arms the reader with it (the payment
//!    indication) on a background thread with a [`Cancel`], and answers at once with the
//!    payment id and the deadline. [`Pos::payment_status`] tells the UI how it is going;
//!    [`Pos::payment_cancel`] stops it. A keyboard-wedge reader's swipe, typed into the
//!    cashier's input, starts a payment with the card already read:
//!    [`Pos::payment_swipe_text`].
//! 2. The moment a clear-text reader's card is read, its number and expiry are encrypted under
//!    the payment platform key (see [`crate::sale::card::platform_key`]) and the `SecretPan` is dropped;
//!    what stays is the ciphertext, the masked number, the brand and the keyed hash
//!    ([`pan_hash`]). An encrypting reader's block is kept untouched. Nothing else of the
//!    tracks (name, service code, discretionary data) is kept.
//! 3. [`Pos::payment_pin`] turns the PIN into an ISO 9564 format 4 PIN block at once
//!    ([`crate::sale::card::pin_block`]) and drops the PIN.
//! 4. [`Pos::payment_sign`] keeps the signature drawn on screen ([`crate::sale::card::signature`]).
//! 5. [`Pos::payment_authorize`] sends the request to the [`PaymentAuthorizer`] and, when
//!    approved, records the sale exactly as cash does (one transaction: order, lines, payment
//!    with its signature, audit entry, outbox event). The card data and PIN block are dropped
//!    whatever the answer.
//!
//! A failure or a cancel keeps the cart as it was, so the cashier can try again or take cash.
//! Payments under way live in memory only: nothing of a card reaches the disk before it is
//! approved, and then only the masked number, brand, keyed hash, approval code, entry mode,
//! verification method and signature.

pub mod authorizer;
pub mod pin_block;
pub mod platform_key;
pub mod remote_authorizer;
pub mod signature;

use crate::admin::auth::SELLERS;
use crate::admin::secrets::wipe_string;
use crate::error::IpcError;
use crate::error::PaymentError;
use crate::error::{PosError, Result};
use crate::ipc::sale::{CardPaymentStatus, CardPaymentView, CardSummary};
use crate::ipc::views::Receipt;
use crate::mutex::lock;
use crate::sale::card::authorizer::{
    AuthorizationRequest, AuthorizationResponse, EntryMode, PaymentAuthorizer, PlatformCardData,
};
use crate::sale::card::pin_block::PinBlock;
use crate::sale::card::platform_key::PlatformKeySlot;
use crate::sale::card::remote_authorizer::{RemoteAuthorizer, RemoteConfig};
use crate::sale::cart::OpenCart;
use crate::sale::offline_forward::OFFLINE_AUTH_CODE;
use crate::Pos;
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use till_core::{CardBrand, CardPayment, MaskedPan, Money, Payment};
use till_devices::{Cancel, CardData, CardRead};
const KEY_SETTING: &str = "card_hash_key";
/// The reader address recorded for a keyboard-wedge swipe.
pub const WEDGE_READER: &str = "keyboard-wedge";
/// A card read that is not authorised this long after the swipe deadline is dropped (with its
/// card data and PIN block), and payments over that long ago are forgotten.
pub const CARD_READ_TTL_MS: i64 = 5 * 60 * 1000;

/// The till's key for hashing card numbers, created at random on first start.
pub(crate) fn load_or_create_key(pos: &Pos) -> Result<[u8; 32]> {
    let decode = |hex_key: &str| -> Result<[u8; 32]> {
        let bytes = hex::decode(hex_key).map_err(|e| PosError::Internal(format!("card hash key: {e}")))?;
        bytes.try_into().map_err(|_| PosError::Internal("card hash key has the wrong length".into()))
    };
    if let Some(k) = pos.store.setting(KEY_SETTING)? {
        return decode(&k);
    }
    let fresh = pos.random_hex(32);
    pos.store.write(|tx| {
        // Another process may have raced us to it; keep whichever landed first.
        tx.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)", [KEY_SETTING, &fresh])?;
        Ok(())
    })?;
    let stored = pos.store.setting(KEY_SETTING)?.ok_or_else(|| PosError::Internal("card hash key vanished".into()))?;
    decode(&stored)
}

/// HMAC-SHA256 of a PAN under `key`, hex: lets the till find a card's payments again without
/// storing its number.
pub fn pan_hash(key: &[u8; 32], pan: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(pan.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl From<PosError> for PaymentError {
    fn from(e: PosError) -> Self {
        match e {
            PosError::Payment(p) => p,
            other => PaymentError::Internal(other.to_string()),
        }
    }
}

/// The card after the read: only protected data.
struct ProtectedCard {
    masked_pan: MaskedPan,
    brand: CardBrand,
    pin_required: bool,
    pan_hash: String,
    data: PlatformCardData,
    pin_block: Option<PinBlock>,
    signature_svg: Option<String>,
}

enum Phase {
    Waiting,
    CardRead(Box<ProtectedCard>),
    Authorising,
    Failed(PaymentError),
    Approved(i64),
}

/// One card payment under way.
struct PaymentEntry {
    id: String,
    user_id: i64,
    cart: OpenCart,
    amount: Money,
    deadline_ms: i64,
    cancel: Cancel,
    // The reader's address, known once the reader thread holds the reader.
    reader: Mutex<String>,
    entry_mode: EntryMode,
    phase: Mutex<Phase>,
    // What the UI shows of the card, kept after the card data itself is gone.
    summary: Mutex<Option<CardSummary>>,
}

/// The till's card payments under way, and what they need.
pub struct CardPayments {
    active: Mutex<HashMap<String, Arc<PaymentEntry>>>,
    /// The payment platform key, shared with the authoriser.
    pub(crate) keys: Arc<PlatformKeySlot>,
    // An authoriser fixed by the configuration (tests, tools); otherwise the payment platform
    // client when the sync settings name a payments server, else the stand-in.
    fixed: Option<Arc<dyn PaymentAuthorizer>>,
    stand_in: Arc<dyn PaymentAuthorizer>,
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
    secret: till_sync::Secret,
    timeout: std::time::Duration,
}

impl CardPayments {
    /// Payments through `fixed` if given, else through the payment platform when configured
    /// and `stand_in` when not; the key in `keys`; `rng` seeds nonces and PIN fill.
    pub fn new(
        keys: Arc<PlatformKeySlot>,
        fixed: Option<Arc<dyn PaymentAuthorizer>>,
        stand_in: Arc<dyn PaymentAuthorizer>,
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

/// Encrypts a fresh card read at once; the clear number is dropped before this returns.
fn protect(
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
    Ok(ProtectedCard { masked_pan, brand, pin_required, pan_hash: hash, data, pin_block: None, signature_svg: None })
}

impl PaymentEntry {
    fn summary_of(card: &ProtectedCard) -> CardSummary {
        CardSummary {
            masked_pan: card.masked_pan.to_string(),
            brand: card.brand.name().to_string(),
            pin_required: card.pin_required,
            pin_entered: card.pin_block.is_some(),
            signed: card.signature_svg.is_some(),
        }
    }

    /// Moves the payment to `next` and remembers what may be shown of the card.
    fn set(&self, phase: &mut Phase, next: Phase) {
        if let Phase::CardRead(card) = &next {
            *lock(&self.summary) = Some(Self::summary_of(card));
        }
        *phase = next;
    }

    fn view(&self, now_ms: i64) -> CardPaymentView {
        let phase = lock(&self.phase);
        let (status, error, order_id) = match &*phase {
            Phase::Waiting => (CardPaymentStatus::Waiting, None, None),
            Phase::CardRead(_) => (CardPaymentStatus::CardRead, None, None),
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
    fn cancel(&self) -> std::result::Result<(), PaymentError> {
        self.cancel.cancel();
        let mut phase = lock(&self.phase);
        match &*phase {
            Phase::Waiting | Phase::CardRead(_) => {
                *phase = Phase::Failed(PaymentError::Cancelled);
                Ok(())
            }
            Phase::Authorising => {
                Err(PaymentError::WrongStep("the card is being authorised; wait for the answer".into()))
            }
            Phase::Failed(_) | Phase::Approved(_) => Ok(()),
        }
    }
}

impl Pos {
    /// Who authorises now: the configured authoriser, else the payment platform client for the
    /// saved sync settings (payments URL, terminal id, secret; the installer's timeout), else
    /// the stand-in.
    fn payment_authorizer(&self) -> Result<Arc<dyn PaymentAuthorizer>> {
        let cp = &self.card_payments;
        if let Some(fixed) = &cp.fixed {
            return Ok(fixed.clone());
        }
        let Some(creds) = self.sync_credentials()? else {
            return Ok(cp.stand_in.clone());
        };
        let sync = creds.config_for(crate::ipc::sync::Service::Payments);
        let timeout = self.payment_settings()?.timeout();
        let key = RemoteKey {
            url: sync.base_url.clone(),
            terminal_id: sync.terminal_id.clone(),
            secret: sync.secret.clone(),
            timeout,
        };
        let mut cached = lock(&cp.remote);
        if let Some((k, client)) = &*cached {
            if *k == key {
                return Ok(client.clone());
            }
        }
        let seed = StdRng::from_rng(&mut *lock(&cp.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let client = Arc::new(RemoteAuthorizer::new(RemoteConfig { sync, timeout }, self.clock.clone(), seed)?);
        *cached = Some((key, client.clone()));
        Ok(client)
    }

    /// Drops card data nobody came back for, and forgets payments long over: a till left alone
    /// must not hold a card read or PIN block for hours.
    fn sweep(&self, active: &mut HashMap<String, Arc<PaymentEntry>>) {
        let now = self.now_ms();
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
                    true
                }
                Phase::Waiting | Phase::Authorising => true,
                Phase::Failed(_) | Phase::Approved(_) => now <= e.deadline_ms + 2 * CARD_READ_TTL_MS,
            }
        });
    }

    fn payment_entry(&self, user_id: i64, payment_id: &str) -> Result<Arc<PaymentEntry>> {
        let mut active = lock(&self.card_payments.active);
        self.sweep(&mut active);
        active.get(payment_id).filter(|e| e.user_id == user_id).cloned().ok_or_else(|| PaymentError::NotFound.into())
    }

    /// A new payment of the user's open cart `cart_id`; the user's earlier payments end.
    fn new_payment(&self, user_id: i64, cart_id: &str, reader: String, mode: EntryMode) -> Result<Arc<PaymentEntry>> {
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
        let mut active = lock(&self.card_payments.active);
        self.sweep(&mut active);
        // The reader serves one payment at a time; another cashier's wait must end first.
        let reader_busy = active.values().any(|e| e.user_id != user_id && matches!(*lock(&e.phase), Phase::Waiting));
        if mode == EntryMode::Magstripe && reader_busy {
            return Err(PaymentError::WrongStep("the card reader is waiting for another cashier's card".into()).into());
        }
        active.retain(|_, e| {
            if e.user_id != user_id {
                return true;
            }
            // One payment per cashier at a time: a new one replaces one still waiting.
            let _ = e.cancel();
            matches!(*lock(&e.phase), Phase::Authorising)
        });
        let entry = Arc::new(PaymentEntry {
            id: self.random_hex(16),
            user_id,
            cart,
            amount,
            deadline_ms: self.now_ms() + self.card_timeout.as_millis() as i64,
            cancel: Cancel::new(),
            reader: Mutex::new(reader),
            entry_mode: mode,
            phase: Mutex::new(Phase::Waiting),
            summary: Mutex::new(None),
        });
        active.insert(entry.id.clone(), entry.clone());
        Ok(entry)
    }

    /// Starts a card payment of the open cart `cart_id`: arms the reader with the total and
    /// waits for the swipe in the background. Answers at once; follow it with
    /// [`Pos::payment_status`].
    pub fn payment_start(&self, token: &str, cart_id: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        // The reader's lock is not taken here: a cancelled payment's thread may still hold it
        // for a moment, and a command must never wait on a device.
        let entry = self.new_payment(s.user_id, cart_id, String::new(), EntryMode::Magstripe)?;
        let (reader, keys, rng) =
            (Arc::clone(&self.card_reader), self.card_payments.keys.clone(), self.card_payments.rng.clone());
        let (hash_key, timeout, worker) = (self.card_hash_key, self.card_timeout, entry.clone());
        tracing::info!(payment_id = %entry.id, amount = %entry.amount, "card payment started; reader armed");
        let spawned = std::thread::Builder::new().name("card-reader".into()).spawn(move || {
            let read = {
                let mut reader = lock(&reader);
                *lock(&worker.reader) = reader.address();
                reader.read_card(worker.amount, timeout, &worker.cancel)
            };
            let next = match read {
                Ok(read) => match protect(read, &worker.id, &keys, &rng, &hash_key) {
                    Ok(card) => Phase::CardRead(Box::new(card)),
                    Err(e) => Phase::Failed(e),
                },
                Err(e) => Phase::Failed(e.into()),
            };
            let mut phase = lock(&worker.phase);
            // A cancel that came first wins; the card (if any) is dropped here.
            if matches!(*phase, Phase::Waiting) {
                match &next {
                    Phase::Failed(e) => {
                        tracing::info!(payment_id = %worker.id, code = ?e.code(), "card read failed: {e}")
                    }
                    _ => tracing::info!(payment_id = %worker.id, "card read"),
                }
                worker.set(&mut phase, next);
            }
        });
        if let Err(e) = spawned {
            *lock(&entry.phase) = Phase::Failed(PaymentError::Internal(format!("could not start the reader: {e}")));
        }
        Ok(entry.view(self.now_ms()))
    }

    /// A keyboard-wedge swipe typed into the cashier's input: parses it, encrypts it at once
    /// and starts a payment of the open cart `cart_id` with the card already read. The text is
    /// overwritten once parsed; a text that is not a swipe is [`PaymentError::BadRead`].
    pub fn payment_swipe_text(&self, token: &str, cart_id: &str, text: String) -> Result<CardPaymentView> {
        let outcome = self.take_swipe(token, cart_id, &text);
        wipe_string(text);
        outcome
    }

    fn take_swipe(&self, token: &str, cart_id: &str, text: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        let read = till_devices::card_reader::iso7813::parse_text(text).map_err(PaymentError::from)?;
        let entry = self.new_payment(s.user_id, cart_id, WEDGE_READER.into(), EntryMode::MagstripeWedge)?;
        let card = protect(read, &entry.id, &self.card_payments.keys, &self.card_payments.rng, &self.card_hash_key);
        let mut phase = lock(&entry.phase);
        match card {
            Ok(card) => entry.set(&mut phase, Phase::CardRead(Box::new(card))),
            Err(e) => {
                drop(phase);
                lock(&self.card_payments.active).remove(&entry.id);
                return Err(e.into());
            }
        }
        drop(phase);
        tracing::info!(payment_id = %entry.id, "card read from a keyboard-wedge swipe");
        Ok(entry.view(self.now_ms()))
    }

    /// Where the payment stands.
    pub fn payment_status(&self, token: &str, payment_id: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        Ok(self.payment_entry(s.user_id, payment_id)?.view(self.now_ms()))
    }

    /// Cancels the payment: the reader stops waiting, any card data is dropped, the cart stays.
    pub fn payment_cancel(&self, token: &str, payment_id: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        entry.cancel()?;
        tracing::info!(payment_id, "card payment cancelled");
        Ok(entry.view(self.now_ms()))
    }

    /// The customer's PIN: enciphered at once into an ISO 9564 format 4 PIN block, then
    /// overwritten. Only for a card that asks for a PIN.
    pub fn payment_pin(&self, token: &str, payment_id: &str, pin: String) -> Result<CardPaymentView> {
        let outcome = self.take_pin(token, payment_id, &pin);
        wipe_string(pin);
        outcome
    }

    fn take_pin(&self, token: &str, payment_id: &str, pin: &str) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
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
        let key = self.card_payments.keys.require()?;
        let (pan, _expiry) = key.decrypt_card(&entry.id, data).map_err(|_| {
            PaymentError::WrongStep(
                "the payment platform key changed during this payment; please start it again".into(),
            )
        })?;
        let block = pin_block::encipher(&key.pin_key()?, pin, pan.expose(), &mut *lock(&self.card_payments.rng))?;
        drop(pan);
        card.pin_block = Some(block);
        *lock(&entry.summary) = Some(PaymentEntry::summary_of(card));
        drop(phase);
        tracing::info!(payment_id, "PIN taken as a format 4 PIN block");
        Ok(entry.view(self.now_ms()))
    }

    /// The customer's signature, as the signature pad's SVG; validated, kept with the payment.
    pub fn payment_sign(&self, token: &str, payment_id: &str, svg: String) -> Result<CardPaymentView> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        let entry = self.payment_entry(s.user_id, payment_id)?;
        crate::sale::card::signature::validate(&svg)?;
        let mut phase = lock(&entry.phase);
        let Phase::CardRead(card) = &mut *phase else {
            return Err(PaymentError::WrongStep("a signature is taken only after the card is read".into()).into());
        };
        card.signature_svg = Some(svg);
        *lock(&entry.summary) = Some(PaymentEntry::summary_of(card));
        drop(phase);
        Ok(entry.view(self.now_ms()))
    }

    /// Asks the authoriser and, when approved, records the sale; returns its receipt. The card
    /// data and PIN block are dropped whatever the answer. A decline ends the payment with
    /// [`PaymentError::Declined`] and keeps the cart.
    pub fn payment_authorize(&self, token: &str, payment_id: &str) -> Result<Receipt> {
        let s = self.authorize(token, SELLERS, "take payment")?;
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
        let fail = |e: PosError| -> PosError {
            let why = match &e {
                PosError::Payment(p) => p.clone(),
                PosError::Conflict(m) => PaymentError::WrongStep(m.clone()),
                other => PaymentError::Internal(other.to_string()),
            };
            *lock(&entry.phase) = Phase::Failed(why);
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
        let ProtectedCard { masked_pan, brand, pin_required, pan_hash, data, pin_block, signature_svg } = *card;
        let cvm = match (pin_block.is_some(), signature_svg.is_some()) {
            (true, true) => "pin-and-signature",
            (true, false) => "pin",
            (false, true) => "signature",
            (false, false) => "none",
        };
        let request = AuthorizationRequest {
            payment_id: entry.id.clone(),
            order_ref: entry.cart.id.clone(),
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
        let mut offline = false;
        let answer = match authorizer.authorize(&request) {
            // No answer in time is not a decline: approve offline within the installer's limits.
            Err(PosError::Payment(PaymentError::Unreachable(why))) => self.approve_offline(&request, &why).map(|()| {
                offline = true;
                AuthorizationResponse::Approved { auth_code: OFFLINE_AUTH_CODE.into() }
            }),
            other => other,
        };
        drop(request); // the card data and PIN block go here, approved or not
        let auth_code = match answer {
            Ok(AuthorizationResponse::Approved { auth_code }) => auth_code,
            Ok(AuthorizationResponse::Declined { reason_code, message })
            | Err(PosError::Payment(PaymentError::Declined { reason_code, message })) => {
                tracing::info!(payment_id, card = %masked_pan, reason_code, "card declined");
                let audit = json!({ "payment_id": entry.id, "card_masked": masked_pan.as_str(), "reason_code": reason_code, "amount": entry.amount.minor() });
                self.store.audit(self.now_ms(), Some(s.user_id), "card.declined", &audit)?;
                let declined = PaymentError::Declined { reason_code, message };
                *lock(&entry.phase) = Phase::Failed(declined.clone());
                return Err(declined.into());
            }
            Err(e) => {
                let err = PaymentError::from(e);
                *lock(&entry.phase) = Phase::Failed(err.clone());
                return Err(err.into());
            }
        };
        tracing::info!(payment_id, card = %masked_pan, authorizer = authorizer.name(), offline, "card approved");
        let payment = Payment::Card(CardPayment {
            masked_pan,
            pan_hash,
            brand,
            auth_code,
            reader: lock(&entry.reader).clone(),
            entry_mode: entry.entry_mode.as_str().into(),
            cvm: cvm.into(),
            signature_svg,
        });
        let amount = entry.amount;
        let recorded = self.record_checkout(s.user_id, &entry.cart, |total| {
            if total == amount {
                Ok(payment)
            } else {
                Err(PosError::Conflict("the total changed during payment; please take payment again".into()))
            }
        });
        match recorded {
            Ok(receipt) => {
                *lock(&entry.phase) = Phase::Approved(receipt.order_id);
                lock(&self.card_payments.active).remove(&entry.id);
                Ok(receipt)
            }
            Err(e) => {
                // An offline approval's forward goes only with its sale.
                self.store.unlink_checkout(&entry.cart.id);
                // Approved but not recorded: the platform client will have to reverse it.
                tracing::error!(payment_id, "approved card payment could not be recorded: {e}");
                Err(fail(e))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tests::{pos_with_reader, CASHIER, MANAGER};
    use crate::ErrorCode;
    use std::time::{Duration, Instant};

    const TEA: &str = "6901234567892";
    /// A Visa test card whose service code (220) asks for a PIN.
    pub(crate) const PIN_TRACK2: &str = "%3B4111111111111111%3D28122200000000000%3F";

    pub(crate) fn wait(p: &Pos, t: &str, id: &str) -> CardPaymentView {
        let start = Instant::now();
        loop {
            let v = p.payment_status(t, id).unwrap();
            if v.status != CardPaymentStatus::Waiting {
                return v;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "reader never answered");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn start(reader: &str) -> (tempfile::TempDir, Pos, String, crate::ipc::views::CartView) {
        let (dir, _c, p) = pos_with_reader(reader);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        (dir, p, t, cart)
    }

    fn count(p: &Pos, table: &str) -> i64 {
        p.store().read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)).unwrap()
    }

    fn assert_no_pan_on_disk(dir: &tempfile::TempDir) {
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(16).any(|w| w == b"4111111111111111"), "PAN found on disk");
        }
    }

    const SIGNATURE: &str =
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><path d="M 10 10 L 50 60 L 90 20"/></svg>"#;

    #[test]
    fn a_card_sale_with_signature_stores_only_what_may_be_stored() {
        let (dir, p, t, cart) = start("sim://card-reader?delay_ms=1");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_eq!(v.amount, cart.total);
        assert!(v.seconds_left > 0);
        let v = wait(&p, &t, &v.payment_id);
        assert_eq!(v.status, CardPaymentStatus::CardRead, "{v:?}");
        let card = v.card.clone().unwrap();
        assert_eq!(
            (card.masked_pan.as_str(), card.brand.as_str(), card.pin_required),
            ("411111******1111", "Visa", false)
        );
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("4111111111111111"), "{json}");
        // the PIN step is refused for a card that does not ask for one
        assert_eq!(p.payment_pin(&t, &v.payment_id, "1234".into()).unwrap_err().code(), ErrorCode::Conflict);
        assert!(p.payment_sign(&t, &v.payment_id, SIGNATURE.into()).unwrap().card.unwrap().signed);
        let r = p.payment_authorize(&t, &v.payment_id).unwrap();
        assert_eq!(r.payment.card_masked.as_deref(), Some("411111******1111"));
        assert_eq!(r.payment.card_brand.as_deref(), Some("Visa"));
        assert!(r.payment.auth_code.as_deref().unwrap().starts_with("SIM"));
        let (mode, cvm, svg, hash): (String, String, String, String) = p
            .store()
            .read(|c| {
                Ok(c.query_row("SELECT entry_mode, cvm, signature_svg, card_pan_hash FROM payments", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?)
            })
            .unwrap();
        assert_eq!((mode.as_str(), cvm.as_str(), svg.as_str()), ("magstripe", "signature", SIGNATURE));
        assert_eq!(hash.len(), 64);
        assert_ne!(p.cart_get(&t).unwrap().cart_id, cart.cart_id, "a fresh cart after the sale");
        // the payment is over: its id is gone
        assert_eq!(p.payment_status(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
        drop(p);
        assert_no_pan_on_disk(&dir);
    }

    #[test]
    fn a_pin_card_takes_a_pin_block_and_without_one_is_declined() {
        let (dir, p, t, cart) = start(&format!("sim://card-reader?delay_ms=1&track2={PIN_TRACK2}"));
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let v = wait(&p, &t, &v.payment_id);
        assert!(v.card.as_ref().unwrap().pin_required);
        // no PIN: the stand-in declines, nothing is recorded, the cart stays
        let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CardDeclined);
        assert!(e.to_string().contains("55"), "{e}");
        let after = p.payment_status(&t, &v.payment_id).unwrap();
        assert_eq!((after.status, after.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::CardDeclined));
        assert_eq!(count(&p, "orders"), 0);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);

        // again, with a PIN
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let v = wait(&p, &t, &v.payment_id);
        for bad in ["12", "12345678901234", "12a4"] {
            assert_eq!(p.payment_pin(&t, &v.payment_id, bad.into()).unwrap_err().code(), ErrorCode::InvalidInput);
        }
        let v = p.payment_pin(&t, &v.payment_id, "4321".into()).unwrap();
        assert!(v.card.as_ref().unwrap().pin_entered);
        let r = p.payment_authorize(&t, &v.payment_id).unwrap();
        assert!(r.payment.auth_code.unwrap().starts_with("SIM"));
        let cvm: String = p.store().read(|c| Ok(c.query_row("SELECT cvm FROM payments", [], |r| r.get(0))?)).unwrap();
        assert_eq!(cvm, "pin");
        drop(p);
        assert_no_pan_on_disk(&dir);
    }

    #[test]
    fn a_wrong_pin_is_declined() {
        let (_d, p, t, cart) = start(&format!("sim://card-reader?delay_ms=1&track2={PIN_TRACK2}"));
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let v = wait(&p, &t, &v.payment_id);
        p.payment_pin(&t, &v.payment_id, "0000".into()).unwrap();
        assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::CardDeclined);
        assert_eq!(count(&p, "orders"), 0);
    }

    #[test]
    fn cancel_keeps_the_cart_and_cash_still_works() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=5000");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_eq!(v.status, CardPaymentStatus::Waiting);
        let c = p.payment_cancel(&t, &v.payment_id).unwrap();
        assert_eq!((c.status, c.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::PaymentCancelled));
        assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
        // the reader was let go: a new payment can arm it again, and cash is taken as usual
        let again = p.payment_start(&t, &cart.cart_id).unwrap();
        p.payment_cancel(&t, &again.payment_id).unwrap();
        p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
        assert_eq!(count(&p, "orders"), 1);
    }

    #[test]
    fn a_bad_read_asks_to_swipe_again_and_a_retry_goes_through() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1&fail=bad-read");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let v = wait(&p, &t, &v.payment_id);
        let e = v.error.unwrap();
        assert_eq!(e.code, ErrorCode::CardBadRead);
        assert!(e.message.contains("swipe again"), "{}", e.message);
        assert_eq!(count(&p, "orders"), 0);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
        // Retry arms the reader again with a new payment; the cart is still the same
        let again = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_ne!(again.payment_id, v.payment_id);
        assert_eq!(wait(&p, &t, &again.payment_id).error.unwrap().code, ErrorCode::CardBadRead);
        p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
    }

    #[test]
    fn a_timeout_is_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pos::open(crate::PosConfig {
            card_reader: "sim://card-reader?delay_ms=1&fail=timeout".into(),
            card_timeout: Duration::from_millis(50),
            clock: Arc::new(crate::ManualClock::new(1_790_000_000_000)),
            rng: Box::new(StdRng::seed_from_u64(4)),
            ..crate::PosConfig::demo(dir.path().join("till.db"))
        })
        .unwrap();
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_eq!(v.seconds_left, 1);
        let v = wait(&p, &t, &v.payment_id);
        assert_eq!(v.error.unwrap().code, ErrorCode::CardTimeout);
        assert_eq!(v.seconds_left, 0);
        assert_eq!(count(&p, "orders"), 0);
    }

    #[test]
    fn the_declining_test_card_and_a_changed_cart_record_nothing() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1&track2=%3B4000000000000002%3D28121010000000000%3F");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        wait(&p, &t, &v.payment_id);
        let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CardDeclined);
        assert!(e.to_string().contains("do not honour"));
        assert!(p.store().verify_audit().unwrap().ok);

        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        wait(&p, &t, &v.payment_id);
        p.cart_scan(&t, TEA).unwrap();
        assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
        assert_eq!(count(&p, "orders"), 0);
    }

    #[test]
    fn without_a_platform_key_a_clear_reader_fails_with_a_clear_error() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
        p.card_payments.keys.put(None);
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let e = wait(&p, &t, &v.payment_id).error.unwrap();
        assert_eq!(e.code, ErrorCode::PlatformKeyMissing);
        assert!(e.message.contains("installer"), "{}", e.message);
    }

    #[test]
    fn payments_belong_to_their_cashier_and_empty_carts_cannot_start() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=5000");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        let m = p.login(MANAGER, "2222").unwrap().token;
        assert_eq!(p.payment_status(&m, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(p.payment_cancel(&m, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
        let empty = p.cart_get(&m).unwrap();
        assert_eq!(p.payment_start(&m, &empty.cart_id).unwrap_err().code(), ErrorCode::CartEmpty);
        // the reader waits for the cashier's card: the manager's payment must wait its turn
        let theirs = p.cart_scan(&m, TEA).unwrap();
        assert_eq!(p.payment_start(&m, &theirs.cart_id).unwrap_err().code(), ErrorCode::Conflict);
        assert_eq!(p.payment_start(&t, "not-my-cart").unwrap_err().code(), ErrorCode::Conflict);
        // a second start replaces the first, which ends cancelled
        let second = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_eq!(p.payment_status(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
        p.payment_cancel(&t, &second.payment_id).unwrap();
    }

    #[test]
    fn a_wedge_swipe_goes_through_and_a_bad_one_is_a_typed_error() {
        let (dir, p, t, cart) = start("sim://card-reader?delay_ms=5000");
        let text = "%B4111111111111111^DOE/JOHN^28122200000000000000?;4111111111111111=28122200000000000?\n";
        let v = p.payment_swipe_text(&t, &cart.cart_id, text.into()).unwrap();
        assert_eq!(v.status, CardPaymentStatus::CardRead);
        assert!(v.card.as_ref().unwrap().pin_required);
        p.payment_pin(&t, &v.payment_id, "1234".into()).unwrap();
        p.payment_sign(&t, &v.payment_id, SIGNATURE.into()).unwrap();
        let r = p.payment_authorize(&t, &v.payment_id).unwrap();
        assert!(r.payment.auth_code.unwrap().starts_with("SIM"));
        let (mode, cvm, reader): (String, String, String) = p
            .store()
            .read(|c| {
                Ok(c.query_row("SELECT entry_mode, cvm, reader FROM payments", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?)
            })
            .unwrap();
        assert_eq!(
            (mode.as_str(), cvm.as_str(), reader.as_str()),
            ("magstripe-wedge", "pin-and-signature", WEDGE_READER)
        );

        let cart = p.cart_scan(&t, TEA).unwrap();
        let e = p.payment_swipe_text(&t, &cart.cart_id, ";4111111111111111=2813?".into()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CardBadRead);
        assert!(!e.to_string().contains("4111111111111111"), "{e}");
        assert_eq!(
            p.payment_swipe_text(&t, &cart.cart_id, "6901234567892".into()).unwrap_err().code(),
            ErrorCode::CardBadRead
        );
        drop(p);
        assert_no_pan_on_disk(&dir);
    }

    #[test]
    fn a_bad_signature_is_refused_and_changes_nothing() {
        let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        wait(&p, &t, &v.payment_id);
        let bad = SIGNATURE.replace("</svg>", "<script>alert(1)</script></svg>");
        assert_eq!(p.payment_sign(&t, &v.payment_id, bad).unwrap_err().code(), ErrorCode::InvalidSignature);
        assert!(!p.payment_status(&t, &v.payment_id).unwrap().card.unwrap().signed);
    }

    #[test]
    fn a_card_read_left_alone_is_dropped() {
        let (_d, clock, p) = pos_with_reader("sim://card-reader?delay_ms=1");
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        let v = p.payment_start(&t, &cart.cart_id).unwrap();
        assert_eq!(wait(&p, &t, &v.payment_id).status, CardPaymentStatus::CardRead);
        clock.advance(30_000 + CARD_READ_TTL_MS + 1);
        let after = p.payment_status(&t, &v.payment_id).unwrap();
        assert_eq!((after.status, after.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::Conflict));
        assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
        clock.advance(CARD_READ_TTL_MS);
        assert_eq!(p.payment_status(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    }

    #[test]
    fn the_hash_is_keyed() {
        assert_ne!(pan_hash(&[1; 32], "4111111111111111"), pan_hash(&[2; 32], "4111111111111111"));
        assert_eq!(pan_hash(&[1; 32], "4111111111111111").len(), 64);
    }
}

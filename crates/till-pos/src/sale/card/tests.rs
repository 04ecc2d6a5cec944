//! Tests of card.

use super::*;
use crate::ipc::sale::CardPaymentStatus;
use crate::tests::{pos_with_reader, CASHIER, MANAGER};
use crate::ErrorCode;
use std::cell::RefCell;
use std::sync::mpsc;
use std::time::Duration;
use till_core::CartId;

const TEA: &str = "6901234567892";
/// A Visa test card whose service code (220) asks for a PIN.
pub(crate) const PIN_TRACK2: &str = "%3B4111111111111111%3D28122200000000000%3F";

/// What the window is told of one payment: every view pushed to its listener, in order.
pub(crate) struct Pushed {
    rx: mpsc::Receiver<CardPaymentView>,
    seen: RefCell<Vec<CardPaymentView>>,
}

impl Pushed {
    /// A listener and what it hears.
    pub(crate) fn listen() -> (Watch<CardPaymentView>, Pushed) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let watch: Watch<CardPaymentView> = Arc::new(move |v: &CardPaymentView| {
            let _ = lock(&tx).send(v.clone());
        });
        (watch, Pushed { rx, seen: RefCell::new(Vec::new()) })
    }

    /// Waits for the first view past the wait for the card: the reader's answer.
    pub(crate) fn read(&self) -> CardPaymentView {
        if let Some(v) = self.seen.borrow().iter().find(|v| v.status != CardPaymentStatus::Waiting) {
            return v.clone();
        }
        loop {
            let v = self.rx.recv_timeout(Duration::from_secs(10)).expect("the reader's answer was never pushed");
            self.seen.borrow_mut().push(v.clone());
            if v.status != CardPaymentStatus::Waiting {
                return v;
            }
        }
    }

    /// Every view pushed so far, in order.
    pub(crate) fn all(&self) -> Vec<CardPaymentView> {
        self.seen.borrow_mut().extend(self.rx.try_iter());
        self.seen.borrow().clone()
    }

    /// The last view pushed so far.
    pub(crate) fn last(&self) -> CardPaymentView {
        self.all().pop().expect("nothing was pushed")
    }
}

/// Starts a card payment with a listener.
pub(crate) fn start_payment(p: &Pos, t: &SessionToken, cart_id: &CartId) -> Result<(CardPaymentView, Pushed)> {
    let (watch, pushed) = Pushed::listen();
    p.payment_start(t, cart_id, watch).map(|v| (v, pushed))
}

fn start(reader: &str) -> (tempfile::TempDir, Pos, SessionToken, crate::ipc::views::CartView) {
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
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(v.amount, cart.total);
    assert!(v.seconds_left > 0);
    let v = pushed_v.read();
    assert_eq!(v.status, CardPaymentStatus::Signature, "{v:?}");
    let card = v.card.clone().unwrap();
    assert_eq!((card.masked_pan.as_str(), card.brand.as_str(), card.pin_required), ("411111******1111", "Visa", false));
    let json = serde_json::to_string(&v).unwrap();
    assert!(!json.contains("4111111111111111"), "{json}");
    // the PIN step is refused for a card that does not ask for one
    assert_eq!(p.payment_pin(&t, &v.payment_id, "1234".into()).unwrap_err().code(), ErrorCode::Conflict);
    assert!(p.payment_sign(&t, &v.payment_id, Some(SIGNATURE.into())).unwrap().card.unwrap().signed);
    let r = p.payment_authorize(&t, &v.payment_id).unwrap();
    // the window was told every step, in order, from the first wait to the recorded sale
    let steps: Vec<CardPaymentStatus> = pushed_v.all().iter().map(|v| v.status).collect();
    assert_eq!(
        steps,
        [
            CardPaymentStatus::Waiting,
            CardPaymentStatus::Signature,
            CardPaymentStatus::Ready,
            CardPaymentStatus::Authorising,
            CardPaymentStatus::Approved
        ]
    );
    assert_eq!(pushed_v.last().order_id, Some(r.order_id));
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
    assert_eq!(p.payment_cancel(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
    drop(p);
    assert_no_pan_on_disk(&dir);
}

#[test]
fn a_pin_card_takes_a_pin_block_and_without_one_is_declined() {
    let (dir, p, t, cart) = start(&format!("sim://card-reader?delay_ms=1&track2={PIN_TRACK2}"));
    let (_, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let v = pushed_v.read();
    assert!(v.card.as_ref().unwrap().pin_required);
    // no PIN: the stand-in declines, nothing is recorded, the cart stays
    let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CardDeclined);
    assert!(e.to_string().contains("55"), "{e}");
    let after = pushed_v.last();
    assert_eq!((after.status, after.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::CardDeclined));
    assert_eq!(count(&p, "orders"), 0);
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);

    // again, with a PIN
    let (_, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let v = pushed_v.read();
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
    let (_, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let v = pushed_v.read();
    p.payment_pin(&t, &v.payment_id, "0000".into()).unwrap();
    assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::CardDeclined);
    assert_eq!(count(&p, "orders"), 0);
}

#[test]
fn cancel_keeps_the_cart_and_cash_still_works() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=5000");
    let (v, _) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(v.status, CardPaymentStatus::Waiting);
    let c = p.payment_cancel(&t, &v.payment_id).unwrap();
    assert_eq!((c.status, c.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::PaymentCancelled));
    assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    // the reader was let go: a new payment can arm it again, and cash is taken as usual
    let (again, _) = start_payment(&p, &t, &cart.cart_id).unwrap();
    p.payment_cancel(&t, &again.payment_id).unwrap();
    p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
    assert_eq!(count(&p, "orders"), 1);
}

#[test]
fn a_bad_read_asks_to_swipe_again_and_a_retry_goes_through() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1&fail=bad-read");
    let (_, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let v = pushed_v.read();
    let e = v.error.unwrap();
    assert_eq!(e.code, ErrorCode::CardBadRead);
    assert!(e.message.contains("swipe again"), "{}", e.message);
    assert_eq!(count(&p, "orders"), 0);
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    // Retry arms the reader again with a new payment; the cart is still the same
    let (again, pushed_again) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_ne!(again.payment_id, v.payment_id);
    assert_eq!(pushed_again.read().error.unwrap().code, ErrorCode::CardBadRead);
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
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(v.seconds_left, 1);
    let v = pushed_v.read();
    assert_eq!(v.error.unwrap().code, ErrorCode::CardTimeout);
    assert_eq!(v.seconds_left, 0);
    assert_eq!(count(&p, "orders"), 0);
}

#[test]
fn the_declining_test_card_and_a_changed_cart_record_nothing() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1&track2=%3B4000000000000002%3D28121010000000000%3F");
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    pushed_v.read();
    let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CardDeclined);
    assert!(e.to_string().contains("do not honour"));
    assert!(p.store().verify_audit().unwrap().ok);

    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    pushed_v.read();
    p.cart_scan(&t, TEA).unwrap();
    assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
    assert_eq!(count(&p, "orders"), 0);
}

#[test]
fn without_a_platform_key_a_clear_reader_fails_with_a_clear_error() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
    p.sale.card_payments.keys.put(None);
    let (_, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let e = pushed_v.read().error.unwrap();
    assert_eq!(e.code, ErrorCode::PlatformKeyMissing);
    assert!(e.message.contains("installer"), "{}", e.message);
}

#[test]
fn payments_belong_to_their_cashier_and_empty_carts_cannot_start() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=5000");
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let m = p.login(MANAGER, "2222").unwrap().token;
    assert_eq!(p.payment_pin(&m, &v.payment_id, "1234".into()).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(p.payment_cancel(&m, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
    let empty = p.cart_get(&m).unwrap();
    assert_eq!(start_payment(&p, &m, &empty.cart_id).err().unwrap().code(), ErrorCode::CartEmpty);
    // the reader waits for the cashier's card: the manager's payment must wait its turn
    let theirs = p.cart_scan(&m, TEA).unwrap();
    assert_eq!(start_payment(&p, &m, &theirs.cart_id).err().unwrap().code(), ErrorCode::Conflict);
    assert_eq!(
        start_payment(&p, &t, &CartId::parse(&"0".repeat(32)).unwrap()).err().unwrap().code(),
        ErrorCode::Conflict
    );
    // a second start replaces the first, which ends cancelled
    let (second, pushed_second) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(p.payment_cancel(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
    let replaced = pushed_v.last();
    assert_eq!(
        (replaced.status, replaced.error.unwrap().code),
        (CardPaymentStatus::Failed, ErrorCode::PaymentCancelled)
    );
    p.payment_cancel(&t, &second.payment_id).unwrap();
    assert_eq!(pushed_second.last().status, CardPaymentStatus::Failed);
}

#[test]
fn a_wedge_swipe_goes_through_and_a_bad_one_is_a_typed_error() {
    let (dir, p, t, cart) = start("sim://card-reader?delay_ms=5000");
    let text = "%B4111111111111111^DOE/JOHN^28122200000000000000?;4111111111111111=28122200000000000?\n";
    let (watch, pushed) = Pushed::listen();
    let v = p.payment_swipe_text(&t, &cart.cart_id, text.into(), watch).unwrap();
    assert_eq!(v.status, CardPaymentStatus::Pin);
    assert_eq!(pushed.last().status, CardPaymentStatus::Pin);
    assert!(v.card.as_ref().unwrap().pin_required);
    p.payment_pin(&t, &v.payment_id, "1234".into()).unwrap();
    p.payment_sign(&t, &v.payment_id, Some(SIGNATURE.into())).unwrap();
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
    assert_eq!((mode.as_str(), cvm.as_str(), reader.as_str()), ("magstripe-wedge", "pin-and-signature", WEDGE_READER));

    let cart = p.cart_scan(&t, TEA).unwrap();
    let e = p.payment_swipe_text(&t, &cart.cart_id, ";4111111111111111=2813?".into(), Pushed::listen().0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CardBadRead);
    assert!(!e.to_string().contains("4111111111111111"), "{e}");
    assert_eq!(
        p.payment_swipe_text(&t, &cart.cart_id, "6901234567892".into(), Pushed::listen().0).unwrap_err().code(),
        ErrorCode::CardBadRead
    );
    drop(p);
    assert_no_pan_on_disk(&dir);
}

#[test]
fn a_bad_signature_is_refused_and_changes_nothing() {
    let (_d, p, t, cart) = start("sim://card-reader?delay_ms=1");
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    pushed_v.read();
    let bad = SIGNATURE.replace("</svg>", "<script>alert(1)</script></svg>");
    assert_eq!(p.payment_sign(&t, &v.payment_id, Some(bad)).unwrap_err().code(), ErrorCode::InvalidSignature);
    assert!(pushed_v.all().iter().all(|v| !v.card.as_ref().is_some_and(|c| c.signed)));
    assert_eq!(pushed_v.last().status, CardPaymentStatus::Signature);
    // the customer cannot sign: the cashier goes on without, and the payment is ready
    assert_eq!(p.payment_sign(&t, &v.payment_id, None).unwrap().status, CardPaymentStatus::Ready);
    assert_eq!(pushed_v.last().status, CardPaymentStatus::Ready);
    p.payment_authorize(&t, &v.payment_id).unwrap();
    let cvm: String = p.store().read(|c| Ok(c.query_row("SELECT cvm FROM payments", [], |r| r.get(0))?)).unwrap();
    assert_eq!(cvm, "none");
}

#[test]
fn a_card_read_left_alone_is_dropped() {
    let (_d, clock, p) = pos_with_reader("sim://card-reader?delay_ms=1");
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    let (v, pushed_v) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(pushed_v.read().status, CardPaymentStatus::Signature);
    clock.advance(30_000 + CARD_READ_TTL_MS + 1);
    assert_eq!(p.payment_authorize(&t, &v.payment_id).unwrap_err().code(), ErrorCode::Conflict);
    let after = pushed_v.last();
    assert_eq!((after.status, after.error.unwrap().code), (CardPaymentStatus::Failed, ErrorCode::Conflict));
    clock.advance(CARD_READ_TTL_MS);
    assert_eq!(p.payment_cancel(&t, &v.payment_id).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
}

//! The customer display follows the sale: what the customer sees after each step, and what
//! its listeners (the second window, the pole display) are told.

use super::*;
use crate::ipc::display::CustomerPhase as P;
use crate::sale::card::tests::{start_payment, PIN_TRACK2};
use crate::tests::{pos, pos_with_reader, CASHIER};

const TEA: &str = "6901234567892";

/// A listener and everything it heard.
fn listen(p: &Pos) -> Arc<Mutex<Vec<CustomerDisplayView>>> {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let into = heard.clone();
    p.customer_display_watch(Arc::new(move |v: &CustomerDisplayView| lock(&into).push(v.clone())));
    heard
}

#[test]
fn the_view_follows_a_cash_sale_from_scan_to_thank_you_and_back_to_the_welcome() {
    let (_d, clock, p) = pos();
    let heard = listen(&p);
    assert_eq!(p.customer_display_view().phase, P::Idle);
    let t = p.login(CASHIER, "1111").unwrap().token;

    let cart = p.cart_scan(&t, TEA).unwrap();
    let v = p.customer_display_view();
    assert_eq!(v.phase, P::Scanning);
    assert_eq!(v.lines.len(), 1);
    assert_eq!(
        (v.lines[0].name.as_str(), v.lines[0].name_zh.as_str()),
        (cart.lines[0].name.as_str(), cart.lines[0].name_zh.as_deref().unwrap())
    );
    assert_eq!((v.total, v.amount_to_pay, v.item_count), (cart.total, cart.total, 1));
    assert_eq!(v.latest_line_no, Some(cart.lines[0].line_no));

    p.cart_scan(&t, "snk-001").unwrap();
    let cart = p.cart_scan(&t, TEA).unwrap();
    let v = p.customer_display_view();
    assert_eq!((v.lines.len(), v.item_count, v.total), (2, 3, cart.total));
    assert_eq!(v.lines[0].quantity, 2);
    // the tea was scanned last: its line is the one highlighted, not the last line
    assert_eq!(v.latest_line_no, Some(cart.lines[0].line_no));
    let cart = p.cart_set_quantity(&t, cart.lines[1].line_no, 4).unwrap();
    assert_eq!(p.customer_display_view().latest_line_no, Some(cart.lines[1].line_no));

    let due = cart.total.minor();
    let r = p.checkout_cash(&t, &cart.cart_id, due + 1250).unwrap();
    let v = p.customer_display_view();
    assert_eq!(v.phase, P::ThankYou);
    assert_eq!(v.change.map(|m| m.minor()), Some(1250));
    assert_eq!(v.tendered.map(|m| m.minor()), Some(due + 1250));
    assert_eq!((v.total, v.lines.len()), (r.total, 2));

    // the screens read the fresh, empty cart: the thank-you stays until its time is up
    p.cart_get(&t).unwrap();
    p.customer_display_tick();
    assert_eq!(p.customer_display_view().phase, P::ThankYou);
    clock.advance(THANK_YOU_MS);
    p.customer_display_tick();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.lines.len(), v.change), (P::Idle, 0, None));

    // every change was pushed, in order, and nothing twice in a row
    let phases: Vec<P> = lock(&heard).iter().map(|v| v.phase).collect();
    assert_eq!(phases.first(), Some(&P::Scanning));
    assert_eq!(&phases[phases.len() - 2..], &[P::ThankYou, P::Idle]);
    assert!(lock(&heard).windows(2).all(|w| w[0] != w[1]));
}

#[test]
fn clearing_the_cart_shows_the_welcome_and_the_next_scan_ends_a_thank_you() {
    let (_d, _c, p) = pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    p.cart_scan(&t, TEA).unwrap();
    p.cart_clear(&t).unwrap();
    assert_eq!(p.customer_display_view().phase, P::Idle);

    let cart = p.cart_scan(&t, TEA).unwrap();
    p.checkout_cash(&t, &cart.cart_id, cart.total.minor()).unwrap();
    assert_eq!(p.customer_display_view().phase, P::ThankYou);
    // the next customer's first item does not wait for the thank-you to end
    p.cart_scan(&t, TEA).unwrap();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.lines.len(), v.change), (P::Scanning, 1, None));
}

#[test]
fn a_card_asking_for_its_pin_shows_enter_pin_and_the_approval_thanks_without_change() {
    let (_d, _c, p) = pos_with_reader(&format!("sim://card-reader?delay_ms=1&track2={PIN_TRACK2}"));
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    let (_, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let step = pushed.read();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.amount_to_pay, v.lines.len()), (P::EnterPin, cart.total, 1));
    // the window reads the cart while the customer types: the PIN prompt stays
    p.cart_get(&t).unwrap();
    assert_eq!(p.customer_display_view().phase, P::EnterPin);

    p.payment_cancel(&t, &step.payment_id).unwrap();
    assert_eq!(p.customer_display_view().phase, P::Scanning);

    let (_, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
    let step = pushed.read();
    p.payment_pin(&t, &step.payment_id, "4321".into()).unwrap();
    assert_eq!(p.customer_display_view().phase, P::ToPay);
    p.payment_authorize(&t, &step.payment_id).unwrap();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.change, v.amount_to_pay), (P::ThankYou, None, cart.total));
}

#[test]
fn an_enrolment_shows_its_qr_code_until_the_cart_changes_or_its_time_is_up() {
    let (_d, clock, p) = pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    p.cart_scan(&t, TEA).unwrap();
    p.customer_display.enrol("till-enrol:v1:abcdef");
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.enrolment.as_deref(), v.lines.len()), (P::Enrol, Some("till-enrol:v1:abcdef"), 1));
    p.cart_get(&t).unwrap();
    assert_eq!(p.customer_display_view().phase, P::Enrol);
    clock.advance(ENROL_MS);
    p.customer_display_tick();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.enrolment), (P::Scanning, None));

    p.customer_display.enrol("till-enrol:v1:abcdef");
    p.cart_scan(&t, TEA).unwrap();
    let v = p.customer_display_view();
    assert_eq!((v.phase, v.enrolment, v.lines[0].quantity), (P::Scanning, None, 2));
}

#[test]
fn the_pole_display_gets_two_lines_for_each_phase() {
    let (_d, _c, p) = pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    let cart = p.cart_set_quantity(&t, cart.lines[0].line_no, 2).unwrap();
    let (a, b) = pole::lines(&p.customer_display_view());
    assert_eq!(cart.lines[0].name, "Organic green tea 250g");
    assert_eq!((a.as_str(), b.as_str()), ("2x Organic gre 76.00", "TOTAL          76.00"));
    p.checkout_cash(&t, &cart.cart_id, cart.total.minor() + 200).unwrap();
    let (a, b) = pole::lines(&p.customer_display_view());
    assert_eq!((a.as_str(), b.as_str()), ("THANK YOU", "CHANGE          2.00"));
}

/// Reads what reaches the pole display's end of the line until `want` is among it (5 s at
/// most, for a loaded machine); fails if it never comes.
fn pole_heard(device: &mut till_devices::transport::SerialLink, want: &[u8]) -> Vec<u8> {
    use till_devices::transport::ByteLink;
    let mut got = Vec::new();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut buf = [0u8; 256];
    while !got.windows(want.len()).any(|w| w == want) && std::time::Instant::now() < until {
        let n = device.read(&mut buf, std::time::Duration::from_millis(100)).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.windows(want.len()).any(|w| w == want), "{want:?} never reached the pole display: {got:?}");
    got
}

#[test]
fn a_configured_pole_display_follows_the_sale_over_its_serial_line() {
    let (mut device, port) = till_devices::transport::SerialLink::pty_pair().unwrap();
    let (_d, _c, p) = pos();
    p.store().set_setting(SETTING_POLE, &format!("serial://{}?baud=9600", port.name())).unwrap();
    p.customer_display_start().unwrap();
    // opened: ESC @, CLR, then the welcome
    let got = pole_heard(&mut device, b"WELCOME");
    assert!(got.starts_with(&[0x1B, 0x40, 0x0C, 0x1F, 0x24, 1, 1]), "{got:?}");

    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    let mut frame = vec![0x1F, 0x24, 1, 1];
    frame.extend_from_slice(b"Organic green  38.00");
    frame.extend_from_slice(&[0x1F, 0x24, 1, 2]);
    frame.extend_from_slice(b"TOTAL          38.00");
    pole_heard(&mut device, &frame);
    p.checkout_cash(&t, &cart.cart_id, 5000).unwrap();
    let got = pole_heard(&mut device, b"CHANGE         12.00");
    assert!(got.windows(20).any(|w| w == b"THANK YOU           "), "{got:?}");
    assert_eq!(p.customer_display_pole_fault(), None);
    drop(port);
}

#[test]
fn a_missing_pole_display_is_a_fault_not_the_cashiers_error() {
    let (_d, _c, p) = pos();
    p.store().set_setting(SETTING_POLE, "serial:///dev/no-such-pole-display").unwrap();
    p.customer_display_start().unwrap();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    p.checkout_cash(&t, &cart.cart_id, cart.total.minor()).unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while p.customer_display_pole_fault().is_none() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(p.customer_display_pole_fault().is_some_and(|f| f.contains("no-such-pole-display")));
}

#[test]
fn points_redeemed_take_their_value_off_what_is_left_to_pay() {
    let (_d, _c, p) = pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, TEA).unwrap();
    let value = Money::new(500, cart.total.currency());
    // what `set_redemption` tells the display once the customer's phone approved the points
    p.customer_display.points_paid(9, &cart.cart_id, Some(value));
    assert_eq!(p.customer_display_view().points_paid, None, "another seller's cart changes nothing");
    p.customer_display.points_paid(CASHIER, &cart.cart_id, Some(value));
    let v = p.customer_display_view();
    assert_eq!((v.points_paid, v.amount_to_pay.minor()), (Some(value), cart.total.minor() - 500));
    assert_eq!(
        pole::lines(&v).1,
        format!("TO PAY{:>14}", Money::new(cart.total.minor() - 500, value.currency()).major_units())
    );
    p.customer_display.points_paid(CASHIER, &cart.cart_id, None);
    assert_eq!(p.customer_display_view().amount_to_pay, cart.total);
}

//! The ID TECH serial driver against the ID TECH simulator over a real pseudo-terminal: the
//! driver opens the same kind of port a USB-CDC reader gives, and the simulator writes
//! byte-exact frames (or faults) into the other end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::thread;
use std::time::{Duration, Instant};
use till_core::{CardBrand, Currency, Money};
use till_devices::card_reader::sim_reports::IDTECH_SERIAL;
use till_devices::card_reader::{sim_serial, test_cards, Fault, SerialCardReader, SimControl};
use till_devices::transport::SerialLink;
use till_devices::{Cancel, CardReader, DeviceError};

const ADDRESS: &str = "serial://sim?driver=idtech-enhanced";

fn amount() -> Money {
    Money::new(4250, Currency::parse("CNY").unwrap())
}

/// The driver on the till's end of a pseudo-terminal, the simulator on the device's end.
fn rig() -> (SerialCardReader, SimControl) {
    let (device, pos) = SerialLink::pty_pair().unwrap();
    let control = sim_serial::spawn(Box::new(device), Box::new(StdRng::seed_from_u64(42))).unwrap();
    (SerialCardReader::new(Box::new(pos), ADDRESS.into()), control)
}

/// Does `act` once the driver is waiting (the driver discards what arrived before it was armed).
fn later(act: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(150));
        act();
    });
}

/// Drives the simulator once the driver is waiting. The test keeps its own handle: the
/// simulator unplugs itself when the last handle goes.
fn later_sim(control: &SimControl, act: impl FnOnce(&SimControl) + Send + 'static) {
    let c = control.clone();
    later(move || act(&c));
}

fn read(reader: &mut SerialCardReader, timeout: Duration) -> Result<till_devices::CardRead, DeviceError> {
    reader.read_card(amount(), timeout, &Cancel::new())
}

fn assert_swipe_again(e: &DeviceError, field_wanted: &str) {
    match e {
        DeviceError::BadReport { field, .. } => assert_eq!(*field, field_wanted, "{e:?}"),
        other => panic!("expected a bad {field_wanted}, got {other:?}"),
    }
    assert!(e.to_string().contains("swipe again"), "{e}");
}

#[test]
fn a_good_swipe_reads_masked_with_the_readers_encrypted_block() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.swipe("visa").unwrap());
    let card = read(&mut reader, Duration::from_secs(5)).unwrap();
    assert_eq!(card.masked_pan.as_str(), "411111******1111");
    assert_eq!(
        (card.brand, card.expiry.as_str(), card.cardholder.as_deref()),
        (CardBrand::Visa, "2812", Some("VISA/TEST"))
    );
    assert!(card.clear_pan().is_none(), "an encrypting reader gives no clear number");
    let block = card.encrypted().unwrap();
    assert_eq!(block.scheme, "idtech-enhanced TDES-CBC DUKPT data key");
    assert_eq!(block.ksn, [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01]);
    assert_eq!(block.device_serial.as_deref(), Some(&IDTECH_SERIAL[..]));
    assert_eq!(
        block.tracks[0].as_ref().map(Vec::len),
        Some(test_cards::find("visa").unwrap().track1().len().div_ceil(8) * 8)
    );
    let pan = test_cards::find("visa").unwrap().test_pan();
    assert!(!format!("{card:?}").contains(pan));

    // The next swipe has the next KSN.
    later_sim(&control, |c| c.swipe("unionpay").unwrap());
    let card = read(&mut reader, Duration::from_secs(5)).unwrap();
    assert_eq!((card.masked_pan.as_str(), card.brand), ("625094******8599", CardBrand::UnionPay));
    assert_eq!(card.encrypted().unwrap().ksn[9], 0x02);
}

#[test]
fn garbage_before_a_frame_is_skipped() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| {
        c.fault(Fault::Garbage).unwrap();
        c.swipe("mastercard").unwrap();
    });
    let card = read(&mut reader, Duration::from_secs(5)).unwrap();
    assert_eq!(card.masked_pan.as_str(), "555555******4444");
}

#[test]
fn a_truncated_frame_is_reported_once_the_line_falls_silent() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.fault(Fault::Truncated).unwrap());
    let start = Instant::now();
    let e = read(&mut reader, Duration::from_secs(10)).unwrap_err();
    assert_swipe_again(&e, "frame");
    assert!(e.to_string().contains("stopped sending after"), "{e}");
    // Reported after the frame gap, not at the end of the 10 s wait.
    assert!(start.elapsed() < Duration::from_secs(4), "{:?}", start.elapsed());
}

#[test]
fn a_bad_lrc_asks_for_another_swipe_and_the_next_swipe_works() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.fault(Fault::BadLrc).unwrap());
    let e = read(&mut reader, Duration::from_secs(5)).unwrap_err();
    assert_swipe_again(&e, "LRC");
    later_sim(&control, |c| c.swipe("pin").unwrap());
    let card = read(&mut reader, Duration::from_secs(5)).unwrap();
    assert!(card.pin_required);
}

#[test]
fn an_unreadable_card_is_named() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.swipe("unreadable").unwrap());
    let e = read(&mut reader, Duration::from_secs(5)).unwrap_err();
    assert!(matches!(e, DeviceError::BadRead { track: "track 2", .. }), "{e:?}");
}

#[test]
fn silence_times_out() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.fault(Fault::Silence).unwrap());
    let start = Instant::now();
    assert_eq!(read(&mut reader, Duration::from_millis(400)).unwrap_err(), DeviceError::Timeout);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn a_swipe_from_before_the_reader_was_armed_is_not_charged() {
    let (mut reader, control) = rig();
    control.swipe("visa").unwrap();
    thread::sleep(Duration::from_millis(200));
    // Still plugged in: the handle lives to the end of the test.
    let _control = control;
    assert_eq!(read(&mut reader, Duration::from_millis(300)).unwrap_err(), DeviceError::Timeout);
}

#[test]
fn cancel_stops_the_wait_within_the_poll_interval() {
    let (mut reader, _control) = rig();
    let cancel = Cancel::new();
    let c = cancel.clone();
    later(move || c.cancel());
    let start = Instant::now();
    assert_eq!(reader.read_card(amount(), Duration::from_secs(10), &cancel).unwrap_err(), DeviceError::Cancelled);
    // Far below the 10 s timeout, with room for a loaded build machine.
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn an_unplug_mid_swipe_is_disconnected() {
    let (mut reader, control) = rig();
    later_sim(&control, |c| c.fault(Fault::Unplug).unwrap());
    let e = read(&mut reader, Duration::from_secs(5)).unwrap_err();
    assert_eq!(e, DeviceError::Disconnected(ADDRESS.into()));
}

#[test]
fn dropping_the_device_side_is_disconnected() {
    let (device, pos) = SerialLink::pty_pair().unwrap();
    let mut reader = SerialCardReader::new(Box::new(pos), ADDRESS.into());
    later(move || drop(device));
    let e = read(&mut reader, Duration::from_secs(5)).unwrap_err();
    assert_eq!(e, DeviceError::Disconnected(ADDRESS.into()));
}

#[test]
fn the_driver_opens_a_pty_by_path_through_the_address() {
    let (device, pos) = SerialLink::pty_pair().unwrap();
    let control = sim_serial::spawn(Box::new(device), Box::new(StdRng::seed_from_u64(1))).unwrap();
    let address = format!("serial://{}?baud=9600&driver=idtech-enhanced", pos.name());
    let mut reader = till_devices::card_reader::open(&address).unwrap();
    assert_eq!(reader.address(), address);
    later_sim(&control, |c| c.swipe("expired").unwrap());
    let card = reader.read_card(amount(), Duration::from_secs(5), &Cancel::new()).unwrap();
    assert_eq!(card.expiry, "2001");
    drop(pos);
    let e = till_devices::card_reader::open("serial://sim?driver=magtek-hid").err();
    assert!(matches!(e, Some(DeviceError::Unsupported(_))), "{e:?}");
    let e = till_devices::card_reader::open("serial:///dev/ttyUSB-none?driver=idtech-enhanced").err();
    assert_eq!(e, Some(DeviceError::NotFound("/dev/ttyUSB-none".into())));
}

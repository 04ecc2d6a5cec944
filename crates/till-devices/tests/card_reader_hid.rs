//! The HID card reader driver against the simulated HID reader, in each protocol: good swipes,
//! faults, timeout, cancel and unplug.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::thread;
use std::time::{Duration, Instant};
use till_core::{CardBrand, Currency, Money};
use till_devices::card_reader::{test_cards, Fault, HidCardReader, ReaderProtocol, SimControl, SimulatedHidReader};
use till_devices::{Cancel, CardRead, CardReader, DeviceError};

fn amount() -> Money {
    Money::new(999, Currency::parse("CNY").unwrap())
}

fn rig(protocol: ReaderProtocol) -> (HidCardReader, SimControl) {
    let (device, control) = SimulatedHidReader::new(protocol, Box::new(StdRng::seed_from_u64(9)));
    let address = format!("hid://0801:0002?driver={}", protocol.name());
    (HidCardReader::new(Box::new(device), protocol, address), control)
}

fn later(act: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        act();
    });
}

fn read(reader: &mut HidCardReader) -> Result<CardRead, DeviceError> {
    reader.read_card(amount(), Duration::from_secs(5), &Cancel::new())
}

#[test]
fn every_protocol_reads_every_good_card() {
    for protocol in ReaderProtocol::ALL {
        let (mut reader, control) = rig(protocol);
        for card in test_cards::CATALOGUE.iter().filter(|c| c.readable) {
            let c = control.clone();
            later(move || c.swipe(card.name).unwrap());
            let read = read(&mut reader).unwrap();
            assert_eq!(read.masked_pan.bin(), &card.test_pan()[..6], "{} {}", protocol.name(), card.name);
            assert_eq!(read.masked_pan.last4(), &card.test_pan()[card.test_pan().len() - 4..]);
            assert_eq!(read.expiry, card.expiry);
            assert_eq!(read.pin_required, card.name == "pin");
            // Only MagTek's clear reader hands over the number; the others their ciphertext.
            assert_eq!(read.clear_pan().is_some(), protocol == ReaderProtocol::MagtekHid);
            assert_eq!(read.encrypted().is_some(), protocol != ReaderProtocol::MagtekHid);
            assert!(!format!("{read:?}").contains(card.test_pan()));
        }
    }
}

#[test]
fn the_magnesafe_ksn_counts_up_per_swipe() {
    let (mut reader, control) = rig(ReaderProtocol::MagtekMagnesafe);
    let mut counters = vec![];
    for _ in 0..3 {
        let c = control.clone();
        later(move || c.swipe("unionpay").unwrap());
        let read = read(&mut reader).unwrap();
        assert_eq!(read.brand, CardBrand::UnionPay);
        counters.push(read.encrypted().unwrap().ksn[9]);
    }
    assert_eq!(counters, [1, 2, 3]);
}

#[test]
fn faults_say_what_is_wrong() {
    for protocol in ReaderProtocol::ALL {
        let (mut reader, control) = rig(protocol);
        for fault in [Fault::Garbage, Fault::Truncated, Fault::BadLrc] {
            let c = control.clone();
            later(move || c.fault(fault).unwrap());
            let e = read(&mut reader).unwrap_err();
            assert!(matches!(e, DeviceError::BadReport { .. }), "{} {fault:?}: {e:?}", protocol.name());
            assert!(e.to_string().contains("swipe again"), "{e}");
        }
        let c = control.clone();
        later(move || c.swipe("unreadable").unwrap());
        assert!(matches!(read(&mut reader), Err(DeviceError::BadRead { .. })));
    }
}

#[test]
fn silence_times_out_and_cancel_stops_the_wait() {
    let (mut reader, control) = rig(ReaderProtocol::MagtekHid);
    control.fault(Fault::Silence).unwrap();
    let start = Instant::now();
    assert_eq!(
        reader.read_card(amount(), Duration::from_millis(300), &Cancel::new()).unwrap_err(),
        DeviceError::Timeout
    );
    // Generous bounds: the point is that the wait ends near its timeout, not at some later poll.
    assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());
    let cancel = Cancel::new();
    let c = cancel.clone();
    later(move || c.cancel());
    let start = Instant::now();
    assert_eq!(reader.read_card(amount(), Duration::from_secs(10), &cancel).unwrap_err(), DeviceError::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn an_unplug_mid_swipe_is_disconnected_and_stays_so() {
    let (mut reader, control) = rig(ReaderProtocol::MagtekHid);
    later(move || control.fault(Fault::Unplug).unwrap());
    let address = "hid://0801:0002?driver=magtek-hid".to_string();
    assert_eq!(read(&mut reader).unwrap_err(), DeviceError::Disconnected(address.clone()));
    assert_eq!(read(&mut reader).unwrap_err(), DeviceError::Disconnected(address));
}

#[test]
fn a_swipe_from_before_the_reader_was_armed_is_not_charged() {
    let (mut reader, control) = rig(ReaderProtocol::MagtekHid);
    control.swipe("visa").unwrap();
    assert_eq!(
        reader.read_card(amount(), Duration::from_millis(200), &Cancel::new()).unwrap_err(),
        DeviceError::Timeout
    );
}

#[test]
fn hid_addresses_pick_a_driver_or_say_which_is_missing() {
    // No reader is plugged into a build machine: the address is understood, the device absent.
    let e = till_devices::card_reader::open("hid://0801:0002").err().unwrap();
    assert!(matches!(e, DeviceError::NotFound(_) | DeviceError::Io(_)), "{e:?}");
    let e = till_devices::card_reader::open("hid://1234:5678").err().unwrap();
    assert!(matches!(&e, DeviceError::Unsupported(m) if m.contains("driver=")), "{e:?}");
    let e = till_devices::card_reader::open("hid://0801:0002?driver=zvt").err().unwrap();
    assert!(matches!(e, DeviceError::Unsupported(_)), "{e:?}");
    let e = till_devices::card_reader::open("hid://08010002").err().unwrap();
    assert!(matches!(e, DeviceError::InvalidAddress(_)), "{e:?}");
}

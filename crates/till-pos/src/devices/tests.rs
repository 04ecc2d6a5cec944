//! The installer's device setup, the status lights and the pairing, against fake discovery and
//! the in-process points terminal simulator.

use super::reader::line_address;
use super::setup::configured_view;
use super::*;
use crate::error::ErrorCode;
use crate::ipc::devices::LinkState;
use crate::ipc::devices::{DeviceAssignment, DeviceRole, Parity};
use crate::tests::{CASHIER, INSTALLER, MANAGER};
use crate::{ManualClock, PosConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use till_devices::transport::discovery::DeviceKind;

/// The status lights as a window would be told them on opening.
fn lights(p: &Pos, token: &SessionToken) -> DeviceStatus {
    let seen = Arc::new(Mutex::new(None));
    let into = seen.clone();
    let id = p.device_status_watch(token, Arc::new(move |s: &DeviceStatus| *lock(&into) = Some(s.clone()))).unwrap();
    p.device_status_unwatch(id);
    let told = lock(&seen).clone();
    told.expect("the lights are told at once")
}

/// Devices "plugged in" by the test.
#[derive(Clone, Default)]
struct FakeBus(Arc<Mutex<Vec<DiscoveredDevice>>>);

impl FakeBus {
    fn plug(&self, uri: &str) {
        lock(&self.0).push(DiscoveredDevice {
            uri: uri.into(),
            kind: if uri.starts_with("hid") { DeviceKind::Hid } else { DeviceKind::Serial },
            vendor_id: Some(0x0801),
            product_id: Some(0x0002),
            serial: None,
            product: Some("Test device".into()),
            usage_page: None,
            guessed_role: Some(till_core::DeviceRole::PointsTerminal),
            guessed_driver: Some(POINTS_DRIVER.into()),
        });
    }

    fn unplug(&self, uri: &str) {
        lock(&self.0).retain(|d| d.uri != uri);
    }

    fn now(&self) -> Vec<DiscoveredDevice> {
        lock(&self.0).clone()
    }
}

impl Enumerator for FakeBus {
    fn enumerate(&mut self) -> std::result::Result<Vec<DiscoveredDevice>, DeviceError> {
        Ok(self.now())
    }
}

fn open_pos(dir: &tempfile::TempDir, bus: &FakeBus, reader: &str, terminal: Option<&str>) -> Pos {
    Pos::open(PosConfig {
        card_reader: reader.into(),
        clock: Arc::new(ManualClock::new(1_790_000_000_000)),
        rng: Box::new(StdRng::seed_from_u64(7)),
        device_enumerator: Box::new(bus.clone()),
        points_terminal: terminal.map(str::to_string),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap()
}

fn setup(terminal: Option<&str>) -> (tempfile::TempDir, FakeBus, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::default();
    let pos = open_pos(&dir, &bus, "sim://card-reader?delay_ms=1", terminal);
    // These tests start from a till with nothing configured: without the demo's printer.
    pos.store().write(|tx| till_store::devices::remove(tx, DeviceRole::ReceiptPrinter.as_str())).unwrap();
    (dir, bus, pos)
}

fn assignment(uri: &str, role: DeviceRole, driver: &str) -> DeviceAssignment {
    DeviceAssignment {
        uri: uri.into(),
        role,
        driver: driver.into(),
        baud: None,
        parity: None,
        swipe_timeout_s: None,
        paper_mm: None,
        code_page: None,
    }
}

#[test]
fn only_installers_set_up_devices() {
    let (_d, _b, p) = setup(None);
    for user in [(CASHIER, "1111"), (MANAGER, "2222")] {
        let t = p.login(user.0, user.1).unwrap().token;
        let a = assignment("sim://card-reader", DeviceRole::CardReader, "sim");
        assert_eq!(p.devices_list(&t).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.device_assign(&t, &a).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.device_remove(&t, DeviceRole::CardReader).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.device_test(&t, DeviceRole::CardReader).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.device_pair(&t).unwrap_err().code(), ErrorCode::Forbidden);
        // ... but everyone sees the lights.
        assert!(p.device_status_watch(&t, Arc::new(|_: &DeviceStatus| {})).is_ok());
    }
    assert!(p.store().devices().unwrap().is_empty());
    let i = p.login(INSTALLER, "3333").unwrap().token;
    assert_eq!(p.customer_identify(&i).unwrap_err().code(), ErrorCode::Forbidden);
}

#[test]
fn discovered_devices_include_the_simulators_and_assignments_round_trip() {
    let (_d, bus, p) = setup(None);
    bus.plug("serial:///dev/ttyACM0");
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let o = p.devices_list(&t).unwrap();
    let uris: Vec<&str> = o.discovered.iter().map(|d| d.uri.as_str()).collect();
    assert!(uris.contains(&"sim://card-reader") && uris.contains(&"sim://points-terminal"), "{uris:?}");
    assert!(uris.contains(&"serial:///dev/ttyACM0"));
    assert!(o.configured.is_empty());

    let a = DeviceAssignment {
        uri: "serial:///dev/ttyACM0".into(),
        role: DeviceRole::PointsTerminal,
        driver: POINTS_DRIVER.into(),
        baud: Some(57_600),
        parity: Some(Parity::Even),
        swipe_timeout_s: None,
        paper_mm: None,
        code_page: None,
    };
    let o = p.device_assign(&t, &a).unwrap();
    let c = &o.configured[0];
    assert_eq!(
        (c.role, c.uri.as_str(), c.baud, c.parity, c.paired),
        (DeviceRole::PointsTerminal, "serial:///dev/ttyACM0", Some(57_600), Some(Parity::Even), false)
    );
    let row = o.discovered.iter().find(|d| d.uri == "serial:///dev/ttyACM0").unwrap();
    assert_eq!(row.assigned_role, Some(DeviceRole::PointsTerminal));

    let mut reader = assignment("sim://card-reader", DeviceRole::CardReader, "sim");
    reader.swipe_timeout_s = Some(15);
    let o = p.device_assign(&t, &reader).unwrap();
    assert_eq!(o.configured.len(), 2);
    assert_eq!(o.configured.iter().find(|c| c.role == DeviceRole::CardReader).unwrap().swipe_timeout_s, Some(15));

    // A restart reads the same configuration.
    drop(p);
    let p = open_pos(&_d, &bus, "sim://card-reader?delay_ms=1", None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    assert_eq!(p.devices_list(&t).unwrap().configured.len(), 2);
    let o = p.device_remove(&t, DeviceRole::PointsTerminal).unwrap();
    assert_eq!(o.configured.len(), 1);
    assert_eq!(p.device_remove(&t, DeviceRole::PointsTerminal).unwrap_err().code(), ErrorCode::DeviceNotConfigured);
    let audit = p.store().verify_audit().unwrap();
    assert!(audit.ok);
}

#[test]
fn bad_assignments_are_refused_and_change_nothing() {
    let (_d, _b, p) = setup(None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let serial = |driver: &str| assignment("serial:///dev/ttyACM0", DeviceRole::CardReader, driver);
    let mut cases = vec![
        assignment("ftp://x", DeviceRole::CardReader, "sim"),
        assignment("sim://card-reader", DeviceRole::PointsTerminal, "sim"),
        assignment("sim://card-reader", DeviceRole::CardReader, "magtek-hid"),
        serial("magtek-hid"),
        serial("zvt"),
        assignment("hid://0801:0002", DeviceRole::PointsTerminal, POINTS_DRIVER),
    ];
    let mut b = serial("idtech-enhanced");
    b.baud = Some(5);
    cases.push(b);
    let mut b = assignment("hid://0801:0002", DeviceRole::CardReader, "magtek-hid");
    b.baud = Some(9600);
    cases.push(b);
    let mut b = assignment("sim://card-reader", DeviceRole::CardReader, "sim");
    b.swipe_timeout_s = Some(1);
    cases.push(b);
    for a in &cases {
        assert_eq!(p.device_assign(&t, a).unwrap_err().code(), ErrorCode::InvalidInput, "{a:?}");
    }
    assert!(p.store().devices().unwrap().is_empty());
}

#[test]
fn testing_the_simulated_reader_reports_the_masked_read_or_what_is_wrong() {
    let (_d, _b, p) = setup(None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let r = p.device_test(&t, DeviceRole::CardReader).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.masked_pan.as_deref(), Some("411111******1111"));
    assert!(r.message.contains("411111******1111"), "{}", r.message);

    p.device_assign(&t, &assignment("sim://card-reader?delay_ms=1&fail=bad-read", DeviceRole::CardReader, "sim"))
        .unwrap();
    let r = p.device_test(&t, DeviceRole::CardReader).unwrap();
    assert!(!r.ok);
    assert_eq!(r.code, Some(ErrorCode::CardReadFailed));
    assert!(r.message.contains("swipe again"), "{}", r.message);
    assert!(r.masked_pan.is_none());
}

#[test]
fn pairing_stores_the_key_sealed_and_never_in_clear() {
    let (dir, _b, p) = setup(Some("sim://points-terminal?auto_present_ms=10"));
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let before = p.device_test(&t, DeviceRole::PointsTerminal).unwrap();
    assert!(before.ok, "{before:?}");
    assert_eq!(before.paired, Some(false));
    let r = p.device_pair(&t).unwrap();
    assert_eq!(r.terminal_id.as_deref(), Some("TILL-SIM-0001"));
    let stored = p.store().device("points-terminal").unwrap().unwrap();
    assert_eq!(stored.terminal_id.as_deref(), Some("TILL-SIM-0001"));
    let sealed = stored.pairing_key_sealed.unwrap();
    let key = p.secrets().open(PAIRING_KEY_PURPOSE, &sealed).unwrap();
    assert_eq!(key.len(), 32);
    // After pairing the terminal works with the stored key, also after a restart.
    let after = p.device_test(&t, DeviceRole::PointsTerminal).unwrap();
    assert_eq!(after.paired, Some(true), "{after:?}");
    let key: Vec<u8> = key.to_vec();
    drop(p);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == crate::admin::secrets::KEY_FILE) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(32).any(|w| w == key.as_slice()), "pairing key in clear in {}", path.display());
    }
    let view = format!("{:?}", configured_view(&stored_again(&dir)));
    assert!(view.contains("paired: true"), "{view}");
}

fn stored_again(dir: &tempfile::TempDir) -> DeviceRecord {
    till_store::Store::open(&dir.path().join("till.db")).unwrap().device("points-terminal").unwrap().unwrap()
}

#[test]
fn a_configured_device_that_vanishes_is_disconnected_and_comes_back_by_itself() {
    let (_d, bus, p) = setup(None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let c = p.login(CASHIER, "1111").unwrap().token;
    let port = "serial:///dev/ttyACM3";
    bus.plug(port);
    p.device_assign(&t, &assignment(port, DeviceRole::PointsTerminal, POINTS_DRIVER)).unwrap();
    let state = |p: &Pos| lights(p, &c).points_terminal.state;
    assert_eq!(state(&p), LinkState::Connected);
    // a window watching is told of each change once, and of nothing else
    let told = Arc::new(Mutex::new(Vec::new()));
    let into = told.clone();
    let id =
        p.device_status_watch(&c, Arc::new(move |s: &DeviceStatus| lock(&into).push(s.points_terminal.state))).unwrap();
    bus.unplug(port);
    p.refresh_device_status(&bus.now());
    p.refresh_device_status(&bus.now());
    bus.plug(port);
    p.refresh_device_status(&bus.now());
    p.device_status_unwatch(id);
    bus.unplug(port);
    p.refresh_device_status(&bus.now());
    assert_eq!(*lock(&told), [LinkState::Connected, LinkState::Disconnected, LinkState::Connected]);
    bus.plug(port);
    p.refresh_device_status(&bus.now());
    assert_eq!(state(&p), LinkState::Connected);
    bus.unplug(port);
    p.refresh_device_status(&bus.now());
    assert_eq!(state(&p), LinkState::Disconnected);
    assert!(lights(&p, &c).points_terminal.detail.is_some());
    p.refresh_device_status(&bus.now());
    assert_eq!(state(&p), LinkState::Disconnected);
    bus.plug(port);
    p.refresh_device_status(&bus.now());
    assert_eq!(state(&p), LinkState::Connected);
    p.device_remove(&t, DeviceRole::PointsTerminal).unwrap();
    p.refresh_device_status(&bus.now());
    assert_eq!(state(&p), LinkState::NotConfigured);
    // The simulated reader is always there.
    assert_eq!(lights(&p, &c).card_reader.state, LinkState::Connected);
}

#[test]
fn a_configured_reader_that_is_absent_does_not_stop_the_till() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::default();
    let p = open_pos(&dir, &bus, "sim://card-reader?delay_ms=1", None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    p.device_assign(&t, &assignment("hid://0801:0002", DeviceRole::CardReader, "magtek-hid")).unwrap();
    drop(p);
    let p = open_pos(&dir, &bus, "sim://card-reader?delay_ms=1", None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let light = lights(&p, &t).card_reader;
    assert_eq!((light.state, light.uri.as_deref()), (LinkState::Disconnected, Some("hid://0801:0002")));
    let r = p.device_test(&t, DeviceRole::CardReader).unwrap();
    assert!(!r.ok && !r.message.is_empty(), "{r:?}");
    // Removing it puts the default reader back.
    p.device_remove(&t, DeviceRole::CardReader).unwrap();
    assert_eq!(lights(&p, &t).card_reader.state, LinkState::Connected);
    assert!(p.device_test(&t, DeviceRole::CardReader).unwrap().ok);
}

#[test]
fn the_cashier_identifies_a_customer_with_the_simulated_terminal() {
    let (_d, _b, p) = setup(Some("sim://points-terminal?auto_present_ms=10"));
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, "6901234567892").unwrap();
    assert_eq!(p.customer_get(&t).unwrap(), None);
    let c = p.customer_identify(&t).unwrap();
    assert_eq!(c.cart_id, cart.cart_id);
    assert_eq!(c.account_short, short_account_of(b"DEMO-ACCOUNT-001"));
    assert_eq!(p.customer_get(&t).unwrap(), Some(c.clone()));
    // A second time reuses the session.
    assert_eq!(p.customer_identify(&t).unwrap().account_short, c.account_short);
    // The customer goes with the cart.
    p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
    assert_eq!(p.customer_get(&t).unwrap(), None);
}

fn short_account_of(id: &[u8; 16]) -> String {
    crate::loyalty::short_account(id)
}

#[test]
fn a_terminal_fault_is_a_clear_error_and_keeps_the_cart() {
    let (_d, _b, p) = setup(Some("serial:///dev/no-such-points-terminal"));
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, "6901234567892").unwrap();
    let e = p.customer_identify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PointsNotResponding, "{e}");
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    assert_eq!(p.cart_get(&t).unwrap().lines.len(), 1);

    let (_d, _b, p) = setup(None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    p.cart_scan(&t, "6901234567892").unwrap();
    assert_eq!(p.customer_identify(&t).unwrap_err().code(), ErrorCode::DeviceNotConfigured);
}

#[test]
fn the_cashier_can_cancel_the_wait_for_a_phone() {
    let (_d, _b, p) = setup(Some("sim://points-terminal?auto_present_ms=0"));
    let p = Arc::new(p);
    let t = p.login(CASHIER, "1111").unwrap().token;
    p.cart_scan(&t, "6901234567892").unwrap();
    let waiter = {
        let (p, t) = (Arc::clone(&p), t.clone());
        std::thread::spawn(move || p.customer_identify(&t))
    };
    std::thread::sleep(Duration::from_millis(300));
    p.device_cancel(&t).unwrap();
    let e = waiter.join().unwrap().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled, "{e}");
    assert_eq!(p.cart_get(&t).unwrap().lines.len(), 1);
}

#[test]
fn a_serial_reader_on_a_pseudo_terminal_is_tested_unplugged_and_reconnected() {
    use till_devices::card_reader::sim_serial;
    use till_devices::transport::SerialLink;

    let (device_side, pos_side) = SerialLink::pty_pair().unwrap();
    let port = format!("serial://{}", pos_side.name());
    let control = sim_serial::spawn(Box::new(device_side), Box::new(StdRng::seed_from_u64(5))).unwrap();
    let (_d, bus, p) = setup(None);
    let p = Arc::new(p);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let c = p.login(CASHIER, "1111").unwrap().token;
    bus.plug(&port);
    let mut a = assignment(&port, DeviceRole::CardReader, "idtech-enhanced");
    a.baud = Some(9600);
    p.device_assign(&t, &a).unwrap();
    let light = |p: &Pos| lights(p, &c).card_reader;
    assert_eq!(light(&p).state, LinkState::Connected, "{:?}", light(&p));

    let swipe_soon = |control: till_devices::card_reader::SimControl| {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            control.swipe("visa").unwrap();
            control
        })
    };
    let swiper = swipe_soon(control);
    let r = p.device_test(&t, DeviceRole::CardReader).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.masked_pan.as_deref(), Some("411111******1111"));
    assert!(r.message.contains("encrypted by the reader"), "{}", r.message);
    let control = swiper.join().unwrap();

    // Unplugged: red. Back: green again, and the reader works without a restart.
    bus.unplug(&port);
    p.refresh_device_status(&bus.now());
    assert_eq!(light(&p).state, LinkState::Disconnected);
    bus.plug(&port);
    p.refresh_device_status(&bus.now());
    assert_eq!(light(&p).state, LinkState::Connected);
    let swiper = swipe_soon(control);
    let r = p.device_test(&t, DeviceRole::CardReader).unwrap();
    assert!(r.ok, "{r:?}");
    drop(swiper.join().unwrap());
    drop(pos_side);
}

/// Opens the in-process simulator and then makes it misbehave as the test says.
#[derive(Clone, Default)]
struct FaultyTerminals {
    fault: Arc<Mutex<Option<till_devices::points::Fault>>>,
    swapped: Arc<Mutex<bool>>,
}

impl crate::devices::points_link::TerminalOpener for FaultyTerminals {
    fn open(
        &self,
        _address: &str,
        pairing: Option<Pairing>,
    ) -> std::result::Result<Box<dyn LoyaltyTerminal>, DeviceError> {
        let t = till_devices::points::open("sim://points-terminal?auto_present_ms=10", pairing)?;
        if let Some(sim) = t.simulator() {
            if let Some(f) = *lock(&self.fault) {
                sim.inject_always(f);
            }
            if *lock(&self.swapped) {
                sim.swap_terminal(TerminalId::new("OTHER-TERM-0002")?);
            }
        }
        Ok(Box::new(t))
    }
}

#[test]
fn terminal_faults_at_the_counter_are_typed_and_keep_the_cart() {
    use till_devices::points::Fault;
    let dir = tempfile::tempdir().unwrap();
    let terminals = FaultyTerminals::default();
    let p = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: Arc::new(ManualClock::new(1_790_000_000_000)),
        rng: Box::new(StdRng::seed_from_u64(7)),
        device_enumerator: Box::new(FakeBus::default()),
        points_terminal: Some("sim://points-terminal".into()),
        terminal_opener: Arc::new(terminals.clone()),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, "6901234567892").unwrap();
    // Working first: the demo terminal pairs itself and the customer is identified.
    p.customer_identify(&t).unwrap();
    for (fault, code) in [
        (Fault::BadCrc, ErrorCode::PointsBadCrc),
        (Fault::Silence, ErrorCode::PointsNotResponding),
        (Fault::BadAuth, ErrorCode::PointsAuthFailed),
    ] {
        *lock(&terminals.fault) = Some(fault);
        // A test reopens the terminal, so the fault applies from the first frame on.
        let i = p.login(INSTALLER, "3333").unwrap().token;
        p.device_test(&i, DeviceRole::PointsTerminal).unwrap();
        let e = p.customer_identify(&t).unwrap_err();
        assert_eq!(e.code(), code, "{fault:?}: {e}");
        let now = p.cart_get(&t).unwrap();
        assert_eq!((now.cart_id.as_str(), now.lines.len()), (cart.cart_id.as_str(), 1));
    }
    *lock(&terminals.fault) = None;
    *lock(&terminals.swapped) = true;
    let e = p.customer_identify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PointsRepairNeeded, "{e}");
    assert!(e.to_string().contains("pair it again"), "{e}");
}

#[test]
fn serial_addresses_carry_the_configured_baud_and_parity() {
    let config = |uri: &str, baud, parity: Option<&str>| DeviceConfig {
        role: "card-reader".into(),
        driver: "idtech-enhanced".into(),
        uri: uri.into(),
        baud,
        parity: parity.map(str::to_string),
        enabled: true,
        swipe_timeout_s: None,
        paper_mm: None,
        code_page: None,
    };
    assert_eq!(
        line_address(&config("serial:///dev/ttyACM0", Some(19_200), Some("even"))),
        "serial:///dev/ttyACM0?baud=19200&parity=even"
    );
    // What the address already says wins; other schemes are left alone.
    assert_eq!(
        line_address(&config("serial:///dev/ttyACM0?baud=9600", Some(19_200), None)),
        "serial:///dev/ttyACM0?baud=9600"
    );
    assert_eq!(line_address(&config("sim://card-reader", Some(9600), Some("odd"))), "sim://card-reader");
}

#[test]
fn a_receipt_printer_is_assigned_with_its_paper_and_code_page_and_tested_through_the_queue() {
    let (_d, _b, p) = setup(None);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let mut a = assignment("tcp://192.168.1.50:9100", DeviceRole::ReceiptPrinter, "escpos");
    a.paper_mm = Some(58);
    let o = p.device_assign(&t, &a).unwrap();
    let c = o.configured.iter().find(|c| c.role == DeviceRole::ReceiptPrinter).unwrap();
    assert_eq!((c.paper_mm, c.code_page.as_deref(), c.baud), (Some(58), Some("gb18030"), None));
    // Refused, and nothing changes: a width no printer has, a code page the encoder lacks,
    // paper for a card reader, a printer driver on a HID address, a simulated reader as a printer.
    let refused = |a: &DeviceAssignment| p.device_assign(&t, a).unwrap_err().code();
    let mut bad = a.clone();
    bad.paper_mm = Some(76);
    assert_eq!(refused(&bad), ErrorCode::InvalidInput);
    let mut bad = a.clone();
    bad.code_page = Some("cp936".into());
    assert_eq!(refused(&bad), ErrorCode::InvalidInput);
    let mut bad = assignment("sim://card-reader", DeviceRole::CardReader, "sim");
    bad.paper_mm = Some(58);
    assert_eq!(refused(&bad), ErrorCode::InvalidInput);
    assert_eq!(refused(&assignment("hid://0801:0002", DeviceRole::ReceiptPrinter, "escpos")), ErrorCode::InvalidInput);
    assert_eq!(refused(&assignment("sim://card-reader", DeviceRole::ReceiptPrinter, "sim")), ErrorCode::InvalidInput);
    let d = p.store().device("receipt-printer").unwrap().unwrap();
    assert_eq!((d.config.uri.as_str(), d.config.paper_mm), ("tcp://192.168.1.50:9100", Some(58)));
    // A serial printer gets its default speed; the in-process simulator takes the sim driver.
    let o = p.device_assign(&t, &assignment("serial:///dev/ttyUSB0", DeviceRole::ReceiptPrinter, "escpos")).unwrap();
    let c = o.configured.iter().find(|c| c.role == DeviceRole::ReceiptPrinter).unwrap();
    assert_eq!((c.baud, c.paper_mm), (Some(19_200), Some(80)));
    p.device_assign(&t, &assignment("sim://printer", DeviceRole::ReceiptPrinter, "sim")).unwrap();
    // "Test" queues a test page.
    let r = p.device_test(&t, DeviceRole::ReceiptPrinter).unwrap();
    assert!(r.ok && r.message.contains("queued"), "{r:?}");
    let jobs = p.store().print_open_jobs().unwrap();
    assert_eq!(jobs.iter().map(|j| j.kind).collect::<Vec<_>>(), vec![till_store::JobKind::Test]);
}

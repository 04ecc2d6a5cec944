//! The device monitor with a fake enumerator: devices plugged in, pulled out and plugged back
//! are reported once each, an enumeration failure is reported without forgetting the devices,
//! and dropping the monitor stops its worker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use till_core::DeviceRole;
use till_devices::transport::discovery::{simulators, DeviceKind, DEFAULT_INTERVAL};
use till_devices::transport::{DeviceChange, DeviceMonitor, DiscoveredDevice, Enumerator};
use till_devices::DeviceError;

/// What the fake machine has plugged in; `None` makes enumeration fail.
#[derive(Clone, Default)]
struct Machine {
    devices: Arc<Mutex<Option<Vec<DiscoveredDevice>>>>,
    calls: Arc<AtomicUsize>,
}

impl Machine {
    fn set(&self, devices: Option<Vec<DiscoveredDevice>>) {
        *self.devices.lock().unwrap() = devices;
    }
}

impl Enumerator for Machine {
    fn enumerate(&mut self) -> Result<Vec<DiscoveredDevice>, DeviceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.devices
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| DeviceError::Io("cannot list serial ports: udev is down".into()))
    }
}

fn magtek() -> DiscoveredDevice {
    DiscoveredDevice {
        uri: "hid://0801:0002".into(),
        kind: DeviceKind::Hid,
        vendor_id: Some(0x0801),
        product_id: Some(0x0002),
        serial: None,
        product: Some("USB Swipe Reader".into()),
        usage_page: Some(0xFF00),
        guessed_role: Some(DeviceRole::CardReader),
        guessed_driver: Some("magtek-hid".into()),
    }
}

fn next(m: &DeviceMonitor) -> DeviceChange {
    m.next_change(Duration::from_secs(2)).expect("a change")
}

fn uri(c: &DeviceChange) -> (&'static str, String) {
    match c {
        DeviceChange::Added { device } => ("added", device.uri.clone()),
        DeviceChange::Removed { device } => ("removed", device.uri.clone()),
        DeviceChange::Failed { message } => ("failed", message.clone()),
    }
}

#[test]
fn reports_added_removed_and_re_added_devices() {
    let machine = Machine::default();
    let sim = simulators().remove(0);
    machine.set(Some(vec![sim.clone()]));
    let monitor = DeviceMonitor::start(Box::new(machine.clone()), Duration::from_millis(20)).unwrap();
    assert_eq!(uri(&next(&monitor)), ("added", "sim://card-reader".into()));

    machine.set(Some(vec![sim.clone(), magtek()]));
    assert_eq!(next(&monitor), DeviceChange::Added { device: magtek() });
    assert_eq!(monitor.devices().len(), 2);

    machine.set(Some(vec![sim.clone()]));
    assert_eq!(next(&monitor), DeviceChange::Removed { device: magtek() });

    machine.set(Some(vec![sim.clone(), magtek()]));
    assert_eq!(next(&monitor), DeviceChange::Added { device: magtek() });
    // Nothing changes, nothing is reported.
    assert_eq!(monitor.next_change(Duration::from_millis(150)), None);
}

#[test]
fn a_failing_enumeration_is_reported_once_and_the_devices_are_kept() {
    let machine = Machine::default();
    machine.set(Some(vec![magtek()]));
    let monitor = DeviceMonitor::start(Box::new(machine.clone()), Duration::from_millis(20)).unwrap();
    assert_eq!(uri(&next(&monitor)).0, "added");
    machine.set(None);
    let (kind, message) = uri(&next(&monitor));
    assert_eq!(kind, "failed");
    assert!(message.contains("udev is down"), "{message}");
    assert_eq!(monitor.next_change(Duration::from_millis(150)), None, "reported once");
    assert_eq!(monitor.devices(), vec![magtek()]);
    // When it works again, only the real difference is reported.
    machine.set(Some(vec![]));
    assert_eq!(next(&monitor), DeviceChange::Removed { device: magtek() });
}

#[test]
fn dropping_the_monitor_stops_its_worker() {
    let machine = Machine::default();
    machine.set(Some(vec![]));
    let monitor = DeviceMonitor::start(Box::new(machine.clone()), DEFAULT_INTERVAL).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    drop(monitor);
    // The worker sleeps in 50 ms steps, so it stops long before its 2 s interval is up.
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    let calls = machine.calls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(machine.calls.load(Ordering::SeqCst), calls);
}

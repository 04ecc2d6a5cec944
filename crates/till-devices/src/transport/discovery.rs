//! Finding the devices on the counter: serial ports and USB HID devices, with a guess at what
//! each one is (from the USB ids in the device formats reference), and a monitor that notices
//! devices being plugged in and pulled out.
//!
//! The monitor polls: it enumerates every couple of seconds and reports the difference. That is
//! what the installer screen needs (a reader appears within two seconds of plugging it in) and
//! needs no udev event plumbing, which differs per platform.

use super::hid::hid_uri;
use crate::card_reader::driver_for_usb_ids;
use crate::{Cancel, DeviceError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use till_core::DeviceRole;

/// How a device is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// A serial port (USB-CDC, USB-serial adapter, RS-232).
    Serial,
    /// A USB HID device.
    Hid,
    /// A simulator inside the till.
    Sim,
    /// A USB printer-class device (`/dev/usb/lpN`).
    UsbPrinter,
    /// A queue of the local CUPS.
    Cups,
}

impl DeviceKind {
    /// Its name on the installer's screen and the command line (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Serial => "serial",
            DeviceKind::Hid => "hid",
            DeviceKind::Sim => "sim",
            DeviceKind::UsbPrinter => "usb-printer",
            DeviceKind::Cups => "cups",
        }
    }
}

/// One device found on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveredDevice {
    /// Its address, as drivers open it (`serial:///dev/ttyACM0`, `hid://0801:0002`).
    pub uri: String,
    /// Serial, HID or simulator.
    pub kind: DeviceKind,
    /// USB vendor id, when the device is on USB.
    pub vendor_id: Option<u16>,
    /// USB product id, when the device is on USB.
    pub product_id: Option<u16>,
    /// The device's serial number string, if it reports one.
    pub serial: Option<String>,
    /// The product name it reports.
    pub product: Option<String>,
    /// HID usage page (vendor-defined 0xFF00 for MagTek readers).
    pub usage_page: Option<u16>,
    /// What it is probably for; `None` for keyboards, mice and the like.
    pub guessed_role: Option<DeviceRole>,
    /// The driver that probably speaks to it (`magtek-hid`, `idtech-enhanced`, `till-points-v1`).
    pub guessed_driver: Option<String>,
}

/// MagTek readers put their reports on a vendor-defined usage page.
const MAGTEK_USAGE_PAGE: u16 = 0xFF00;
const MAGTEK: u16 = 0x0801;
const IDTECH: u16 = 0x0ACD;
/// Seiko Epson: its TM receipt printers show up as USB serial ports in "virtual COM" mode.
const EPSON: u16 = 0x04B8;

/// The role and driver of a HID device, from its USB ids and usage page.
pub fn guess_hid(vendor_id: u16, product_id: u16, usage_page: u16) -> (Option<DeviceRole>, Option<String>) {
    let driver = driver_for_usb_ids(vendor_id, product_id).map(|p| p.name().to_string());
    match vendor_id {
        MAGTEK if usage_page == MAGTEK_USAGE_PAGE => (Some(DeviceRole::CardReader), driver),
        IDTECH => (Some(DeviceRole::CardReader), driver),
        _ => (None, None),
    }
}

/// The role and driver of a serial port, from its USB ids (`None` for a port not on USB).
pub fn guess_serial(usb_ids: Option<(u16, u16)>) -> (Option<DeviceRole>, Option<String>) {
    match usb_ids {
        Some((IDTECH, 0x0630)) => (Some(DeviceRole::CardReader), Some("idtech-enhanced".into())),
        Some((EPSON, _)) => (Some(DeviceRole::ReceiptPrinter), Some("escpos".into())),
        // A USB-CDC port we do not recognise is most likely the points terminal; the installer
        // confirms with `devices test`.
        Some(_) => (Some(DeviceRole::PointsTerminal), Some("till-points-v1".into())),
        None => (None, None),
    }
}

/// The in-process simulators, listed so an installer without hardware can pick them.
pub fn simulators() -> Vec<DiscoveredDevice> {
    [
        ("sim://card-reader", DeviceRole::CardReader),
        ("sim://points-terminal", DeviceRole::PointsTerminal),
        ("sim://printer", DeviceRole::ReceiptPrinter),
    ]
    .into_iter()
    .map(|(uri, role)| DiscoveredDevice {
        uri: uri.into(),
        kind: DeviceKind::Sim,
        vendor_id: None,
        product_id: None,
        serial: None,
        product: Some("Till simulator".into()),
        usage_page: None,
        guessed_role: Some(role),
        guessed_driver: Some("sim".into()),
    })
    .collect()
}

/// Lists the devices on the machine.
pub trait Enumerator: Send {
    /// Every device present now.
    fn enumerate(&mut self) -> Result<Vec<DiscoveredDevice>, DeviceError>;
}

/// The real enumerator: serial ports through `serialport`, HID devices through `hidapi`.
#[derive(Debug, Clone, Default)]
pub struct SystemEnumerator {
    /// Whether to list the simulators too.
    pub include_simulators: bool,
}

impl Enumerator for SystemEnumerator {
    fn enumerate(&mut self) -> Result<Vec<DiscoveredDevice>, DeviceError> {
        let mut devices = serial_ports()?;
        devices.extend(hid_devices()?);
        devices.extend(printers());
        if self.include_simulators {
            devices.extend(simulators());
        }
        Ok(devices)
    }
}

/// The serial ports on the machine.
pub fn serial_ports() -> Result<Vec<DiscoveredDevice>, DeviceError> {
    let ports = serialport::available_ports()
        .map_err(|e| DeviceError::Io(format!("cannot list serial ports: {}", e.description)))?;
    Ok(ports
        .into_iter()
        .map(|p| {
            let usb = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => Some(u),
                _ => None,
            };
            let (guessed_role, guessed_driver) = guess_serial(usb.as_ref().map(|u| (u.vid, u.pid)));
            DiscoveredDevice {
                uri: format!("serial://{}", p.port_name),
                kind: DeviceKind::Serial,
                vendor_id: usb.as_ref().map(|u| u.vid),
                product_id: usb.as_ref().map(|u| u.pid),
                serial: usb.as_ref().and_then(|u| u.serial_number.clone()),
                product: usb.as_ref().and_then(|u| u.product.clone()),
                usage_page: None,
                guessed_role,
                guessed_driver,
            }
        })
        .collect())
}

/// The USB HID devices on the machine, one entry per device (a device exposes one entry per
/// interface and usage; the one with a guessed role, else the first, stands for it).
pub fn hid_devices() -> Result<Vec<DiscoveredDevice>, DeviceError> {
    let api = hidapi::HidApi::new().map_err(|e| DeviceError::Io(format!("cannot list HID devices: {e}")))?;
    let mut by_uri: BTreeMap<String, DiscoveredDevice> = BTreeMap::new();
    for d in api.device_list() {
        let (vid, pid, page) = (d.vendor_id(), d.product_id(), d.usage_page());
        let (guessed_role, guessed_driver) = guess_hid(vid, pid, page);
        let device = DiscoveredDevice {
            uri: hid_uri(vid, pid, d.serial_number()),
            kind: DeviceKind::Hid,
            vendor_id: Some(vid),
            product_id: Some(pid),
            serial: d.serial_number().filter(|s| !s.is_empty()).map(str::to_string),
            product: d.product_string().map(str::to_string),
            usage_page: Some(page),
            guessed_role,
            guessed_driver,
        };
        let replace =
            by_uri.get(&device.uri).is_none_or(|old| old.guessed_role.is_none() && device.guessed_role.is_some());
        if replace {
            by_uri.insert(device.uri.clone(), device);
        }
    }
    Ok(by_uri.into_values().collect())
}

/// The USB printers and CUPS queues (super::printer_discovery), as discovered devices: a
/// printer that names ESC/POS among its command sets, and every CUPS queue, is guessed to be the
/// receipt printer.
pub fn printers() -> Vec<DiscoveredDevice> {
    use super::printer_discovery::{cups_queues, usb_printers};
    let usb = usb_printers().into_iter().map(|p| (p, DeviceKind::UsbPrinter));
    let cups = cups_queues().into_iter().map(|p| (p, DeviceKind::Cups));
    usb.chain(cups)
        .map(|(p, kind)| DiscoveredDevice {
            guessed_role: Some(DeviceRole::ReceiptPrinter),
            guessed_driver: Some("escpos".into()),
            uri: p.uri,
            kind,
            vendor_id: p.vendor_id,
            product_id: p.product_id,
            serial: p.serial,
            product: p.product,
            usage_page: None,
        })
        .collect()
}

/// Lists serial ports and HID devices, and the simulators if asked.
pub fn enumerate(include_simulators: bool) -> Result<Vec<DiscoveredDevice>, DeviceError> {
    SystemEnumerator { include_simulators }.enumerate()
}

/// A change between two enumerations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum DeviceChange {
    /// A device appeared (or was there at the first enumeration).
    Added {
        /// The device.
        device: DiscoveredDevice,
    },
    /// A device went away.
    Removed {
        /// The device as it was last seen.
        device: DiscoveredDevice,
    },
    /// Enumeration failed; the device list is kept as it was until it works again.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// The changes from `old` to `new`, devices identified by their address.
pub fn diff(old: &[DiscoveredDevice], new: &[DiscoveredDevice]) -> Vec<DeviceChange> {
    let removed = old.iter().filter(|o| !new.iter().any(|n| n.uri == o.uri));
    let added = new.iter().filter(|n| !old.iter().any(|o| o.uri == n.uri));
    removed
        .map(|d| DeviceChange::Removed { device: d.clone() })
        .chain(added.map(|d| DeviceChange::Added { device: d.clone() }))
        .collect()
}

/// How often the monitor enumerates unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// A worker that enumerates every `interval` and reports [`DeviceChange`]s. It stops when it is
/// dropped.
pub struct DeviceMonitor {
    stop: Cancel,
    worker: Option<JoinHandle<()>>,
    changes: Receiver<DeviceChange>,
    current: Arc<Mutex<Vec<DiscoveredDevice>>>,
}

impl DeviceMonitor {
    /// Starts enumerating through `enumerator` every `interval`. The first enumeration reports
    /// every device present as [`DeviceChange::Added`].
    pub fn start(enumerator: Box<dyn Enumerator>, interval: Duration) -> Result<Self, DeviceError> {
        let stop = Cancel::new();
        let (tx, changes) = mpsc::channel();
        let current = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let (stop, current) = (stop.clone(), Arc::clone(&current));
            thread::Builder::new()
                .name("device-monitor".into())
                .spawn(move || watch(enumerator, interval, &stop, &tx, &current))
                .map_err(|e| DeviceError::Io(format!("cannot start the device monitor: {e}")))?
        };
        Ok(DeviceMonitor { stop, worker: Some(worker), changes, current })
    }

    /// The next change, waiting at most `timeout`.
    pub fn next_change(&self, timeout: Duration) -> Option<DeviceChange> {
        self.changes.recv_timeout(timeout).ok()
    }

    /// The devices present at the last successful enumeration.
    pub fn devices(&self) -> Vec<DiscoveredDevice> {
        self.current.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

impl Drop for DeviceMonitor {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(worker) = self.worker.take() {
            // The worker checks the flag every 50 ms; a panic in it has nothing left to report.
            let _ = worker.join();
        }
    }
}

fn watch(
    mut enumerator: Box<dyn Enumerator>,
    interval: Duration,
    stop: &Cancel,
    tx: &mpsc::Sender<DeviceChange>,
    current: &Mutex<Vec<DiscoveredDevice>>,
) {
    let mut known: Vec<DiscoveredDevice> = Vec::new();
    let mut failing = false;
    while !stop.is_cancelled() {
        match enumerator.enumerate() {
            Ok(found) => {
                failing = false;
                // The list is updated before the changes go out, so whoever reacts to a change
                // sees it in `devices()` too.
                if let Ok(mut c) = current.lock() {
                    c.clone_from(&found);
                }
                for change in diff(&known, &found) {
                    if tx.send(change).is_err() {
                        return;
                    }
                }
                known = found;
            }
            // Report a failure once, not every interval while it lasts.
            Err(e) if !failing => {
                failing = true;
                if tx.send(DeviceChange::Failed { message: e.to_string() }).is_err() {
                    return;
                }
            }
            Err(_) => {}
        }
        let mut slept = Duration::ZERO;
        while slept < interval && !stop.is_cancelled() {
            let step = (interval - slept).min(Duration::from_millis(50));
            thread::sleep(step);
            slept += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_roles_from_the_documented_usb_ids() {
        let g = |v, p, page| guess_hid(v, p, page);
        assert_eq!(g(0x0801, 0x0002, 0xFF00), (Some(DeviceRole::CardReader), Some("magtek-hid".into())));
        assert_eq!(g(0x0801, 0x0011, 0xFF00), (Some(DeviceRole::CardReader), Some("magtek-hid".into())));
        // MagTek's keyboard-emulation interface is a keyboard, not a reader the till drives.
        assert_eq!(g(0x0801, 0x0001, 0x0001), (None, None));
        assert_eq!(g(0x0ACD, 0x2030, 0xFF00), (Some(DeviceRole::CardReader), Some("idtech-enhanced".into())));
        assert_eq!(g(0x046D, 0xC31C, 0x0001), (None, None));
        assert_eq!(
            guess_serial(Some((0x0ACD, 0x0630))),
            (Some(DeviceRole::CardReader), Some("idtech-enhanced".into()))
        );
        assert_eq!(guess_serial(Some((0x2341, 0x0043))).0, Some(DeviceRole::PointsTerminal));
        assert_eq!(guess_serial(Some((0x04B8, 0x0202))), (Some(DeviceRole::ReceiptPrinter), Some("escpos".into())));
        assert_eq!(guess_serial(None), (None, None));
    }

    #[test]
    fn serialises_for_the_installer_screen() {
        let sims = simulators();
        let v = serde_json::to_value(&sims[0]).unwrap();
        assert_eq!(v["uri"], "sim://card-reader");
        assert_eq!(v["kind"], "sim");
        assert_eq!(v["guessed_role"], "card-reader");
        let change = serde_json::to_value(DeviceChange::Removed { device: sims[1].clone() }).unwrap();
        assert_eq!(
            (change["change"].as_str(), change["device"]["uri"].as_str()),
            (Some("removed"), Some("sim://points-terminal"))
        );
    }

    #[test]
    fn the_real_enumeration_lists_the_simulators_and_does_not_fail() {
        let devices = enumerate(true).unwrap();
        assert!(devices.iter().any(|d| d.uri == "sim://card-reader"));
        assert!(devices.iter().any(|d| d.uri == "sim://points-terminal"));
    }
}

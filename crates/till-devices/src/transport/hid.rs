//! USB HID devices through `hidapi` (hidraw on Linux).
//!
//! Kept thin on purpose: it only opens a device and moves reports, turning `hidapi`'s errors
//! into [`DeviceError`]s. Everything that can be tested without hardware lives in the drivers,
//! which run against [`HidLink`] and so against the simulated reader too.

use super::HidLink;
use crate::DeviceError;
use hidapi::{HidApi, HidDevice, HidError};
use std::time::Duration;

/// What a permission error on a HID device needs from the installer.
const PERMISSION_HINT: &str =
    "install a udev rule giving the plugdev group access to the reader's /dev/hidraw node, then replug it";

/// An open USB HID device.
pub struct HidDeviceLink {
    device: HidDevice,
    name: String,
}

/// The address-style name of a HID device, e.g. `hid://0801:0002?serial=B123`.
pub fn hid_uri(vendor_id: u16, product_id: u16, serial: Option<&str>) -> String {
    match serial.filter(|s| !s.is_empty()) {
        Some(s) => format!("hid://{vendor_id:04x}:{product_id:04x}?serial={s}"),
        None => format!("hid://{vendor_id:04x}:{product_id:04x}"),
    }
}

impl HidDeviceLink {
    /// Opens the device with these USB ids (and this serial number, when several identical
    /// readers are plugged in).
    pub fn open(vendor_id: u16, product_id: u16, serial: Option<&str>) -> Result<Self, DeviceError> {
        let name = hid_uri(vendor_id, product_id, serial);
        let api = HidApi::new().map_err(|e| DeviceError::Io(format!("cannot start HID access: {e}")))?;
        let present = api.device_list().any(|d| {
            d.vendor_id() == vendor_id
                && d.product_id() == product_id
                && serial.is_none_or(|s| d.serial_number() == Some(s))
        });
        if !present {
            return Err(DeviceError::NotFound(name));
        }
        let device = match serial {
            Some(s) => api.open_serial(vendor_id, product_id, s),
            None => api.open(vendor_id, product_id),
        }
        .map_err(|e| open_error(&name, &e))?;
        Ok(HidDeviceLink { device, name })
    }

    /// The device's address-style name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Sorts an open failure: `hidapi` reports the operating system's words in its message.
fn open_error(name: &str, e: &HidError) -> DeviceError {
    let text = e.to_string();
    if text.contains("ermission denied") || text.contains("EACCES") {
        DeviceError::PermissionDenied(format!("{name} ({PERMISSION_HINT})"))
    } else if text.contains("No HID devices") || text.contains("No such file") || text.contains("No such device") {
        DeviceError::NotFound(name.to_string())
    } else {
        DeviceError::Io(format!("{name}: {text}"))
    }
}

/// Sorts a failure on an open device. An unplugged reader makes hidraw fail with ENODEV or a
/// poll hang-up, and a read failure on a device that was working is almost always that.
fn io_error(name: &str, e: &HidError) -> DeviceError {
    let text = e.to_string();
    if text.contains("disconnected") || text.contains("No such device") || text.contains("Input/output error") {
        DeviceError::Disconnected(name.to_string())
    } else {
        DeviceError::Io(format!("{name}: {text}"))
    }
}

impl HidLink for HidDeviceLink {
    fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        self.device.read_timeout(buf, ms).map_err(|e| io_error(&self.name, &e))
    }

    fn send_feature_report(&mut self, report: &[u8]) -> Result<(), DeviceError> {
        self.device.send_feature_report(report).map_err(|e| io_error(&self.name, &e))
    }

    fn get_feature_report(&mut self, buf: &mut [u8]) -> Result<usize, DeviceError> {
        self.device.get_feature_report(buf).map_err(|e| io_error(&self.name, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted_by_what_the_installer_must_do() {
        let msg = |m: &str| HidError::HidApiError { message: m.to_string() };
        let e =
            open_error("hid://0801:0002", &msg("Failed to open a device with path '/dev/hidraw3': Permission denied"));
        assert!(matches!(&e, DeviceError::PermissionDenied(s) if s.contains("udev rule")), "{e:?}");
        let e = open_error("hid://0801:0002", &msg("No HID devices with requested VID/PID found in the system."));
        assert_eq!(e, DeviceError::NotFound("hid://0801:0002".into()));
        let e = io_error("hid://0801:0002", &msg("hid_read_timeout: unexpected poll error (device disconnected)"));
        assert_eq!(e, DeviceError::Disconnected("hid://0801:0002".into()));
        assert!(matches!(io_error("x", &msg("odd")), DeviceError::Io(_)));
        assert_eq!(hid_uri(0x801, 2, Some("B123")), "hid://0801:0002?serial=B123");
        assert_eq!(hid_uri(0xACD, 0x2030, Some("")), "hid://0acd:2030");
    }

    #[test]
    fn a_reader_that_is_not_plugged_in_is_not_found() {
        // No MagTek reader on a build machine; if hidapi cannot start at all that is an I/O error.
        match HidDeviceLink::open(0x0801, 0x7FFF, None) {
            Err(DeviceError::NotFound(n)) => assert_eq!(n, "hid://0801:7fff"),
            Err(DeviceError::Io(_)) => {}
            other => panic!("unexpected {:?}", other.map(|l| l.name().to_string())),
        }
    }
}

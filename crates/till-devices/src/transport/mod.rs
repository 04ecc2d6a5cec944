//! Transports: how bytes reach a device. Drivers talk to a [`ByteLink`] (serial ports,
//! pseudo-terminals, in-process simulators) or a [`HidLink`] (USB HID devices, simulated HID
//! devices), so a driver does not care which one it runs on and a simulator can stand in.

pub mod discovery;
pub mod hid;
pub mod printer_discovery;
pub mod serial;

pub use discovery::{DeviceChange, DeviceMonitor, DiscoveredDevice, Enumerator};
pub use hid::HidDeviceLink;
pub use serial::{Parity, SerialLink, SerialSettings};

use crate::DeviceError;
use std::time::Duration;

/// A byte stream to a device: a serial port (USB-CDC or RS-232), a pseudo-terminal in tests, or
/// an in-process simulator.
pub trait ByteLink: Send {
    /// Writes all of `bytes` and flushes them to the device.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError>;

    /// Reads what has arrived into `buf`, waiting at most `timeout` for the first byte.
    /// `Ok(0)` means nothing arrived in time; a vanished device is [`DeviceError::Disconnected`].
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError>;
}

/// A USB HID device: input reports in, feature reports both ways.
pub trait HidLink: Send {
    /// Reads one input report into `buf`, waiting at most `timeout`. `Ok(0)` means no report
    /// arrived in time; a vanished device is [`DeviceError::Disconnected`].
    fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError>;

    /// Sends a feature report (the first byte is the report id, 0 if the device uses none).
    fn send_feature_report(&mut self, report: &[u8]) -> Result<(), DeviceError>;

    /// Reads a feature report into `buf` (`buf[0]` holds the report id to ask for).
    fn get_feature_report(&mut self, buf: &mut [u8]) -> Result<usize, DeviceError>;
}

//! The links a printer is reached over, behind one trait.

use crate::printer::PrinterStatus;
use crate::DeviceError;

/// A connection to one printer.
pub trait PrinterLink: Send {
    /// Sends a job's bytes; returns once the link took them all.
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError>;

    /// Asks the printer for its real-time status (`DLE EOT 1`, `2`, `4`). `Ok(None)`: this link
    /// carries no answers back (a CUPS queue).
    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError>;
}

/// Opens the printer at `address`: `usb:///dev/usb/lp0`, `serial:///dev/ttyUSB0?baud=19200`,
/// `tcp://HOST:9100`, `cups://QUEUE` or `sim://printer`.
pub fn open(address: &str) -> Result<Box<dyn PrinterLink>, DeviceError> {
    let parsed = crate::DeviceAddress::parse(address)?;
    match parsed.scheme.as_str() {
        "sim" => crate::printer::simulator::link(&parsed),
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}

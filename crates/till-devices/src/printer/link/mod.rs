//! The links a printer is reached over, behind one trait.
//!
//! - [`usb`]: the kernel's usblp device file (`usb:///dev/usb/lp0`), status read back from it;
//! - [`serial`]: RS-232 or USB-serial (`serial:///dev/ttyUSB0?baud=19200&flow=rtscts`);
//! - [`tcp`]: raw TCP, usually port 9100 (`tcp://192.168.1.50:9100`), one connection per job
//!   and per status query;
//! - [`cups`]: a raw CUPS queue through `lp` (`cups://QUEUE`), which carries no status back.
//!
//! Status (`DLE EOT 1`, `2`, `4`) is asked the same way on every link that answers: one query,
//! one byte back within a timeout; no answer is [`PrinterFault::NoAnswer`].

pub mod cups;
pub mod serial;
pub mod tcp;
pub mod usb;

use crate::printer::status::{QUERY_OFFLINE, QUERY_PAPER, QUERY_PRINTER};
use crate::printer::{PrinterFault, PrinterStatus};
use crate::{DeviceAddress, DeviceError};
use std::time::Duration;

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
    let a = parse(address)?;
    match a.scheme.as_str() {
        "usb" => Ok(Box::new(usb::UsbLink::open(&a.path)?)),
        "serial" => Ok(Box::new(serial::SerialPrinterLink::open(&a)?)),
        "tcp" => Ok(Box::new(tcp::TcpLink::new(&a.path)?)),
        "cups" => Ok(Box::new(cups::CupsLink::new(&a.path)?)),
        "sim" => crate::printer::simulator::link(&a),
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}

/// Checks a printer address without opening it (the installer, before it saves one): the scheme
/// is one a printer can use and its parts are well formed.
pub fn parse(address: &str) -> Result<DeviceAddress, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    let invalid = || DeviceError::InvalidAddress(address.to_string());
    match a.scheme.as_str() {
        "usb" if a.path.starts_with('/') => {}
        "serial" if a.path.starts_with('/') => {
            serial::LineSettings::from_address(&a)?;
        }
        "tcp" => {
            tcp::split_host_port(&a.path).ok_or_else(invalid)?;
        }
        "cups" if cups::valid_queue(&a.path) => {}
        "sim" => {}
        _ => return Err(invalid()),
    }
    Ok(a)
}

/// A sentence naming the printer at `address` for the installer and `tillctl`, e.g. "network
/// printer 192.168.1.50:9100 (raw TCP)".
pub fn describe_address(address: &str) -> Result<String, DeviceError> {
    let a = parse(address)?;
    Ok(match a.scheme.as_str() {
        "usb" => format!("USB printer {}", a.path),
        "serial" => {
            let s = serial::LineSettings::from_address(&a)?;
            format!("serial printer {} at {} baud, flow control {}", a.path, s.baud, s.flow.as_str())
        }
        "tcp" => format!("network printer {} (raw TCP)", a.path),
        "cups" => format!("CUPS queue {} (raw; reports no status)", a.path),
        _ => format!("simulated printer {}", a.path),
    })
}

/// How long a printer has to answer one status query on a local link (USB, serial): real-time
/// commands are answered at once, even mid-job.
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(300);

/// A byte stream a status query runs over.
pub(crate) trait QueryStream {
    /// Writes a query.
    fn put(&mut self, bytes: &[u8]) -> Result<(), DeviceError>;
    /// One byte of answer, or `None` when none came within `timeout` (or the stream ended).
    fn get(&mut self, timeout: Duration) -> Result<Option<u8>, DeviceError>;
}

/// Asks `DLE EOT 1`, `2` and `4` in turn, each answered by one byte within `timeout`. Bytes
/// already waiting (a late answer to an earlier query) are read off first so they are not taken
/// for this query's answers.
pub(crate) fn query_status(stream: &mut dyn QueryStream, timeout: Duration) -> Result<PrinterStatus, DeviceError> {
    let mut stale = 0;
    while stream.get(Duration::ZERO)?.is_some() {
        stale += 1;
        if stale > 4096 {
            return Err(DeviceError::Io("the printer keeps sending bytes nobody asked for".into()));
        }
    }
    let mut answers = [0u8; 3];
    for (answer, query) in answers.iter_mut().zip([QUERY_PRINTER, QUERY_OFFLINE, QUERY_PAPER]) {
        stream.put(&query)?;
        *answer = stream.get(timeout)?.ok_or(DeviceError::PrinterFault(PrinterFault::NoAnswer))?;
    }
    PrinterStatus::from_answers(answers[0], answers[1], answers[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_before_they_are_saved() {
        for good in [
            "usb:///dev/usb/lp0",
            "serial:///dev/ttyUSB0?baud=9600&flow=rtscts",
            "tcp://192.168.1.50:9100",
            "tcp://printer.local:9100",
            "tcp://[fe80::1]:9100",
            "cups://Kitchen_TM-T20",
            "sim://printer",
        ] {
            assert!(parse(good).is_ok(), "{good}");
        }
        for bad in [
            "usb://lp0",
            "serial:///dev/ttyUSB0?flow=sometimes",
            "serial:///dev/ttyUSB0?baud=7",
            "tcp://192.168.1.50",
            "tcp://192.168.1.50:port",
            "tcp://:9100",
            "cups://-oraw",
            "cups://two words",
            "hid://0801:0002",
        ] {
            assert!(matches!(parse(bad), Err(DeviceError::InvalidAddress(_))), "{bad}");
        }
    }

    #[test]
    fn describes_each_link() {
        assert_eq!(
            describe_address("serial:///dev/ttyUSB0").unwrap(),
            "serial printer /dev/ttyUSB0 at 19200 baud, flow control none"
        );
        assert_eq!(describe_address("cups://Front").unwrap(), "CUPS queue Front (raw; reports no status)");
    }
}

//! A printer on a serial line (RS-232 or a USB-serial adapter): `serial:///dev/ttyUSB0`, with
//! `?baud=` (default 19200), `?parity=` and `?flow=rtscts|xonxoff|none` (default none) as the
//! printer's DIP switches are set.

use super::{query_status, PrinterLink, QueryStream, ANSWER_TIMEOUT};
use crate::printer::PrinterStatus;
use crate::transport::{Parity, SerialSettings};
use crate::{DeviceAddress, DeviceError};
use serialport::{SerialPort, TTYPort};
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// The baud rate when the address names none: what most receipt printers ship with.
pub const DEFAULT_BAUD: u32 = 19_200;

/// How long a send may wait on a printer that holds the line (CTS low, or XOFF): as long as a
/// slow printer takes to drain its buffer, not forever.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Flow control on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    /// None: the printer's buffer must keep up (fine for receipts at 9600-19200 baud).
    None,
    /// RTS/CTS hardware handshake.
    RtsCts,
    /// XON/XOFF software handshake.
    XonXoff,
}

impl FlowControl {
    /// Its name in an address: `none`, `rtscts`, `xonxoff`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowControl::None => "none",
            FlowControl::RtsCts => "rtscts",
            FlowControl::XonXoff => "xonxoff",
        }
    }

    /// Parses `none`, `rtscts` or `xonxoff`.
    pub fn parse(text: &str) -> Option<Self> {
        [FlowControl::None, FlowControl::RtsCts, FlowControl::XonXoff].into_iter().find(|f| f.as_str() == text)
    }
}

/// A printer's line settings, from its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSettings {
    /// Bits per second.
    pub baud: u32,
    /// Parity (8 data bits and one stop bit always).
    pub parity: Parity,
    /// Handshake.
    pub flow: FlowControl,
}

impl LineSettings {
    /// Reads `baud`, `parity` and `flow`; a value out of range is an invalid address.
    pub fn from_address(a: &DeviceAddress) -> Result<Self, DeviceError> {
        let SerialSettings { baud, parity } = SerialSettings::from_address(a, DEFAULT_BAUD)?;
        let flow = match a.param("flow") {
            None => FlowControl::None,
            Some(f) => FlowControl::parse(f)
                .ok_or_else(|| DeviceError::InvalidAddress(format!("{}://{}?flow={f}", a.scheme, a.path)))?,
        };
        Ok(LineSettings { baud, parity, flow })
    }
}

/// An open serial printer.
pub struct SerialPrinterLink {
    port: TTYPort,
    path: String,
}

impl SerialPrinterLink {
    /// Opens the port of a `serial://` address with its line settings.
    pub fn open(a: &DeviceAddress) -> Result<Self, DeviceError> {
        let settings = LineSettings::from_address(a)?;
        Self::open_path(&a.path, settings)
    }

    /// Opens `path` with `settings`.
    pub fn open_path(path: &str, settings: LineSettings) -> Result<Self, DeviceError> {
        let parity = match settings.parity {
            Parity::None => serialport::Parity::None,
            Parity::Even => serialport::Parity::Even,
            Parity::Odd => serialport::Parity::Odd,
        };
        let flow = match settings.flow {
            FlowControl::None => serialport::FlowControl::None,
            FlowControl::RtsCts => serialport::FlowControl::Hardware,
            FlowControl::XonXoff => serialport::FlowControl::Software,
        };
        let port = serialport::new(path, settings.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(parity)
            .stop_bits(serialport::StopBits::One)
            .flow_control(flow)
            .timeout(WRITE_TIMEOUT)
            .open_native()
            .map_err(|e| open_error(path, &e))?;
        Ok(SerialPrinterLink { port, path: path.to_string() })
    }
}

impl QueryStream for SerialPrinterLink {
    fn put(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.port.set_timeout(WRITE_TIMEOUT).map_err(|e| DeviceError::Io(format!("{}: {e}", self.path)))?;
        self.port.write_all(bytes).and_then(|()| self.port.flush()).map_err(|e| io_error(&self.path, &e))
    }

    fn get(&mut self, timeout: Duration) -> Result<Option<u8>, DeviceError> {
        // serialport refuses a zero timeout on some systems; a millisecond is as good as a poll.
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| DeviceError::Io(format!("{}: {e}", self.path)))?;
        let mut byte = [0u8; 1];
        match self.port.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Ok(None),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                Ok(None)
            }
            Err(e) => Err(io_error(&self.path, &e)),
        }
    }
}

impl PrinterLink for SerialPrinterLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.put(bytes)
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        query_status(self, ANSWER_TIMEOUT).map(Some)
    }
}

fn open_error(path: &str, e: &serialport::Error) -> DeviceError {
    match e.kind {
        serialport::ErrorKind::Io(ErrorKind::PermissionDenied) => DeviceError::PermissionDenied(path.to_string()),
        serialport::ErrorKind::Io(ErrorKind::NotFound) | serialport::ErrorKind::NoDevice => {
            DeviceError::NotFound(path.to_string())
        }
        _ => DeviceError::Io(format!("{path}: {}", e.description)),
    }
}

fn io_error(path: &str, e: &std::io::Error) -> DeviceError {
    // EIO or a broken pipe: the adapter was unplugged (or the pseudo-terminal closed).
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::NotConnected | ErrorKind::UnexpectedEof => {
            DeviceError::Disconnected(path.to_string())
        }
        ErrorKind::TimedOut => DeviceError::Io(format!(
            "{path}: the printer held the line for {} s (out of paper, cover open or offline?)",
            WRITE_TIMEOUT.as_secs()
        )),
        _ if e.raw_os_error() == Some(libc::EIO) => DeviceError::Disconnected(path.to_string()),
        _ => DeviceError::Io(format!("{path}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_settings_come_from_the_address() {
        let settings = |uri: &str| LineSettings::from_address(&DeviceAddress::parse(uri).unwrap());
        assert_eq!(
            settings("serial:///dev/ttyUSB0").unwrap(),
            LineSettings { baud: 19_200, parity: Parity::None, flow: FlowControl::None }
        );
        assert_eq!(
            settings("serial:///dev/ttyUSB0?baud=9600&flow=rtscts").unwrap(),
            LineSettings { baud: 9600, parity: Parity::None, flow: FlowControl::RtsCts }
        );
        assert_eq!(settings("serial:///dev/ttyS0?flow=xonxoff&parity=even").unwrap().flow, FlowControl::XonXoff);
        assert!(matches!(settings("serial:///dev/ttyS0?flow=dtr"), Err(DeviceError::InvalidAddress(_))));
    }
}

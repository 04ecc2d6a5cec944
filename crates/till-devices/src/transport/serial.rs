//! Serial ports (USB-CDC and RS-232) through `serialport`, and pseudo-terminal pairs that stand
//! in for them in tests and simulators.

use super::ByteLink;
use crate::{DeviceAddress, DeviceError};
use serialport::{SerialPort, TTYPort};
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// Parity of a serial line; the data bits are always eight and the stop bits one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    /// No parity bit (8N1), what USB-CDC devices and most readers use.
    None,
    /// Even parity (8E1).
    Even,
    /// Odd parity (8O1).
    Odd,
}

impl Parity {
    /// Parses `none`, `even` or `odd`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Parity::None),
            "even" => Some(Parity::Even),
            "odd" => Some(Parity::Odd),
            _ => None,
        }
    }
}

/// Line settings of a `serial://` address: `?baud=9600&parity=even`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialSettings {
    /// Bits per second.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
}

impl SerialSettings {
    /// Reads `baud` (1200..=921600, else `default_baud`) and `parity` (default none) from an
    /// address; any other value is an invalid address.
    pub fn from_address(a: &DeviceAddress, default_baud: u32) -> Result<Self, DeviceError> {
        let invalid = || DeviceError::InvalidAddress(format!("{}://{}", a.scheme, a.path));
        let baud = match a.param("baud") {
            None => default_baud,
            Some(b) => b.parse::<u32>().ok().filter(|b| (1200..=921_600).contains(b)).ok_or_else(invalid)?,
        };
        let parity = match a.param("parity") {
            None => Parity::None,
            Some(p) => Parity::parse(p).ok_or_else(invalid)?,
        };
        Ok(SerialSettings { baud, parity })
    }
}

/// An open serial port.
pub struct SerialLink {
    port: TTYPort,
    name: String,
}

impl SerialLink {
    /// Opens `path` at `baud`, 8 data bits, no parity, one stop bit.
    pub fn open(path: &str, baud: u32) -> Result<Self, DeviceError> {
        Self::open_with(path, SerialSettings { baud, parity: Parity::None })
    }

    /// Opens `path` with the line settings of its address.
    pub fn open_with(path: &str, settings: SerialSettings) -> Result<Self, DeviceError> {
        let parity = match settings.parity {
            Parity::None => serialport::Parity::None,
            Parity::Even => serialport::Parity::Even,
            Parity::Odd => serialport::Parity::Odd,
        };
        let port = serialport::new(path, settings.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(parity)
            .stop_bits(serialport::StopBits::One)
            .timeout(Duration::from_millis(100))
            .open_native()
            .map_err(|e| open_error(path, e))?;
        Ok(SerialLink { port, name: path.to_string() })
    }

    /// A connected pseudo-terminal pair: `(device_side, pos_side)`. The POS side has a path
    /// (`/dev/pts/N`) that another process may also open as a serial port.
    pub fn pty_pair() -> Result<(SerialLink, SerialLink), DeviceError> {
        let (master, slave) =
            TTYPort::pair().map_err(|e| DeviceError::Io(format!("cannot create a pseudo-terminal: {e}")))?;
        let name = slave.name().unwrap_or_else(|| "pty".to_string());
        Ok((SerialLink { port: master, name: format!("{name} (device side)") }, SerialLink { port: slave, name }))
    }

    /// The port's path.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn open_error(path: &str, e: serialport::Error) -> DeviceError {
    match e.kind {
        serialport::ErrorKind::Io(ErrorKind::PermissionDenied) => DeviceError::PermissionDenied(path.to_string()),
        serialport::ErrorKind::Io(ErrorKind::NotFound) | serialport::ErrorKind::NoDevice => {
            DeviceError::NotFound(path.to_string())
        }
        _ => DeviceError::Io(format!("{path}: {}", e.description)),
    }
}

impl ByteLink for SerialLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.port.write_all(bytes).map_err(|e| io_error(&self.name, e))?;
        self.port.flush().map_err(|e| flush_error(&self.name, e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        // serialport rejects a zero timeout on some platforms; a millisecond is as good as a poll.
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| DeviceError::Io(format!("{}: {}", self.name, e.description)))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(io_error(&self.name, e)),
        }
    }
}

fn io_error(name: &str, e: std::io::Error) -> DeviceError {
    // EIO / broken pipe is what an unplugged USB serial adapter (or a closed pseudo-terminal)
    // gives.
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::NotConnected | ErrorKind::UnexpectedEof => {
            DeviceError::Disconnected(name.into())
        }
        _ if e.raw_os_error() == Some(5) => DeviceError::Disconnected(name.into()),
        _ => DeviceError::Io(format!("{name}: {e}")),
    }
}

/// A failed drain after a successful write. serialport reports `tcdrain`'s failure as a bare
/// "flush failed" without the OS error; on a port that was open a moment ago that is the device
/// going away under the write (EIO from an unplugged adapter or a closed pseudo-terminal).
fn flush_error(name: &str, e: std::io::Error) -> DeviceError {
    match (e.kind(), e.raw_os_error()) {
        (ErrorKind::Other, None) => DeviceError::Disconnected(name.into()),
        _ => io_error(name, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_that_fails_after_the_write_is_the_device_gone() {
        let gone = flush_error("/dev/pts/9", std::io::Error::other("flush failed"));
        assert!(matches!(gone, DeviceError::Disconnected(ref n) if n == "/dev/pts/9"), "{gone:?}");
        let eio = flush_error("/dev/pts/9", std::io::Error::from_raw_os_error(5));
        assert!(matches!(eio, DeviceError::Disconnected(_)), "{eio:?}");
        let busy = flush_error("/dev/pts/9", std::io::Error::from_raw_os_error(16));
        assert!(matches!(busy, DeviceError::Io(_)), "{busy:?}");
    }

    #[test]
    fn bytes_cross_a_pseudo_terminal_both_ways() {
        let (mut device, mut pos) = SerialLink::pty_pair().unwrap();
        pos.write_all(&[0x02, 0x00, 0x03]).unwrap();
        let mut buf = [0u8; 8];
        let n = device.read(&mut buf, Duration::from_secs(2)).unwrap();
        assert_eq!(&buf[..n], &[0x02, 0x00, 0x03]);
        device.write_all(&[0x06]).unwrap();
        let n = pos.read(&mut buf, Duration::from_secs(2)).unwrap();
        assert_eq!(&buf[..n], &[0x06]);
        assert_eq!(pos.read(&mut buf, Duration::from_millis(20)).unwrap(), 0, "nothing more was sent");
    }

    #[test]
    fn line_settings_come_from_the_address() {
        let settings = |uri: &str| SerialSettings::from_address(&DeviceAddress::parse(uri).unwrap(), 9600);
        assert_eq!(settings("serial:///dev/ttyS0").unwrap(), SerialSettings { baud: 9600, parity: Parity::None });
        assert_eq!(
            settings("serial:///dev/ttyS0?baud=115200&parity=even").unwrap(),
            SerialSettings { baud: 115_200, parity: Parity::Even }
        );
        for bad in ["serial:///dev/ttyS0?baud=fast", "serial:///dev/ttyS0?baud=10", "serial:///dev/ttyS0?parity=mark"] {
            assert!(matches!(settings(bad), Err(DeviceError::InvalidAddress(_))), "{bad}");
        }
    }

    #[test]
    fn a_pseudo_terminal_opens_with_even_parity() {
        let (_device, pos) = SerialLink::pty_pair().unwrap();
        let path = pos.name().to_string();
        drop(pos);
        assert!(SerialLink::open_with(&path, SerialSettings { baud: 9600, parity: Parity::Even }).is_ok());
    }

    #[test]
    fn a_missing_port_says_so() {
        let err = SerialLink::open("/dev/ttyUSB-no-such-port", 9600).err();
        assert_eq!(err, Some(DeviceError::NotFound("/dev/ttyUSB-no-such-port".into())));
    }
}

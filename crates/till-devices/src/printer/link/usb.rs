//! USB printer class through the kernel's usblp driver: the device file `/dev/usb/lpN` is
//! written for jobs and read for the answers to status queries.
//!
//! The file is opened non-blocking so that neither a write to a stopped printer nor a read that
//! gets no answer can hang the till: both are polled against a deadline.

use super::{query_status, PrinterLink, QueryStream, ANSWER_TIMEOUT};
use crate::printer::PrinterStatus;
use crate::DeviceError;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::thread;
use std::time::{Duration, Instant};

/// How long a printer may take no bytes at all before a send gives up (it stopped: paper out,
/// cover open) — long enough for a slow printer's buffer to drain.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Between two tries at a file that would block.
const POLL: Duration = Duration::from_millis(5);

/// A USB printer's device file.
pub struct UsbLink {
    file: File,
    path: String,
}

impl UsbLink {
    /// Opens `path` (`/dev/usb/lp0`) for reading and writing.
    pub fn open(path: &str) -> Result<Self, DeviceError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| open_error(path, &e))?;
        Ok(UsbLink { file, path: path.to_string() })
    }

    /// Writes all of `bytes`, waiting while the printer's buffer is full.
    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), DeviceError> {
        let mut progress = Instant::now();
        while !bytes.is_empty() {
            match self.file.write(bytes) {
                Ok(0) => return Err(DeviceError::Disconnected(self.path.clone())),
                Ok(n) => {
                    bytes = &bytes[n..];
                    progress = Instant::now();
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if progress.elapsed() > WRITE_STALL_TIMEOUT {
                        return Err(DeviceError::Io(format!(
                            "{}: the printer took no bytes for {} s (out of paper, cover open or offline?)",
                            self.path,
                            WRITE_STALL_TIMEOUT.as_secs()
                        )));
                    }
                    thread::sleep(POLL);
                }
                Err(e) => return Err(io_error(&self.path, &e)),
            }
        }
        Ok(())
    }
}

impl QueryStream for UsbLink {
    fn put(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.write_all(bytes)
    }

    fn get(&mut self, timeout: Duration) -> Result<Option<u8>, DeviceError> {
        let deadline = Instant::now() + timeout;
        let mut byte = [0u8; 1];
        loop {
            match self.file.read(&mut byte) {
                Ok(1) => return Ok(Some(byte[0])),
                // End of file (usblp's zero-length read, or a file that never answers): nothing
                // yet; the deadline decides.
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&self.path, &e)),
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL);
        }
    }
}

impl PrinterLink for UsbLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.write_all(bytes)
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        query_status(self, ANSWER_TIMEOUT).map(Some)
    }
}

fn open_error(path: &str, e: &std::io::Error) -> DeviceError {
    match e.kind() {
        ErrorKind::NotFound => DeviceError::NotFound(path.to_string()),
        ErrorKind::PermissionDenied => DeviceError::PrinterPermissionDenied(path.to_string()),
        _ if e.raw_os_error() == Some(libc::EBUSY) => {
            DeviceError::Io(format!("{path} is in use by another program (a CUPS queue on the same printer?)"))
        }
        _ if e.raw_os_error() == Some(libc::ENODEV) => DeviceError::Disconnected(path.to_string()),
        _ => DeviceError::Io(format!("{path}: {e}")),
    }
}

fn io_error(path: &str, e: &std::io::Error) -> DeviceError {
    // ENODEV is what usblp gives once the printer is unplugged; EIO a closed pseudo-terminal.
    match e.raw_os_error() {
        Some(libc::ENODEV) | Some(libc::EIO) => DeviceError::Disconnected(path.to_string()),
        _ if e.kind() == ErrorKind::BrokenPipe => DeviceError::Disconnected(path.to_string()),
        _ => DeviceError::Io(format!("{path}: {e}")),
    }
}

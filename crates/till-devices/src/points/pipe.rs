//! An in-memory [`ByteLink`] pair, so the simulator can run inside the till's own process
//! (`sim://points-terminal`) without a pseudo-terminal.

use crate::transport::ByteLink;
use crate::DeviceError;
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// One end of an in-memory byte pipe. Dropping one end makes the other report
/// [`DeviceError::Disconnected`], as an unplugged cable would.
pub struct PipeLink {
    name: String,
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
    pending: VecDeque<u8>,
}

impl PipeLink {
    /// Two connected ends, both named `name` in errors.
    pub fn pair(name: &str) -> (PipeLink, PipeLink) {
        let (a_tx, b_rx) = channel();
        let (b_tx, a_rx) = channel();
        let end = |tx, rx| PipeLink { name: name.to_string(), tx, rx, pending: VecDeque::new() };
        (end(a_tx, a_rx), end(b_tx, b_rx))
    }
}

impl ByteLink for PipeLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.tx.send(bytes.to_vec()).map_err(|_| DeviceError::Disconnected(self.name.clone()))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        if self.pending.is_empty() {
            match self.rx.recv_timeout(timeout) {
                Ok(chunk) => self.pending.extend(chunk),
                Err(RecvTimeoutError::Timeout) => return Ok(0),
                Err(RecvTimeoutError::Disconnected) => return Err(DeviceError::Disconnected(self.name.clone())),
            }
        }
        let n = buf.len().min(self.pending.len());
        for (slot, b) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_cross_and_a_dropped_end_is_a_disconnect() {
        let (mut a, mut b) = PipeLink::pair("sim://points-terminal");
        a.write_all(b"abc").unwrap();
        let mut buf = [0u8; 2];
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)).unwrap(), 2);
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)).unwrap(), 1);
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)).unwrap(), 0);
        drop(a);
        assert!(matches!(b.read(&mut buf, Duration::from_millis(10)), Err(DeviceError::Disconnected(_))));
        assert!(b.write_all(b"x").is_err());
    }
}

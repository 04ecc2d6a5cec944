//! The card reader driver for USB HID readers: one input report per swipe, parsed by the
//! reader's protocol (MagTek clear, MagTek MagneSafe, or ID TECH enhanced carried in reports).

use super::framer::Framer;
use super::protocol::ReaderProtocol;
use super::{CardRead, CardReader};
use crate::transport::HidLink;
use crate::{Cancel, DeviceError};
use std::time::{Duration, Instant};
use till_core::Money;

/// How long the driver blocks in one read, so it sees a cancel within this time.
const POLL: Duration = Duration::from_millis(100);
/// Bigger than any report a supported reader sends (MagneSafe's is 856 bytes, more with newer
/// firmware; ID TECH frames stay under 1 KiB).
const REPORT_BUF: usize = 2048;
/// Reports spent discarding swipes from before the reader was armed.
const DRAIN_READS: usize = 16;

/// A card reader behind a [`HidLink`].
pub struct HidCardReader {
    link: Box<dyn HidLink>,
    protocol: ReaderProtocol,
    address: String,
}

impl HidCardReader {
    /// A driver for the reader on `link`, speaking `protocol`, known to the till as `address`.
    pub fn new(link: Box<dyn HidLink>, protocol: ReaderProtocol, address: String) -> Self {
        HidCardReader { link, protocol, address }
    }

    /// The protocol this driver speaks.
    pub fn protocol(&self) -> ReaderProtocol {
        self.protocol
    }

    fn parse(&self, report: &[u8]) -> Result<CardRead, DeviceError> {
        match self.protocol {
            // ID TECH puts its frame into the report after the report id and pads the rest;
            // the framer finds it wherever it starts.
            ReaderProtocol::IdtechEnhanced => {
                let mut framer = Framer::new();
                framer.push(report, Instant::now());
                match framer.next_frame() {
                    Some(frame) => frame.and_then(|f| self.protocol.parse_report(&f)),
                    None => Err(DeviceError::BadReport {
                        field: "frame",
                        reason: match framer.partial() {
                            Some(p) => format!("the report holds only {} of the frame's {} bytes", p.have, p.expected),
                            None => "the report holds no ID TECH frame".to_string(),
                        },
                    }),
                }
            }
            other => other.parse_report(report),
        }
    }

    fn disconnected(&self, e: DeviceError) -> DeviceError {
        match e {
            DeviceError::Disconnected(_) => DeviceError::Disconnected(self.address.clone()),
            other => other,
        }
    }
}

impl CardReader for HidCardReader {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn read_card(&mut self, _amount: Money, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError> {
        // The swipe readers supported here have no display, so there is no amount to show.
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; REPORT_BUF];
        // A swipe from before the amount was shown must never be charged for this sale.
        for _ in 0..DRAIN_READS {
            if self.link.read_report(&mut buf, Duration::from_millis(1)).map_err(|e| self.disconnected(e))? == 0 {
                break;
            }
        }
        loop {
            if cancel.is_cancelled() {
                return Err(DeviceError::Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(DeviceError::Timeout);
            }
            let n = self.link.read_report(&mut buf, (deadline - now).min(POLL)).map_err(|e| self.disconnected(e))?;
            if n > 0 {
                return self.parse(&buf[..n.min(buf.len())]);
            }
        }
    }
}

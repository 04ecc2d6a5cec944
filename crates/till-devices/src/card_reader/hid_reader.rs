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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use till_core::Currency;

    /// A device that hands out scripted reports, one per read, then nothing.
    struct Scripted(VecDeque<Vec<u8>>);

    impl HidLink for Scripted {
        fn read_report(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, DeviceError> {
            let report = self.0.pop_front().unwrap_or_default();
            let n = report.len().min(buf.len());
            buf[..n].copy_from_slice(&report[..n]);
            Ok(n)
        }

        fn send_feature_report(&mut self, _report: &[u8]) -> Result<(), DeviceError> {
            Ok(())
        }

        fn get_feature_report(&mut self, _buf: &mut [u8]) -> Result<usize, DeviceError> {
            Ok(0)
        }
    }

    fn read(protocol: ReaderProtocol, report: Vec<u8>) -> Result<CardRead, DeviceError> {
        // The first read is the drain at arming, so it gets nothing.
        let link = Scripted(VecDeque::from([vec![], report]));
        let mut r = HidCardReader::new(Box::new(link), protocol, "hid://test".into());
        r.read_card(Money::new(1, Currency::CNY), Duration::from_millis(50), &Cancel::new())
    }

    #[test]
    fn an_idtech_frame_is_found_inside_a_padded_report() {
        let card = &super::super::test_cards::CATALOGUE[1];
        let mut rng = rand::rngs::mock::StepRng::new(1, 7);
        let frame = super::super::sim_reports::idtech_frame(card, &mut rng, [0xFF; 10]);
        // A report id in front, zero padding behind, as a HID report carries it.
        let report = [&[0x01][..], &frame, &[0u8; 40]].concat();
        assert_eq!(read(ReaderProtocol::IdtechEnhanced, report).unwrap().masked_pan.last4(), "4444");
        let e = read(ReaderProtocol::IdtechEnhanced, frame[..frame.len() - 9].to_vec()).unwrap_err();
        assert!(matches!(&e, DeviceError::BadReport { field: "frame", reason } if reason.contains("only")), "{e:?}");
        let e = read(ReaderProtocol::IdtechEnhanced, vec![0x55; 30]).unwrap_err();
        assert!(matches!(e, DeviceError::BadReport { field: "frame", .. }), "{e:?}");
    }

    proptest! {
        #[test]
        fn any_report_in_any_protocol_never_panics(
            report in proptest::collection::vec(any::<u8>(), 1..1200),
            which in 0usize..3,
        ) {
            let _ = read(ReaderProtocol::ALL[which], report);
        }
    }
}

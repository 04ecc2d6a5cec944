//! The card reader driver for readers on a byte stream: ID TECH readers in USB-CDC mode
//! (enhanced encrypted output) on a serial port, or a simulator on a pseudo-terminal.

use super::framer::Framer;
use super::protocol::ReaderProtocol;
use super::{CardRead, CardReader};
use crate::transport::ByteLink;
use crate::{Cancel, DeviceError};
use std::time::{Duration, Instant};
use till_core::Money;

/// How long the driver blocks in one read, so it sees a cancel within this time.
const POLL: Duration = Duration::from_millis(100);
/// Silence after a frame has begun that means the reader stopped mid-frame.
pub const FRAME_GAP: Duration = Duration::from_millis(300);
/// Reads spent discarding what arrived before the reader was armed.
const DRAIN_READS: usize = 64;

/// An ID TECH enhanced-format reader on a [`ByteLink`].
pub struct SerialCardReader {
    link: Box<dyn ByteLink>,
    address: String,
    framer: Framer,
}

impl SerialCardReader {
    /// A driver for the reader on `link`, known to the till as `address`.
    pub fn new(link: Box<dyn ByteLink>, address: String) -> Self {
        SerialCardReader { link, address, framer: Framer::new() }
    }

    /// The protocol this driver speaks (the only one that runs over a byte stream).
    pub fn protocol(&self) -> ReaderProtocol {
        ReaderProtocol::IdtechEnhanced
    }

    /// Throws away bytes that arrived while nobody was paying: a swipe from before the amount
    /// was shown must never be charged for this sale.
    fn drain(&mut self) -> Result<(), DeviceError> {
        let mut buf = [0u8; 512];
        for _ in 0..DRAIN_READS {
            if self.link.read(&mut buf, Duration::from_millis(1))? == 0 {
                break;
            }
        }
        self.framer.clear();
        Ok(())
    }
}

fn truncated(have: usize, expected: usize) -> DeviceError {
    DeviceError::BadReport {
        field: "frame",
        reason: if expected == 0 {
            "the reader stopped sending inside the frame header".to_string()
        } else {
            format!("the reader stopped sending after {have} of {expected} bytes")
        },
    }
}

impl CardReader for SerialCardReader {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn read_card(&mut self, _amount: Money, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError> {
        // ID TECH swipe readers have no display, so there is no amount to show.
        let started = Instant::now();
        self.drain()?;
        let deadline = started + timeout;
        let mut buf = [0u8; 512];
        loop {
            if cancel.is_cancelled() {
                return Err(DeviceError::Cancelled);
            }
            if let Some(frame) = self.framer.next_frame() {
                return frame.and_then(|f| self.protocol().parse_report(&f));
            }
            let now = Instant::now();
            if let Some(p) = self.framer.stalled(now, FRAME_GAP) {
                self.framer.clear();
                return Err(truncated(p.have, p.expected));
            }
            if now >= deadline {
                return Err(match self.framer.partial() {
                    Some(p) => truncated(p.have, p.expected),
                    None => DeviceError::Timeout,
                });
            }
            let wait = (deadline - now).min(POLL);
            let n = self.link.read(&mut buf, wait).map_err(|e| match e {
                // Say which reader went away, not which pseudo-terminal or port path.
                DeviceError::Disconnected(_) => DeviceError::Disconnected(self.address.clone()),
                other => other,
            })?;
            self.framer.push(&buf[..n.min(buf.len())], Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use till_core::Currency;

    /// A link that hands out scripted chunks, one per read, then silence.
    struct Scripted(VecDeque<Vec<u8>>);

    impl ByteLink for Scripted {
        fn write_all(&mut self, _bytes: &[u8]) -> Result<(), DeviceError> {
            Ok(())
        }

        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
            match self.0.pop_front() {
                Some(chunk) => {
                    let n = chunk.len().min(buf.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    Ok(n)
                }
                None => {
                    std::thread::sleep(timeout.min(Duration::from_millis(5)));
                    Ok(0)
                }
            }
        }
    }

    fn amount() -> Money {
        Money::new(100, Currency::parse("CNY").unwrap())
    }

    fn reader(chunks: Vec<Vec<u8>>) -> SerialCardReader {
        // The first read is the drain at arming, so it gets nothing.
        let script: VecDeque<Vec<u8>> = std::iter::once(vec![]).chain(chunks).collect();
        SerialCardReader::new(Box::new(Scripted(script)), "serial://test".into())
    }

    #[test]
    fn a_frame_that_stops_half_way_is_reported_after_the_gap() {
        let card = &crate::card_reader::test_cards::CATALOGUE[0];
        let mut rng = rand::rngs::mock::StepRng::new(3, 5);
        let frame = crate::card_reader::sim_reports::idtech_frame(card, &mut rng, [0xEE; 10]);
        let mut r = reader(vec![frame[..40].to_vec()]);
        let started = Instant::now();
        let e = r.read_card(amount(), Duration::from_secs(5), &Cancel::new()).unwrap_err();
        assert_eq!(e, truncated(40, frame.len()));
        assert!(started.elapsed() < Duration::from_secs(2));
        // Cut inside the header, and the wait ends: the error says so rather than "timeout".
        let mut r = reader(vec![vec![0x02]]);
        let e = r.read_card(amount(), Duration::from_millis(100), &Cancel::new()).unwrap_err();
        assert_eq!(e, truncated(1, 0));
        // Noise holding a frame start, then the frame in two pieces.
        let mut r = reader(vec![vec![0x41, 0x02, 0xFF, 0x7F, 0x10], frame[..9].to_vec(), frame[9..].to_vec()]);
        assert_eq!(r.read_card(amount(), Duration::from_secs(1), &Cancel::new()).unwrap().masked_pan.last4(), "1111");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_bytes_from_the_line_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..6)
        ) {
            let mut r = reader(chunks);
            let _ = r.read_card(amount(), Duration::from_millis(30), &Cancel::new());
        }
    }
}

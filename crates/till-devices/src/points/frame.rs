//! Framing: `STX | LEN u16 BE | BODY | CRC u16 BE | ETX`, and a receiver that takes bytes as the
//! serial port delivers them and turns them into frames, link control bytes and faults.
//!
//! The CRC (CRC-16/CCITT-FALSE) covers LEN and BODY. BODY is at most [`MAX_BODY`] bytes. Outside
//! a frame, [`ACK`] and [`NAK`] are link control bytes and every other byte is noise.

use super::crc::crc16_ccitt_false;
use crate::transport::ByteLink;
use crate::DeviceError;
use std::time::{Duration, Instant};

/// Start of a frame.
pub const STX: u8 = 0x02;
/// End of a frame.
pub const ETX: u8 = 0x03;
/// "Your frame arrived intact."
pub const ACK: u8 = 0x06;
/// "Your frame arrived broken; send it again."
pub const NAK: u8 = 0x15;
/// The longest BODY a frame may carry.
pub const MAX_BODY: usize = 1024;
/// The longest silence allowed between two bytes of one frame.
pub const INTER_BYTE_GAP: Duration = Duration::from_millis(200);
/// Bytes a frame adds around its BODY: STX, LEN (2), CRC (2), ETX.
pub const OVERHEAD: usize = 6;

/// Wraps `body` in a frame, or refuses a body longer than [`MAX_BODY`].
pub fn encode(body: &[u8]) -> Result<Vec<u8>, DeviceError> {
    let len = u16::try_from(body.len()).ok().filter(|&l| usize::from(l) <= MAX_BODY).ok_or_else(|| {
        DeviceError::PointsBadMessage {
            field: "frame",
            reason: format!("a body of {} bytes is over the {MAX_BODY}-byte limit", body.len()),
        }
    })?;
    let mut frame = Vec::with_capacity(body.len() + OVERHEAD);
    frame.push(STX);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    let crc = crc16_ccitt_false(&frame[1..]);
    frame.extend_from_slice(&crc.to_be_bytes());
    frame.push(ETX);
    Ok(frame)
}

/// Why a started frame was thrown away. The receiver answers each with a NAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFault {
    /// The CRC does not match LEN and BODY.
    BadCrc,
    /// LEN announces more than [`MAX_BODY`] bytes.
    TooLong(u16),
    /// The byte after the CRC is not ETX.
    MissingEtx,
    /// The frame stopped for longer than the inter-byte gap (cut short, or the sender stalled).
    Gap,
}

impl FrameFault {
    /// The error to report when this fault is the last thing the terminal sent.
    pub fn into_error(self) -> DeviceError {
        match self {
            FrameFault::BadCrc => DeviceError::PointsBadCrc,
            FrameFault::TooLong(len) => {
                DeviceError::PointsBadFrame(format!("a frame announced {len} bytes, over the {MAX_BODY}-byte limit"))
            }
            FrameFault::MissingEtx => DeviceError::PointsBadFrame("a frame did not end with ETX".into()),
            FrameFault::Gap => DeviceError::PointsBadFrame("a frame stopped half-way (truncated)".into()),
        }
    }
}

/// What the receiver made of the bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RxEvent {
    /// An intact frame's BODY.
    Frame(Vec<u8>),
    /// A started frame was broken; answer with NAK.
    Fault(FrameFault),
    /// The peer acknowledged our frame.
    Ack,
    /// The peer refused our frame.
    Nak,
}

enum Check {
    Incomplete,
    Good(usize),
    Bad(FrameFault),
}

/// Turns a byte stream into [`RxEvent`]s, resynchronising on the next STX after any fault, so a
/// stray STX in line noise cannot swallow the real frame behind it.
#[derive(Debug)]
pub struct FrameReceiver {
    buf: Vec<u8>,
    last_byte: Option<Instant>,
    gap: Duration,
}

impl Default for FrameReceiver {
    fn default() -> Self {
        FrameReceiver::new(INTER_BYTE_GAP)
    }
}

impl FrameReceiver {
    /// A receiver that gives up on a frame after `gap` without a byte.
    pub fn new(gap: Duration) -> Self {
        FrameReceiver { buf: Vec::with_capacity(MAX_BODY + OVERHEAD), last_byte: None, gap }
    }

    /// Whether part of a frame is waiting for more bytes.
    pub fn in_frame(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Feeds bytes that arrived at `now`, appending what they complete to `out`.
    pub fn push(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<RxEvent>) {
        for &b in bytes {
            self.poll(now, out);
            self.last_byte = Some(now);
            if self.buf.is_empty() {
                match b {
                    STX => self.buf.push(b),
                    ACK => out.push(RxEvent::Ack),
                    NAK => out.push(RxEvent::Nak),
                    _ => {}
                }
                continue;
            }
            self.buf.push(b);
            self.settle(out);
        }
    }

    /// Reports a frame that has stalled for longer than the inter-byte gap at `now`.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<RxEvent>) {
        let stalled = self.last_byte.is_some_and(|t| now.saturating_duration_since(t) > self.gap);
        if self.buf.is_empty() || !stalled {
            return;
        }
        out.push(RxEvent::Fault(FrameFault::Gap));
        // A complete frame may hide behind the stalled one's STX; anything still incomplete is as
        // stale as the frame that stalled.
        self.skip_to_next_stx();
        let mut quiet = Vec::new();
        self.settle_quietly(&mut quiet);
        out.extend(quiet.into_iter().filter(|e| matches!(e, RxEvent::Frame(_))));
        self.buf.clear();
    }

    /// Reads what `link` delivers within `wait` and returns the events those bytes (and the
    /// time passed) produce: the one way both ends of the link take bytes in.
    pub fn read_from(&mut self, link: &mut dyn ByteLink, wait: Duration) -> Result<Vec<RxEvent>, DeviceError> {
        let mut buf = [0u8; 512];
        let n = link.read(&mut buf, wait)?;
        let now = Instant::now();
        let mut events = Vec::new();
        // A link may over-report its read length; never index past the buffer.
        self.push(&buf[..n.min(buf.len())], now, &mut events);
        self.poll(now, &mut events);
        Ok(events)
    }

    fn settle(&mut self, out: &mut Vec<RxEvent>) {
        match check(&self.buf) {
            Check::Incomplete => {}
            Check::Good(end) => {
                out.push(RxEvent::Frame(self.buf[3..end - 3].to_vec()));
                self.buf.drain(..end);
                self.skip_to_stx();
            }
            Check::Bad(fault) => {
                out.push(RxEvent::Fault(fault));
                self.skip_to_next_stx();
                let mut quiet = Vec::new();
                self.settle_quietly(&mut quiet);
                // One NAK per broken frame is enough; frames found behind it still count.
                out.extend(quiet.into_iter().filter(|e| matches!(e, RxEvent::Frame(_))));
            }
        }
    }

    fn settle_quietly(&mut self, out: &mut Vec<RxEvent>) {
        while !self.buf.is_empty() {
            match check(&self.buf) {
                Check::Incomplete => return,
                Check::Good(end) => {
                    out.push(RxEvent::Frame(self.buf[3..end - 3].to_vec()));
                    self.buf.drain(..end);
                    self.skip_to_stx();
                }
                Check::Bad(_) => self.skip_to_next_stx(),
            }
        }
    }

    fn skip_to_next_stx(&mut self) {
        let next = self.buf.iter().skip(1).position(|&b| b == STX).map_or(self.buf.len(), |p| p + 1);
        self.buf.drain(..next);
    }

    fn skip_to_stx(&mut self) {
        let next = self.buf.iter().position(|&b| b == STX).unwrap_or(self.buf.len());
        self.buf.drain(..next);
    }
}

fn check(buf: &[u8]) -> Check {
    let (Some(&hi), Some(&lo)) = (buf.get(1), buf.get(2)) else { return Check::Incomplete };
    let len = u16::from_be_bytes([hi, lo]);
    if usize::from(len) > MAX_BODY {
        return Check::Bad(FrameFault::TooLong(len));
    }
    let end = usize::from(len) + OVERHEAD;
    if buf.len() < end {
        return Check::Incomplete;
    }
    if buf[end - 1] != ETX {
        return Check::Bad(FrameFault::MissingEtx);
    }
    let crc = u16::from_be_bytes([buf[end - 3], buf[end - 2]]);
    if crc != crc16_ccitt_false(&buf[1..end - 3]) {
        return Check::Bad(FrameFault::BadCrc);
    }
    Check::Good(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn events(rx: &mut FrameReceiver, bytes: &[u8], now: Instant) -> Vec<RxEvent> {
        let mut out = Vec::new();
        rx.push(bytes, now, &mut out);
        out
    }

    #[test]
    fn encodes_byte_exact() {
        // BODY = VER 01, SEQ 0001, TYPE 13 (STATUS), no payload; CRC over 00 04 01 00 01 13.
        let frame = encode(&[0x01, 0x00, 0x01, 0x13]).unwrap();
        let crc = crc16_ccitt_false(&[0x00, 0x04, 0x01, 0x00, 0x01, 0x13]).to_be_bytes();
        assert_eq!(frame, vec![0x02, 0x00, 0x04, 0x01, 0x00, 0x01, 0x13, crc[0], crc[1], 0x03]);
        assert_eq!(encode(&[]).unwrap(), vec![0x02, 0x00, 0x00, 0x1D, 0x0F, 0x03]);
    }

    #[test]
    fn refuses_a_body_over_1024_bytes_and_takes_exactly_1024() {
        assert!(encode(&[0u8; MAX_BODY + 1]).is_err());
        let frame = encode(&[7u8; MAX_BODY]).unwrap();
        let mut rx = FrameReceiver::default();
        assert_eq!(events(&mut rx, &frame, Instant::now()), vec![RxEvent::Frame(vec![7u8; MAX_BODY])]);
    }

    #[test]
    fn decodes_one_byte_at_a_time_and_sees_ack_nak_between_frames() {
        let body = b"\x01\x00\x07\x81hello".to_vec();
        let frame = encode(&body).unwrap();
        let mut rx = FrameReceiver::default();
        let now = Instant::now();
        let mut out = Vec::new();
        for b in [&[ACK][..], &[0x55], &frame, &[NAK]].concat() {
            rx.push(&[b], now, &mut out);
        }
        assert_eq!(out, vec![RxEvent::Ack, RxEvent::Frame(body), RxEvent::Nak]);
        assert!(!rx.in_frame());
    }

    #[test]
    fn a_bad_crc_is_a_fault_and_the_next_frame_still_decodes() {
        let mut bad = encode(b"abc").unwrap();
        bad[5] ^= 0x01;
        let good = encode(b"xyz").unwrap();
        let mut rx = FrameReceiver::default();
        let out = events(&mut rx, &[bad, good].concat(), Instant::now());
        assert_eq!(out, vec![RxEvent::Fault(FrameFault::BadCrc), RxEvent::Frame(b"xyz".to_vec())]);
    }

    #[test]
    fn a_stray_stx_in_noise_does_not_swallow_the_real_frame() {
        let good = encode(b"real frame").unwrap();
        let noise = [0x00, 0xFF, STX, 0x00, 0x04, 0xAA, 0x03, 0x7E];
        let mut rx = FrameReceiver::default();
        let out = events(&mut rx, &[&noise[..], &good].concat(), Instant::now());
        assert_eq!(out, vec![RxEvent::Fault(FrameFault::MissingEtx), RxEvent::Frame(b"real frame".to_vec())]);
    }

    #[test]
    fn a_length_over_1024_is_refused_at_once() {
        let mut rx = FrameReceiver::default();
        let out = events(&mut rx, &[STX, 0x04, 0x01], Instant::now());
        assert_eq!(out, vec![RxEvent::Fault(FrameFault::TooLong(1025))]);
        assert!(!rx.in_frame());
    }

    #[test]
    fn a_truncated_frame_is_a_gap_fault_after_200_ms_and_the_resent_frame_decodes() {
        let frame = encode(b"payload").unwrap();
        let t0 = Instant::now();
        let mut rx = FrameReceiver::default();
        assert!(events(&mut rx, &frame[..5], t0).is_empty());
        let mut out = Vec::new();
        rx.poll(t0 + Duration::from_millis(200), &mut out);
        assert!(out.is_empty(), "200 ms is still within the gap");
        rx.poll(t0 + Duration::from_millis(201), &mut out);
        assert_eq!(out, vec![RxEvent::Fault(FrameFault::Gap)]);
        let out = events(&mut rx, &frame, t0 + Duration::from_millis(300));
        assert_eq!(out, vec![RxEvent::Frame(b"payload".to_vec())]);
    }

    #[test]
    fn a_late_byte_after_the_gap_starts_afresh() {
        let frame = encode(b"payload").unwrap();
        let t0 = Instant::now();
        let mut rx = FrameReceiver::default();
        events(&mut rx, &frame[..4], t0);
        let out = events(&mut rx, &frame, t0 + Duration::from_millis(250));
        assert_eq!(out, vec![RxEvent::Fault(FrameFault::Gap), RxEvent::Frame(b"payload".to_vec())]);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_frames_stay_within_the_limit(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
            gaps in proptest::collection::vec(0u64..400, 12),
        ) {
            let mut rx = FrameReceiver::default();
            let mut now = Instant::now();
            for (chunk, gap) in chunks.iter().zip(gaps) {
                now += Duration::from_millis(gap);
                let mut out = Vec::new();
                rx.push(chunk, now, &mut out);
                rx.poll(now, &mut out);
                for e in out {
                    if let RxEvent::Frame(body) = e {
                        prop_assert!(body.len() <= MAX_BODY);
                    }
                }
            }
        }

        #[test]
        fn any_body_survives_noise_before_it(body in proptest::collection::vec(any::<u8>(), 0..200),
                                              noise in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut rx = FrameReceiver::default();
            let mut out = Vec::new();
            let now = Instant::now();
            rx.push(&noise, now, &mut out);
            rx.poll(now + Duration::from_millis(201), &mut out);
            rx.push(&encode(&body).unwrap(), now + Duration::from_millis(300), &mut out);
            prop_assert!(out.contains(&RxEvent::Frame(body)));
        }
    }
}

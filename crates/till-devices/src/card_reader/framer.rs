//! Finding ID TECH frames (`02 | LenL LenH | CardData | LRC | CheckSum | 03`) in a byte stream
//! that may also carry line noise, half frames and frames with bad check bytes.
//!
//! A serial line delivers a frame in pieces, maybe after noise (a cable plugged in mid-byte, a
//! reader waking up). The framer keeps what has arrived and, on each [`Framer::next_frame`],
//! looks at every `02` as a possible frame start: one whose length is implausible or whose
//! `03` is not where the length puts it is noise and is skipped. A frame in place whose check
//! bytes are wrong is reported (the swipe was damaged: swipe again), unless a good frame
//! follows it in the buffer.

use super::idtech_enhanced::unframe;
use crate::DeviceError;
use std::time::{Duration, Instant};

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
/// The shortest CardData a reader sends: encode type, status, three lengths and two status
/// bytes.
const MIN_DATA: usize = 7;
/// More CardData than any reader sends (three 112-byte masked tracks, their ciphertext, hashes,
/// serial number and KSN stay well below it), so a bigger length marks a false start.
pub const MAX_DATA: usize = 1024;
/// Bytes kept while waiting for a frame's end, so a chattering line cannot grow the buffer.
const MAX_BUFFER: usize = 4 * (MAX_DATA + 6);

/// A stream's unread bytes.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    last_byte_at: Option<Instant>,
}

/// A frame start whose frame has not fully arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Bytes of the frame that arrived.
    pub have: usize,
    /// Bytes its length field promises.
    pub expected: usize,
}

impl Framer {
    /// An empty stream.
    pub fn new() -> Self {
        Framer::default()
    }

    /// Adds bytes that arrived at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Instant) {
        if bytes.is_empty() {
            return;
        }
        self.buf.extend_from_slice(bytes);
        self.last_byte_at = Some(now);
        if self.buf.len() > MAX_BUFFER {
            let cut = self.buf.len() - MAX_BUFFER;
            self.buf.drain(..cut);
        }
    }

    /// Forgets everything received.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.last_byte_at = None;
    }

    /// The next whole frame (checked: STX, length, ETX, LRC, checksum), or the error of a frame
    /// that arrived whole with bad check bytes; `None` while no whole frame is there. The bytes
    /// up to the end of what is returned are consumed.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, DeviceError>> {
        let mut damaged: Option<(usize, DeviceError)> = None;
        for start in self.starts() {
            let Some(end) = self.plausible_end(start) else { continue };
            let Some(frame) = self.buf.get(start..end) else { continue };
            match unframe(frame) {
                Ok(_) => {
                    let frame = frame.to_vec();
                    self.buf.drain(..end);
                    return Some(Ok(frame));
                }
                Err(e) if damaged.is_none() => damaged = Some((end, e)),
                Err(_) => {}
            }
        }
        if let Some((end, e)) = damaged {
            self.buf.drain(..end);
            return Some(Err(e));
        }
        // Bytes before the first frame start can never become part of a frame.
        match self.buf.iter().position(|&b| b == STX) {
            Some(first) => drop(self.buf.drain(..first)),
            None => self.buf.clear(),
        }
        None
    }

    /// The frame start that is still waiting for its end, if any: what a truncated frame looks
    /// like once the line falls silent.
    pub fn partial(&self) -> Option<Partial> {
        self.starts().into_iter().find_map(|start| {
            let rest = self.buf.get(start..)?;
            let expected = match rest.get(1..3) {
                Some(&[lo, hi]) => usize::from(u16::from_le_bytes([lo, hi])) + 6,
                _ => return Some(Partial { have: rest.len(), expected: 0 }),
            };
            let plausible = (MIN_DATA + 6..=MAX_DATA + 6).contains(&expected);
            (plausible && rest.len() < expected).then_some(Partial { have: rest.len(), expected })
        })
    }

    /// Whether a frame has begun and no byte has arrived for `gap`: at 9600 baud a byte takes
    /// about a millisecond, so a reader that pauses for hundreds has stopped mid-frame.
    pub fn stalled(&self, now: Instant, gap: Duration) -> Option<Partial> {
        let quiet = self.last_byte_at.is_some_and(|t| now.saturating_duration_since(t) >= gap);
        self.partial().filter(|_| quiet)
    }

    fn starts(&self) -> Vec<usize> {
        self.buf.iter().enumerate().filter(|(_, &b)| b == STX).map(|(i, _)| i).collect()
    }

    /// Where the frame starting at `start` ends, if its length is plausible, it has fully
    /// arrived and an ETX sits at its end.
    fn plausible_end(&self, start: usize) -> Option<usize> {
        let header = self.buf.get(start + 1..start + 3)?;
        let len = usize::from(u16::from_le_bytes([header[0], header[1]]));
        if !(MIN_DATA..=MAX_DATA).contains(&len) {
            return None;
        }
        let end = start + 3 + len + 3;
        (self.buf.get(end - 1) == Some(&ETX)).then_some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::sim_reports::idtech_frame_of;
    use proptest::prelude::*;

    fn frame() -> Vec<u8> {
        idtech_frame_of(&[0x80, 0, 0, 0, 0, 0, 0, 9, 9])
    }

    fn feed(bytes: &[u8]) -> Framer {
        let mut f = Framer::new();
        f.push(bytes, Instant::now());
        f
    }

    #[test]
    fn finds_a_frame_after_noise_and_in_pieces() {
        let good = frame();
        let mut f = feed(&[0xFF, 0x02, 0x00, 0x03, 0x41]);
        f.push(&good[..5], Instant::now());
        assert!(f.next_frame().is_none());
        f.push(&good[5..], Instant::now());
        assert_eq!(f.next_frame(), Some(Ok(good.clone())));
        assert!(f.next_frame().is_none());
        // A false start with a plausible length but no ETX in place is skipped too.
        let mut f = feed(&[0x02, 0x10, 0x00, 0x55]);
        f.push(&good, Instant::now());
        assert_eq!(f.next_frame(), Some(Ok(good)));
    }

    #[test]
    fn a_damaged_frame_is_reported_unless_a_good_one_follows() {
        let good = frame();
        let mut bad = good.clone();
        let at = bad.len() - 3;
        bad[at] ^= 1;
        let mut f = feed(&bad);
        assert!(matches!(f.next_frame(), Some(Err(DeviceError::BadReport { field: "LRC", .. }))));
        assert!(f.next_frame().is_none());
        let mut f = feed(&[bad.as_slice(), &good].concat());
        assert_eq!(f.next_frame(), Some(Ok(good)));
    }

    #[test]
    fn a_half_frame_is_partial_and_stalls_after_the_gap() {
        let good = frame();
        let t0 = Instant::now();
        let mut f = Framer::new();
        f.push(&good[..6], t0);
        assert!(f.next_frame().is_none());
        assert_eq!(f.partial(), Some(Partial { have: 6, expected: good.len() }));
        assert_eq!(f.stalled(t0 + Duration::from_millis(10), Duration::from_millis(300)), None);
        assert!(f.stalled(t0 + Duration::from_millis(300), Duration::from_millis(300)).is_some());
        f.clear();
        assert_eq!(f.partial(), None);
    }

    proptest! {
        #[test]
        fn any_bytes_in_any_pieces_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)
        ) {
            let mut f = Framer::new();
            for c in &chunks {
                f.push(c, Instant::now());
                while let Some(r) = f.next_frame() {
                    if let Ok(frame) = r {
                        prop_assert!(unframe(&frame).is_ok());
                    }
                }
                let _ = f.partial();
                prop_assert!(f.buf.len() <= MAX_BUFFER);
            }
        }
    }
}

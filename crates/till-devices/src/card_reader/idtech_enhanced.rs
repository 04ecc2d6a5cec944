//! ID TECH "enhanced encrypted" output (SecureMag family), over USB HID or USB-CDC serial.
//!
//! Frame: `02 | LenL LenH | CardData | CheckLRC | CheckSum | 03`, where the length counts
//! CardData, CheckLRC is the XOR of CardData and CheckSum its 8-bit sum.
//!
//! CardData, in order (ID TECH enhanced encrypted MSR data output format):
//! 1. encode type: 0x80 ISO enhanced, 0x81 AAMVA, 0x83 other, 0x84 raw;
//! 2. track status: bits 0..2 set when tracks 1..3 decoded;
//! 3. track 1, 2, 3 lengths (one byte each, clear-text lengths);
//! 4. clear/mask status: bits 0..2 masked tracks 1..3 present, bits 4..5 algorithm (0 TDES,
//!    1 AES), bit 6 key (0 data key, 1 PIN key), bit 7 serial number present;
//! 5. encrypted/hash status: bits 0..2 tracks 1..3 encrypted, bits 3..5 hashes of tracks 1..3
//!    present, bit 6 session id present, bit 7 KSN present;
//! 6. masked tracks (each as long as its track length; PAN digits masked with `*`);
//! 7. encrypted tracks (CBC, IV 0, zero-padded to the cipher's block: 8 bytes TDES, 16 AES);
//! 8. session id (8 bytes), if present;
//! 9. SHA-1 hashes of the clear tracks (20 bytes each), if present;
//! 10. serial number (10 bytes), if present;
//! 11. KSN (10 bytes), if present.
//!
//! The hashes and session id are checked for length and skipped: the payment platform needs
//! the ciphertext and KSN, and a hash of a track is card data the till has no use for.

use super::iso7813::{read_tracks, PanForm, Track};
use super::magtek_hid::track_text;
use super::{CardRead, EncryptedBlock};
use crate::DeviceError;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
const TRACK_NAMES: [&str; 3] = ["track 1", "track 2", "track 3"];
const MASKED_NAMES: [&str; 3] = ["masked track 1", "masked track 2", "masked track 3"];
const ENCRYPTED_NAMES: [&str; 3] = ["encrypted track 1", "encrypted track 2", "encrypted track 3"];
const HASH_NAMES: [&str; 3] = ["track 1 hash", "track 2 hash", "track 3 hash"];
const SESSION_ID_LEN: usize = 8;
const HASH_LEN: usize = 20;
const SERIAL_LEN: usize = 10;
const KSN_LEN: usize = 10;

fn bad(field: &'static str, reason: String) -> DeviceError {
    DeviceError::BadReport { field, reason }
}

/// XOR of all bytes: the frame's CheckLRC.
pub fn lrc(data: &[u8]) -> u8 {
    data.iter().fold(0, |a, b| a ^ b)
}

/// 8-bit sum of all bytes: the frame's CheckSum.
pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// Checks the frame (STX, length, ETX, LRC, checksum) and returns its CardData.
pub fn unframe(frame: &[u8]) -> Result<&[u8], DeviceError> {
    let (first, rest) = frame.split_first().ok_or_else(|| bad("frame", "empty".into()))?;
    if *first != STX {
        return Err(bad("frame start", format!("0x{first:02X}, expected STX 0x02")));
    }
    let (len, rest) = match rest {
        [lo, hi, rest @ ..] => (usize::from(u16::from_le_bytes([*lo, *hi])), rest),
        _ => return Err(bad("frame length", "the frame ends inside the length".into())),
    };
    // CardData, then CheckLRC, CheckSum and ETX.
    if rest.len() != len + 3 {
        return Err(bad("frame length", format!("says {len} data bytes, but {} follow it", rest.len())));
    }
    let (data, trailer) = rest.split_at(len);
    let [got_lrc, got_sum, etx] = [trailer[0], trailer[1], trailer[2]];
    if etx != ETX {
        return Err(bad("frame end", format!("0x{etx:02X}, expected ETX 0x03")));
    }
    if got_lrc != lrc(data) {
        return Err(bad("LRC", format!("0x{got_lrc:02X}, computed 0x{:02X}", lrc(data))));
    }
    if got_sum != checksum(data) {
        return Err(bad("checksum", format!("0x{got_sum:02X}, computed 0x{:02X}", checksum(data))));
    }
    Ok(data)
}

/// Walks CardData front to back, naming the field it ran out in.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, name: &'static str) -> Result<&'a [u8], DeviceError> {
        let left = self.data.len().saturating_sub(self.at);
        if len > left {
            return Err(bad(name, format!("needs {len} bytes, but the card data has only {left} left")));
        }
        let end = self.at + len;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self, name: &'static str) -> Result<u8, DeviceError> {
        Ok(self.take(1, name)?[0])
    }
}

/// Parses one framed report into a [`CardRead`] carrying the masked number and the encrypted
/// block.
pub fn parse(frame: &[u8]) -> Result<CardRead, DeviceError> {
    let mut c = Cursor { data: unframe(frame)?, at: 0 };
    match c.byte("card encode type")? {
        0x80 => {}
        0x81 => {
            return Err(DeviceError::BadRead {
                track: "card",
                reason: "this is a driving licence (AAMVA), not a payment card".into(),
            })
        }
        0x83 | 0x84 => return Err(DeviceError::BadRead { track: "card", reason: "not an ISO payment card".into() }),
        n => return Err(bad("card encode type", format!("unknown value 0x{n:02X}"))),
    }
    let track_status = c.byte("track status")?;
    let lengths = [c.byte("track 1 length")?, c.byte("track 2 length")?, c.byte("track 3 length")?].map(usize::from);
    let mask_status = c.byte("clear/mask status")?;
    let enc_status = c.byte("encrypted/hash status")?;
    let (algorithm, block) = match (mask_status >> 4) & 0b11 {
        0 => ("TDES", 8),
        1 => ("AES", 16),
        n => return Err(bad("clear/mask status", format!("unknown algorithm {n}"))),
    };
    let key = if mask_status & 0x40 != 0 { "PIN" } else { "data" };
    let bit = |byte: u8, i: usize| byte & (1 << i) != 0;

    let mut masked = [None; 3];
    for i in 0..3 {
        if bit(mask_status, i) {
            masked[i] = Some(c.take(lengths[i], MASKED_NAMES[i])?);
        }
    }
    let mut ciphertexts: [Option<Vec<u8>>; 3] = [None, None, None];
    for (i, out) in ciphertexts.iter_mut().enumerate() {
        if bit(enc_status, i) {
            // Zero padding to whole cipher blocks.
            let padded = lengths[i].div_ceil(block) * block;
            *out = Some(c.take(padded, ENCRYPTED_NAMES[i])?.to_vec());
        }
    }
    if bit(enc_status, 6) {
        c.take(SESSION_ID_LEN, "session id")?;
    }
    for (i, name) in HASH_NAMES.iter().enumerate() {
        if bit(enc_status, 3 + i) {
            c.take(HASH_LEN, name)?;
        }
    }
    let serial = if bit(mask_status, 7) { Some(c.take(SERIAL_LEN, "serial number")?.to_vec()) } else { None };
    let ksn = if bit(enc_status, 7) { Some(c.take(KSN_LEN, "KSN")?.to_vec()) } else { None };
    if c.at != c.data.len() {
        return Err(bad("card data", format!("{} bytes left over after the last field", c.data.len() - c.at)));
    }

    let encrypted = match (ciphertexts.iter().any(Option::is_some), ksn) {
        (false, _) => None,
        (true, Some(ksn)) => Some(EncryptedBlock {
            scheme: format!("idtech-enhanced {algorithm}-CBC DUKPT {key} key"),
            ksn,
            device_serial: serial,
            tracks: ciphertexts,
        }),
        (true, None) => return Err(bad("KSN", "encrypted tracks but no key serial number".into())),
    };
    let mut tracks = [Track::Absent; 2];
    for (i, slot) in tracks.iter_mut().enumerate() {
        *slot = match masked[i] {
            _ if !bit(track_status, i) && lengths[i] > 0 => Track::Failed,
            Some(t) if !t.is_empty() => {
                if encrypted.as_ref().is_none_or(|e| e.tracks[i].is_none()) {
                    return Err(DeviceError::BadRead {
                        track: TRACK_NAMES[i],
                        reason: "masked but not encrypted; is the reader's encryption on?".into(),
                    });
                }
                Track::Data(track_text(t, TRACK_NAMES[i])?)
            }
            _ if !bit(track_status, i) => Track::Failed,
            _ => Track::Absent,
        };
    }
    read_tracks(tracks[0], tracks[1], PanForm::Masked, encrypted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::iso7813::tests::{assert_pan_hidden, MAGTEK_PAN};
    use proptest::prelude::*;
    use till_core::CardBrand;

    /// ID TECH masks with `*` (here leaving the first 6 and last 4 digits clear), masks the
    /// service code and discretionary data, and the LRC after the end sentinel.
    const MASKED1: &str = "%*545230******7189^TEST/CARD^3112***************?*";
    const MASKED2: &str = ";545230******7189=3112**********?*";
    /// The X9.24-1 annex A.4 test KSN.
    const KSN: [u8; 10] = [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01];
    const SERIAL: &[u8; 10] = b"0123456789";

    fn frame(data: &[u8]) -> Vec<u8> {
        let len = (data.len() as u16).to_le_bytes();
        [&[STX, len[0], len[1]], data, &[lrc(data), checksum(data), ETX]].concat()
    }

    /// Builds CardData field by field from the documented order.
    fn card_data(mask_status: u8, enc_status: u8, block: usize) -> Vec<u8> {
        let (l1, l2) = (MASKED1.len(), MASKED2.len());
        let mut d = vec![0x80, 0b011, l1 as u8, l2 as u8, 0, mask_status, enc_status];
        d.extend_from_slice(MASKED1.as_bytes());
        d.extend_from_slice(MASKED2.as_bytes());
        d.extend((0..l1.div_ceil(block) * block).map(|i| 0xA0 ^ i as u8));
        d.extend((0..l2.div_ceil(block) * block).map(|i| 0xB0 ^ i as u8));
        if enc_status & 0x40 != 0 {
            d.extend_from_slice(&[0x5E; 8]);
        }
        d.extend_from_slice(&[0x11; 20]);
        d.extend_from_slice(&[0x22; 20]);
        d.extend_from_slice(SERIAL);
        d.extend_from_slice(&KSN);
        d
    }

    fn good() -> Vec<u8> {
        // Tracks 1, 2 masked; TDES, data key, serial present; tracks 1, 2 encrypted and hashed, KSN.
        frame(&card_data(0b1000_0011, 0b1001_1011, 8))
    }

    #[test]
    fn checks_the_documented_check_bytes() {
        assert_eq!((lrc(&[0x80, 0x03, 0xFF]), checksum(&[0x80, 0x03, 0xFF])), (0x7C, 0x82));
        assert_eq!((lrc(&[]), checksum(&[])), (0, 0));
        assert_eq!(unframe(&[0x02, 0x02, 0x00, 0x12, 0x34, 0x26, 0x46, 0x03]).unwrap(), &[0x12, 0x34]);
    }

    #[test]
    fn reads_a_documented_frame() {
        let f = good();
        let read = parse(&f).unwrap();
        assert_eq!(read.masked_pan.as_str(), "545230******7189");
        assert_eq!(
            (read.brand, read.expiry.as_str(), read.cardholder.as_deref()),
            (CardBrand::Mastercard, "3112", Some("TEST/CARD"))
        );
        // The service code is masked, so it cannot ask for a PIN.
        assert!(!read.pin_required);
        assert!(read.clear_pan().is_none());
        let block = read.encrypted().unwrap();
        assert_eq!(block.scheme, "idtech-enhanced TDES-CBC DUKPT data key");
        assert_eq!(block.ksn, KSN);
        assert_eq!(block.device_serial.as_deref(), Some(&SERIAL[..]));
        // Ciphertext is passed on byte for byte: it starts right after the masked tracks.
        let start = 3 + 7 + MASKED1.len() + MASKED2.len();
        assert_eq!(block.tracks[0].as_deref(), Some(&f[start..start + 56]));
        assert_eq!(block.tracks[1].as_deref(), Some(&f[start + 56..start + 56 + 40]));
        assert_eq!(block.tracks[2], None);
        assert_pan_hidden(&format!("{read:?}"), MAGTEK_PAN);
    }

    #[test]
    fn reads_aes_pin_key_and_session_id_variants() {
        let read = parse(&frame(&card_data(0b1101_0011, 0b1101_1011, 16))).unwrap();
        let block = read.encrypted().unwrap();
        assert_eq!(block.scheme, "idtech-enhanced AES-CBC DUKPT PIN key");
        assert_eq!(block.tracks[0].as_ref().map(Vec::len), Some(64));
        assert_eq!(block.tracks[1].as_ref().map(Vec::len), Some(48));
    }

    #[test]
    fn corrupted_frames_say_what_is_wrong() {
        let g = good();
        let n = g.len();
        let with = |at: usize, v: u8| {
            let mut f = g.clone();
            f[at] = v;
            f
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "frame"),
            (with(0, 0x01), "frame start"),
            (g[..2].to_vec(), "frame length"),
            (g[..n - 1].to_vec(), "frame length"),
            ([g.as_slice(), &[0]].concat(), "frame length"),
            (with(n - 1, 0x04), "frame end"),
            (with(n - 3, g[n - 3] ^ 1), "LRC"),
            (with(n - 2, g[n - 2].wrapping_add(1)), "checksum"),
            // A flipped data byte fails the LRC.
            (with(20, g[20] ^ 0x10), "LRC"),
            (frame(&[0x80, 3, 10, 10]), "track 3 length"),
            (frame(&[0x85, 3, 0, 0, 0, 0, 0]), "card encode type"),
            (frame(&[0x80, 3, 0, 0, 0, 0x20, 0]), "clear/mask status"),
            (
                {
                    // Encrypted tracks, the KSN bit clear and no KSN bytes.
                    let d = card_data(0b1000_0011, 0b0001_1011, 8);
                    frame(&d[..d.len() - 10])
                },
                "KSN",
            ),
            (frame(&[card_data(0b1000_0011, 0b1001_1011, 8).as_slice(), &[0]].concat()), "card data"),
            (frame(&card_data(0b1000_0011, 0b1001_1011, 8)[..160]), "encrypted track 2"),
        ];
        for (f, which) in &cases {
            let e = parse(f).unwrap_err();
            assert!(matches!(e, DeviceError::BadReport { field, .. } if field == *which), "{which}: {e:?}");
            assert_pan_hidden(&e.to_string(), MAGTEK_PAN);
        }
    }

    #[test]
    fn the_checksum_catches_what_the_lrc_misses() {
        // Flipping the same bit in two data bytes keeps the XOR but changes the sum.
        let mut f = good();
        f[20] ^= 0x01;
        f[21] ^= 0x01;
        let e = parse(&f).unwrap_err();
        assert!(matches!(e, DeviceError::BadReport { field: "checksum", .. }), "{e:?}");
    }

    #[test]
    fn bad_cards_and_tracks_are_named() {
        let e = parse(&frame(&[0x81, 0, 0, 0, 0, 0, 0])).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "card", .. }));
        // Track 2 not decoded, track 1 absent.
        let e = parse(&frame(&[0x80, 0b001, 0, 5, 0, 0, 0])).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "track 2", .. }), "{e:?}");
        // Masked tracks without encryption cannot pay.
        let mut d = card_data(0b1000_0011, 0b1001_1011, 8);
        d[6] = 0b0000_0000;
        let end = 7 + MASKED1.len() + MASKED2.len();
        let d = [&d[..end], SERIAL.as_slice()].concat();
        let e = parse(&frame(&d)).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "track 1", .. }), "{e:?}");
    }

    #[test]
    fn a_reader_that_masks_the_bin_is_told_to_leave_it_clear() {
        // ID TECH's default leaves only the first 4 digits clear; the till needs the BIN (6).
        let (t1, t2) = ("%*5452**********7189^TEST/CARD^3112***************?*", ";5452**********7189=3112**********?*");
        let mut d = vec![0x80, 0b011, t1.len() as u8, t2.len() as u8, 0, 0b0000_0011, 0b1000_0011];
        d.extend_from_slice(t1.as_bytes());
        d.extend_from_slice(t2.as_bytes());
        d.extend(std::iter::repeat_n(0xC3, t1.len().div_ceil(8) * 8 + t2.len().div_ceil(8) * 8));
        d.extend_from_slice(&KSN);
        let e = parse(&frame(&d)).unwrap_err();
        match e {
            DeviceError::BadRead { track: "track 1", reason } => {
                assert!(reason.contains("first six digits"), "{reason}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn any_card_data_behind_a_good_header_parses_or_errs(
            status: u8,
            lens in proptest::array::uniform3(0u8..80),
            mask: u8,
            enc: u8,
            body in proptest::collection::vec(any::<u8>(), 0..500),
        ) {
            let d = [&[0x80, status, lens[0], lens[1], lens[2], mask, enc], body.as_slice()].concat();
            let _ = parse(&frame(&d));
        }

        #[test]
        fn any_bytes_parse_or_err_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_well_framed_data_parses_or_errs(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            // Framed correctly, so the parser gets past the check bytes into the fields.
            let _ = parse(&frame(&data));
        }

        #[test]
        fn a_corrupted_good_card_data_never_panics(at in 0usize..300, value: u8) {
            let mut d = card_data(0b1000_0011, 0b1001_1011, 8);
            let at = at % d.len();
            d[at] = value;
            if let Err(e) = parse(&frame(&d)) {
                prop_assert!(!e.to_string().contains(MAGTEK_PAN));
            }
        }
    }
}

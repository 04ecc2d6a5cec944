//! MagTek MagneSafe encrypting USB HID readers: the report carries each track twice, masked
//! (for display) and encrypted (for the payment platform), with the DUKPT key serial number
//! and the reader's serial. The till shows the masked copy and passes the encrypted tracks,
//! KSN and serial on untouched; it never holds a key that could decrypt them.
//!
//! Layout (MagTek MagneSafe USB HID technical reference):
//!
//! | offset | field |
//! |---|---|
//! | 0..2 | decode status tracks 1..3 (bit 0 set = error) |
//! | 3..5 | encrypted lengths tracks 1..3 |
//! | 6 | encode type |
//! | 7..118, 119..230, 231..342 | encrypted tracks 1, 2, 3 (112 bytes each) |
//! | 343 | card status |
//! | 344..347 | MagnePrint status |
//! | 348 | MagnePrint length |
//! | 349..476 | MagnePrint data |
//! | 477..492 | device serial number |
//! | 493..494 | reader encryption status |
//! | 495..504 | KSN (10 bytes) |
//! | 505..507 | masked lengths tracks 1..3 |
//! | 508..619, 620..731, 732..843 | masked tracks 1, 2, 3 (112 bytes each) |
//! | 844..851 | encrypted session id |
//! | 852..854 | absolute lengths tracks 1..3 |
//! | 855 | MagnePrint absolute length |
//!
//! Tracks are encrypted with TDES-CBC, IV 0, zero-padded to 8 bytes, under the DUKPT
//! transaction key's PIN variant.

use super::iso7813::{read_tracks, PanForm, Track};
use super::magtek_hid::{check_encode_type, track_text};
use super::{field, CardRead, EncryptedBlock};
use crate::DeviceError;

/// The shortest report that holds every documented field (up to offset 855).
pub const REPORT_LEN: usize = 856;
/// Name of the encryption the reader applies, as passed to the payment platform.
pub const SCHEME: &str = "magtek-magnesafe TDES-CBC DUKPT PIN variant";
const SLOT: usize = 112;
const ENCRYPTED_AT: [usize; 3] = [7, 119, 231];
const MASKED_AT: [usize; 3] = [508, 620, 732];
const SERIAL_AT: usize = 477;
const SERIAL_LEN: usize = 16;
const KSN_AT: usize = 495;
const KSN_LEN: usize = 10;
const TRACK_NAMES: [&str; 3] = ["track 1", "track 2", "track 3"];
const ENCRYPTED_NAMES: [&str; 3] = ["track 1 encrypted length", "track 2 encrypted length", "track 3 encrypted length"];
const MASKED_NAMES: [&str; 3] = ["track 1 masked length", "track 2 masked length", "track 3 masked length"];

fn slot_len(len: u8, name: &'static str) -> Result<usize, DeviceError> {
    let len = usize::from(len);
    if len > SLOT {
        return Err(DeviceError::BadReport {
            field: name,
            reason: format!("{len} is more than the {SLOT} bytes the report holds"),
        });
    }
    Ok(len)
}

/// Parses one report into a [`CardRead`] carrying the masked number and the encrypted block.
/// Longer reports (later firmware appends fields) are accepted; the extra bytes are ignored.
pub fn parse(report: &[u8]) -> Result<CardRead, DeviceError> {
    if report.len() < REPORT_LEN {
        return Err(DeviceError::BadReport {
            field: "report length",
            reason: format!("{} bytes, expected at least {REPORT_LEN}", report.len()),
        });
    }
    let status = field(report, 0, 3, "decode status")?;
    let encrypted_lengths = field(report, 3, 3, "encrypted lengths")?;
    check_encode_type(field(report, 6, 1, "card encode type")?[0])?;
    let masked_lengths = field(report, 505, 3, "masked lengths")?;
    let mut ciphertexts: [Option<Vec<u8>>; 3] = [None, None, None];
    for (i, out) in ciphertexts.iter_mut().enumerate() {
        let len = slot_len(encrypted_lengths[i], ENCRYPTED_NAMES[i])?;
        if len % 8 != 0 {
            // TDES-CBC output is whole 8-byte blocks; anything else was cut short.
            return Err(DeviceError::BadReport {
                field: ENCRYPTED_NAMES[i],
                reason: format!("{len} is not a multiple of 8"),
            });
        }
        if len > 0 {
            *out = Some(field(report, ENCRYPTED_AT[i], len, TRACK_NAMES[i])?.to_vec());
        }
    }
    let ksn = field(report, KSN_AT, KSN_LEN, "KSN")?;
    if ksn.iter().all(|&b| b == 0) || ksn.iter().all(|&b| b == 0xFF) {
        return Err(DeviceError::BadReport { field: "KSN", reason: "the reader sent no key serial number".into() });
    }
    let masked_lengths = [
        slot_len(masked_lengths[0], MASKED_NAMES[0])?,
        slot_len(masked_lengths[1], MASKED_NAMES[1])?,
        slot_len(masked_lengths[2], MASKED_NAMES[2])?,
    ];
    let mut tracks = [Track::Absent; 2];
    for (i, slot) in tracks.iter_mut().enumerate() {
        let len = masked_lengths[i];
        if status[i] & 1 != 0 {
            *slot = Track::Failed;
        } else if len > 0 {
            if ciphertexts[i].is_none() {
                return Err(DeviceError::BadRead {
                    track: TRACK_NAMES[i],
                    reason: "masked but not encrypted; is the reader's encryption on?".into(),
                });
            }
            *slot = Track::Data(track_text(field(report, MASKED_AT[i], len, TRACK_NAMES[i])?, TRACK_NAMES[i])?);
        }
    }
    let block = EncryptedBlock {
        scheme: SCHEME.to_string(),
        ksn: ksn.to_vec(),
        device_serial: Some(field(report, SERIAL_AT, SERIAL_LEN, "device serial number")?.to_vec()),
        tracks: ciphertexts,
    };
    read_tracks(tracks[0], tracks[1], PanForm::Masked, Some(block))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::card_reader::iso7813::tests::{assert_pan_hidden, MAGTEK_PAN};
    use proptest::prelude::*;
    use till_core::CardBrand;

    /// MagTek masks with `0` by default, leaving the first 6 and last 4 digits clear.
    pub(crate) const MASKED1: &str = "%B5452300000007189^TEST/CARD^3112101000000000000?";
    pub(crate) const MASKED2: &str = ";5452300000007189=31121010000000000?";
    /// The X9.24-1 annex A.4 test KSN.
    pub(crate) const KSN: [u8; 10] = [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01];
    pub(crate) const SERIAL: &[u8; 16] = b"B1234567\0\0\0\0\0\0\0\0";

    fn cipher(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| seed.wrapping_add(i as u8).wrapping_mul(37)).collect()
    }

    /// Builds a report byte by byte from the documented layout.
    pub(crate) fn report(status: [u8; 3], enc: [usize; 3], masked: [&str; 3]) -> Vec<u8> {
        let mut r = vec![0u8; REPORT_LEN];
        r[..3].copy_from_slice(&status);
        for i in 0..3 {
            r[3 + i] = enc[i] as u8;
            r[ENCRYPTED_AT[i]..ENCRYPTED_AT[i] + enc[i]].copy_from_slice(&cipher(enc[i], i as u8 + 1));
            r[505 + i] = masked[i].len() as u8;
            r[MASKED_AT[i]..MASKED_AT[i] + masked[i].len()].copy_from_slice(masked[i].as_bytes());
        }
        r[SERIAL_AT..SERIAL_AT + 16].copy_from_slice(SERIAL);
        r[KSN_AT..KSN_AT + 10].copy_from_slice(&KSN);
        r
    }

    pub(crate) fn good() -> Vec<u8> {
        report([0, 0, 0], [56, 40, 0], [MASKED1, MASKED2, ""])
    }

    #[test]
    fn reads_a_documented_report() {
        let r = good();
        assert_eq!((r[3], r[4], r[505], r[506]), (56, 40, MASKED1.len() as u8, MASKED2.len() as u8));
        assert_eq!((r[508], r[620], &r[495..505]), (b'%', b';', &KSN[..]));
        let read = parse(&r).unwrap();
        assert_eq!(read.masked_pan.as_str(), "545230******7189");
        assert_eq!(
            (read.brand, read.expiry.as_str(), read.cardholder.as_deref()),
            (CardBrand::Mastercard, "3112", Some("TEST/CARD"))
        );
        assert!(!read.pin_required);
        assert!(read.clear_pan().is_none());
        let block = read.encrypted().unwrap();
        assert_eq!(block.scheme, SCHEME);
        assert_eq!(block.ksn, KSN);
        assert_eq!(block.device_serial.as_deref(), Some(&SERIAL[..]));
        // The ciphertext is passed on byte for byte.
        assert_eq!(block.tracks[0].as_deref(), Some(&r[7..63]));
        assert_eq!(block.tracks[1].as_deref(), Some(&r[119..159]));
        assert_eq!(block.tracks[2], None);
        let debug = format!("{read:?}");
        assert_pan_hidden(&debug, MAGTEK_PAN);
        assert!(!debug.contains(&format!("{:?}", &r[7..15])), "ciphertext in debug output: {debug}");
        // Later firmware appends fields; they are ignored.
        assert!(parse(&[r.as_slice(), &[0; 31]].concat()).is_ok());
    }

    #[test]
    fn a_track_the_reader_could_not_decode_is_left_out_or_named() {
        let read = parse(&report([1, 0, 0], [0, 40, 0], ["", MASKED2, ""])).unwrap();
        assert_eq!(read.cardholder, None);
        let e = parse(&report([1, 1, 0], [0, 0, 0], ["", "", ""])).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "track 2", .. }));
    }

    #[test]
    fn bad_reports_say_what_is_wrong_and_never_quote_the_pan() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good()[..855].to_vec(), "report length"),
            (report([0, 0, 0], [56, 41, 0], [MASKED1, MASKED2, ""]), "track 2 encrypted length"),
            (report([0, 0, 0], [56, 120, 0], [MASKED1, MASKED2, ""]), "track 2 encrypted length"),
            (
                {
                    let mut r = good();
                    r[506] = 113;
                    r
                },
                "track 2 masked length",
            ),
            (
                {
                    let mut r = good();
                    r[507] = 255;
                    r
                },
                "track 3 masked length",
            ),
            (
                {
                    let mut r = good();
                    r[KSN_AT..KSN_AT + 10].fill(0);
                    r
                },
                "KSN",
            ),
            (
                {
                    let mut r = good();
                    r[6] = 12;
                    r
                },
                "card encode type",
            ),
        ];
        for (r, which) in &cases {
            let e = parse(r).unwrap_err();
            assert!(matches!(e, DeviceError::BadReport { field, .. } if field == *which), "{e:?}");
        }
        let reads: Vec<(Vec<u8>, &str)> = vec![
            (report([0, 0, 0], [56, 0, 0], [MASKED1, MASKED2, ""]), "track 2"),
            (report([0, 0, 0], [56, 40, 0], ["%B5452300000007189^TEST/CARD^3113101?", MASKED2, ""]), "track 1"),
        ];
        for (r, which) in &reads {
            let e = parse(r).unwrap_err();
            assert!(matches!(e, DeviceError::BadRead { track, .. } if track == *which), "{e:?}");
            assert_pan_hidden(&e.to_string(), MAGTEK_PAN);
            assert_pan_hidden(&format!("{e:?}"), MAGTEK_PAN);
        }
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_err_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..1000)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn a_corrupted_good_report_never_panics(at in 0..REPORT_LEN, value: u8) {
            let mut r = good();
            r[at] = value;
            let _ = parse(&r);
        }
    }
}

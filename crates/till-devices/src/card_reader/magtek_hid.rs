//! MagTek non-encrypting USB HID swipe readers (vendor 0x0801, e.g. the Mini Swipe 0x0002):
//! one 337-byte input report per swipe, tracks in clear ASCII with sentinels, LRC stripped.
//!
//! Layout (MagTek's USB HID swipe reader technical reference):
//!
//! | offset   | field                                                          |
//! |----------|----------------------------------------------------------------|
//! | 0, 1, 2  | decode status of tracks 1, 2, 3 (bit 0 set = error)            |
//! | 3, 4, 5  | lengths of tracks 1, 2, 3                                      |
//! | 6        | card encode type: 0 ISO/ABA, 1 AAMVA, 2 CADL, 3 blank, 4 other, 5 undetermined, 6 none |
//! | 7..116   | track 1 data (110 bytes)                                       |
//! | 117..226 | track 2 data (110 bytes)                                       |
//! | 227..336 | track 3 data (110 bytes)                                       |

use super::iso7813::{read_tracks, PanForm, Track};
use super::{field, CardRead};
use crate::DeviceError;

/// Length of one input report.
pub const REPORT_LEN: usize = 337;
/// Bytes reserved for each track in the report.
const TRACK_SLOT: usize = 110;
const TRACK_AT: [usize; 3] = [7, 117, 227];
const TRACK_NAMES: [&str; 3] = ["track 1", "track 2", "track 3"];
const LENGTH_FIELDS: [&str; 3] = ["track 1 length", "track 2 length", "track 3 length"];

/// What the reader says is on the stripe (offset 6), where it rules out a payment card.
pub(crate) fn check_encode_type(encode_type: u8) -> Result<(), DeviceError> {
    let not_payment = |reason: &str| Err(DeviceError::BadRead { track: "card", reason: reason.to_string() });
    match encode_type {
        // ISO/ABA is a payment card; "other" and "undetermined" are left to the track parser.
        0 | 4 | 5 => Ok(()),
        1 | 2 => not_payment("this is a driving licence (AAMVA/CADL), not a payment card"),
        3 | 6 => not_payment("nothing was read from the stripe"),
        n => Err(DeviceError::BadReport { field: "card encode type", reason: format!("unknown value {n}") }),
    }
}

/// One track's characters as text, or the track named if they are not ASCII.
pub(crate) fn track_text<'a>(bytes: &'a [u8], track: &'static str) -> Result<&'a str, DeviceError> {
    match std::str::from_utf8(bytes) {
        Ok(t) if t.is_ascii() => Ok(t),
        _ => Err(DeviceError::BadRead { track, reason: "not ASCII".to_string() }),
    }
}

/// Parses one input report into a [`CardRead`] with the clear number.
pub fn parse(report: &[u8]) -> Result<CardRead, DeviceError> {
    if report.len() != REPORT_LEN {
        return Err(DeviceError::BadReport {
            field: "report length",
            reason: format!("{} bytes, expected {REPORT_LEN}", report.len()),
        });
    }
    let status = field(report, 0, 3, "decode status")?;
    let lengths = field(report, 3, 3, "track lengths")?;
    let encode_type = field(report, 6, 1, "card encode type")?;
    check_encode_type(encode_type[0])?;
    // A length that does not fit its slot means a corrupt report, even on track 3, which
    // payment cards do not use.
    for (i, &len) in lengths.iter().enumerate() {
        if usize::from(len) > TRACK_SLOT {
            return Err(DeviceError::BadReport {
                field: LENGTH_FIELDS[i],
                reason: format!("{len} is more than the {TRACK_SLOT} bytes the report holds"),
            });
        }
    }
    let mut tracks = [Track::Absent; 2];
    for (i, slot) in tracks.iter_mut().enumerate() {
        let len = usize::from(lengths[i]);
        if status[i] & 1 != 0 {
            *slot = Track::Failed;
        } else if len > 0 {
            *slot = Track::Data(track_text(field(report, TRACK_AT[i], len, TRACK_NAMES[i])?, TRACK_NAMES[i])?);
        }
    }
    read_tracks(tracks[0], tracks[1], PanForm::Clear, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::iso7813::tests::{assert_pan_hidden, MAGTEK_PAN, TRACK1, TRACK2};
    use proptest::prelude::*;
    use till_core::CardBrand;

    /// Builds a report byte by byte from the documented layout.
    fn report(status: [u8; 3], encode: u8, tracks: [&str; 3]) -> Vec<u8> {
        let mut r = vec![0u8; REPORT_LEN];
        r[..3].copy_from_slice(&status);
        for (i, t) in tracks.iter().enumerate() {
            r[3 + i] = t.len() as u8;
            r[TRACK_AT[i]..TRACK_AT[i] + t.len()].copy_from_slice(t.as_bytes());
        }
        r[6] = encode;
        r
    }

    #[test]
    fn reads_a_documented_report() {
        let r = report([0, 0, 0], 0, [TRACK1, TRACK2, ""]);
        // The layout, checked at its offsets.
        assert_eq!((r[3], r[4], r[5]), (TRACK1.len() as u8, TRACK2.len() as u8, 0));
        assert_eq!((r[7], r[117], r[116], r[226]), (b'%', b';', 0, 0));
        let read = parse(&r).unwrap();
        assert_eq!(read.masked_pan.as_str(), "545230******7189");
        assert_eq!((read.masked_pan.bin(), read.masked_pan.last4()), ("545230", "7189"));
        assert_eq!((read.brand, read.expiry.as_str(), read.pin_required), (CardBrand::Mastercard, "3112", false));
        assert_eq!(read.cardholder.as_deref(), Some("TEST/CARD"));
        assert_eq!(read.clear_pan().map(|p| p.expose()), Some(MAGTEK_PAN));
        assert!(read.encrypted().is_none());
        assert_pan_hidden(&format!("{read:?}"), MAGTEK_PAN);
    }

    #[test]
    fn a_track_the_reader_could_not_decode_is_left_out_or_named() {
        let read = parse(&report([1, 0, 1], 0, ["", TRACK2, ""])).unwrap();
        assert_eq!((read.masked_pan.last4(), read.cardholder.as_deref()), ("7189", None));
        let e = parse(&report([0, 1, 0], 0, ["", "", ""])).unwrap_err();
        assert_eq!(e, DeviceError::BadRead { track: "track 2", reason: "the reader could not decode it".into() });
        let e = parse(&report([1, 0, 0], 0, ["", "", ""])).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "track 1", .. }));
    }

    #[test]
    fn bad_reports_say_what_is_wrong_and_never_quote_the_pan() {
        let good = report([0, 0, 0], 0, [TRACK1, TRACK2, ""]);
        let mut errors = vec![];
        errors.push(parse(&good[..336]).unwrap_err());
        errors.push(parse(&[good.as_slice(), &[0]].concat()).unwrap_err());
        errors.push(parse(&[]).unwrap_err());
        let mut long = good.clone();
        long[4] = 111;
        errors.push(parse(&long).unwrap_err());
        let mut cut = good.clone();
        cut[4] -= 1; // the end sentinel falls outside the length
        errors.push(parse(&cut).unwrap_err());
        let mut licence = good.clone();
        licence[6] = 1;
        errors.push(parse(&licence).unwrap_err());
        let mut track3 = good.clone();
        track3[5] = 200;
        assert!(matches!(parse(&track3), Err(DeviceError::BadReport { field: "track 3 length", .. })));
        let mut unknown = good.clone();
        unknown[6] = 9;
        errors.push(parse(&unknown).unwrap_err());
        let mut binary = good.clone();
        binary[120] = 0xFF;
        errors.push(parse(&binary).unwrap_err());
        assert!(matches!(errors[0], DeviceError::BadReport { field: "report length", .. }));
        assert!(matches!(errors[1], DeviceError::BadReport { field: "report length", .. }));
        assert!(matches!(errors[2], DeviceError::BadReport { field: "report length", .. }));
        assert!(matches!(errors[3], DeviceError::BadReport { field: "track 2 length", .. }));
        assert!(matches!(errors[4], DeviceError::BadRead { track: "track 2", .. }));
        assert!(matches!(errors[5], DeviceError::BadRead { track: "card", .. }));
        assert!(matches!(errors[6], DeviceError::BadReport { field: "card encode type", .. }));
        assert_eq!(errors[7], DeviceError::BadRead { track: "track 2", reason: "not ASCII".into() });
        for e in &errors {
            assert_pan_hidden(&e.to_string(), MAGTEK_PAN);
            assert_pan_hidden(&format!("{e:?}"), MAGTEK_PAN);
        }
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_err_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_report_sized_bytes_parse_or_err(bytes in proptest::collection::vec(any::<u8>(), REPORT_LEN)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn a_corrupted_good_report_never_panics(at in 0..REPORT_LEN, value: u8) {
            let mut r = report([0, 0, 0], 0, [TRACK1, TRACK2, ""]);
            r[at] = value;
            if let Err(e) = parse(&r) {
                prop_assert!(!e.to_string().contains(MAGTEK_PAN));
            }
        }
    }
}

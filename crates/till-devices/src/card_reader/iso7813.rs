//! ISO/IEC 7813 magnetic-stripe tracks, which every reader delivers in some wrapping, and the
//! keyboard-wedge readers that type them as text into the cashier's input.
//!
//! Track 1 (format B): `%B<PAN>^<NAME>^<YYMM><service code>...?`, at most 79 characters.
//! Track 2: `;<PAN>=<YYMM><service code>...?`, at most 40 characters. Readers strip the LRC
//! after the end sentinel. A keyboard-wedge reader types the tracks one after the other and
//! then Enter; a MagTek wedge types `%E?` or `;E?` for a track it could not decode.
//!
//! Luhn is deliberately not checked here: test cards from vendors' manuals fail it (MagTek's
//! sample 5452300551227189 does), and whether to refuse such a card is payment policy.

use super::{CardData, CardRead, EncryptedBlock, SecretPan};
use crate::DeviceError;
use std::ops::Range;
use till_core::{CardBrand, MaskedPan};

const T1: &str = "track 1";
const T2: &str = "track 2";
const TRACK1_MAX: usize = 79;
const TRACK2_MAX: usize = 40;
const NAME_MAX: usize = 26;

/// Service code third digits that ask for a PIN (0: PIN required; 3: ATM only; 5: PIN required
/// for goods and services; 6, 7: prompt for PIN if a PIN pad is there).
fn service_code_wants_pin(code: &str) -> bool {
    matches!(code.as_bytes().get(2), Some(b'0' | b'3' | b'5' | b'6' | b'7'))
}

fn bad(track: &'static str, reason: &str) -> DeviceError {
    DeviceError::BadRead { track, reason: reason.to_string() }
}

/// Whether the number in the track is the whole number or the reader's masked copy of it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanForm {
    /// All digits in clear.
    Clear,
    /// First 6 and last 4 in clear; the reader replaced the rest (by `*`, or by `0` on MagTek).
    Masked,
}

/// One track as a reader delivered it.
#[derive(Clone, Copy)]
pub(crate) enum Track<'a> {
    /// Nothing on this track (or the reader does not send it).
    Absent,
    /// The reader says it could not decode this track.
    Failed,
    /// The track's characters, sentinels included.
    Data(&'a str),
}

/// The fields of one parsed track.
struct Fields {
    masked: MaskedPan,
    clear: Option<SecretPan>,
    name: Option<String>,
    expiry: String,
    service_code: String,
}

fn check_pan(pan: &str, track: &'static str, form: PanForm) -> Result<(MaskedPan, Option<SecretPan>), DeviceError> {
    let n = pan.len();
    if !(12..=19).contains(&n) {
        return Err(bad(track, "card number is not 12-19 digits"));
    }
    match form {
        PanForm::Clear => {
            let masked = MaskedPan::from_pan(pan).map_err(|_| bad(track, "card number is not 12-19 digits"))?;
            Ok((masked, Some(SecretPan::new(pan.to_string()))))
        }
        PanForm::Masked => {
            // The caller checked the track is ASCII, so byte slicing is on character boundaries.
            let (head, middle, tail) = (&pan[..6], &pan[6..n - 4], &pan[n - 4..]);
            if !head.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(track, "the reader masks the first six digits; set it to leave the BIN clear"));
            }
            if !tail.bytes().all(|b| b.is_ascii_digit()) || !middle.bytes().all(|b| b.is_ascii_digit() || b == b'*') {
                return Err(bad(track, "masked card number has unexpected characters"));
            }
            // The middle digits are gone either way; zeros stand in so MaskedPan can mask them.
            let stand_in = format!("{head}{}{tail}", "0".repeat(middle.len()));
            let masked = MaskedPan::from_pan(&stand_in).map_err(|_| bad(track, "card number is not 12-19 digits"))?;
            Ok((masked, None))
        }
    }
}

/// Expiry (`YYMM`) and service code. A masking reader may mask the service code (ID TECH
/// does); it then comes back as `***`, which asks for no PIN: the issuer still has the last
/// word once the platform has decrypted the track.
fn expiry_and_service_code(rest: &str, track: &'static str, form: PanForm) -> Result<(String, String), DeviceError> {
    let masked_ok = |i: usize, b: u8| form == PanForm::Masked && i >= 4 && b == b'*';
    let head = rest.get(..7).filter(|h| h.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || masked_ok(i, b)));
    let head = head.ok_or_else(|| bad(track, "expiry or service code missing"))?;
    if !matches!(&head[2..4], "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12") {
        return Err(bad(track, "expiry month is not 01-12"));
    }
    Ok((head[..4].to_string(), head[4..7].to_string()))
}

/// Some readers (ID TECH) mask the LRC after the end sentinel as `*`; drop it.
fn without_masked_lrc(t: &str, form: PanForm) -> &str {
    match form {
        PanForm::Masked => t.strip_suffix('*').filter(|x| x.ends_with('?')).unwrap_or(t),
        PanForm::Clear => t,
    }
}

fn parse_track1(t: &str, form: PanForm) -> Result<Fields, DeviceError> {
    let t = without_masked_lrc(t, form);
    if !t.is_ascii() {
        return Err(bad(T1, "not ASCII"));
    }
    if t.len() > TRACK1_MAX {
        return Err(bad(T1, "longer than 79 characters"));
    }
    let body = t
        .strip_prefix('%')
        .and_then(|b| b.strip_suffix('?'))
        .ok_or_else(|| bad(T1, "missing start or end sentinel"))?;
    // A masking reader may mask the format code too.
    let body = match (body.strip_prefix('B'), form) {
        (Some(b), _) => b,
        (None, PanForm::Masked) => body.strip_prefix('*').ok_or_else(|| bad(T1, "not a format B track"))?,
        (None, PanForm::Clear) => return Err(bad(T1, "not a format B track")),
    };
    let mut parts = body.splitn(3, '^');
    let pan = parts.next().unwrap_or_default();
    let (name, rest) = match (parts.next(), parts.next()) {
        (Some(name), Some(rest)) => (name, rest),
        _ => return Err(bad(T1, "missing field separator")),
    };
    let (masked, clear) = check_pan(pan, T1, form)?;
    if name.len() > NAME_MAX || !name.bytes().all(|b| (0x20..=0x5F).contains(&b)) {
        return Err(bad(T1, "name is longer than 26 characters or holds characters track 1 cannot"));
    }
    let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    let (expiry, service_code) = expiry_and_service_code(rest, T1, form)?;
    Ok(Fields { masked, clear, name, expiry, service_code })
}

fn parse_track2(t: &str, form: PanForm) -> Result<Fields, DeviceError> {
    let t = without_masked_lrc(t, form);
    if !t.is_ascii() {
        return Err(bad(T2, "not ASCII"));
    }
    if t.len() > TRACK2_MAX {
        return Err(bad(T2, "longer than 40 characters"));
    }
    let body = t
        .strip_prefix(';')
        .and_then(|b| b.strip_suffix('?'))
        .ok_or_else(|| bad(T2, "missing start or end sentinel"))?;
    let (pan, rest) = body.split_once('=').ok_or_else(|| bad(T2, "missing field separator"))?;
    let (masked, clear) = check_pan(pan, T2, form)?;
    let (expiry, service_code) = expiry_and_service_code(rest, T2, form)?;
    Ok(Fields { masked, clear, name: None, expiry, service_code })
}

/// Reads a swipe from tracks 1 and 2: track 2 gives the number, expiry and service code when
/// it is there (it is the sturdier track), track 1 the name. A track the reader could not
/// decode is left out as long as the other one carries the card; a track that was delivered
/// but is malformed fails the read, since its data cannot be trusted.
pub(crate) fn read_tracks(
    track1: Track<'_>,
    track2: Track<'_>,
    form: PanForm,
    encrypted: Option<EncryptedBlock>,
) -> Result<CardRead, DeviceError> {
    let f1 = match track1 {
        Track::Data(t) => Some(parse_track1(t, form)?),
        _ => None,
    };
    let f2 = match track2 {
        Track::Data(t) => Some(parse_track2(t, form)?),
        _ => None,
    };
    let (fields, name) = match (f1, f2) {
        (Some(a), Some(b)) => {
            let same_pan = match (&a.clear, &b.clear) {
                (Some(x), Some(y)) => x.expose() == y.expose(),
                _ => a.masked == b.masked,
            };
            if !same_pan || a.expiry != b.expiry {
                return Err(bad("tracks 1 and 2", "the two tracks carry different cards"));
            }
            let name = a.name.clone();
            (b, name)
        }
        (Some(a), None) => {
            let name = a.name.clone();
            (a, name)
        }
        (None, Some(b)) => (b, None),
        (None, None) => {
            return Err(match (track1, track2) {
                (_, Track::Failed) => bad(T2, "the reader could not decode it"),
                (Track::Failed, _) => bad(T1, "the reader could not decode it"),
                _ => bad("tracks 1 and 2", "no card data was read"),
            })
        }
    };
    let card_data = match (encrypted, fields.clear) {
        (Some(block), _) => CardData::Encrypted(block),
        (None, Some(pan)) => CardData::Clear(pan),
        (None, None) => return Err(bad(T2, "only a masked card number was read")),
    };
    Ok(CardRead {
        brand: CardBrand::from_bin(fields.masked.bin()),
        masked_pan: fields.masked,
        expiry: fields.expiry,
        cardholder: name,
        pin_required: service_code_wants_pin(&fields.service_code),
        card_data,
    })
}

/// Parses clear-text tracks 1 and/or 2, each with its sentinels and without the LRC.
pub fn parse_tracks(track1: Option<&str>, track2: Option<&str>) -> Result<CardRead, DeviceError> {
    let track1 = track1.map_or(Track::Absent, Track::Data);
    let track2 = track2.map_or(Track::Absent, Track::Data);
    read_tracks(track1, track2, PanForm::Clear, None)
}

/// Where a swipe is in `input`, text typed into the cashier's input field, if there is one.
///
/// A swipe starts at a track 1 start sentinel (`%B`, or `%E` when the reader could not decode
/// track 1) or a track 2 start sentinel (`;` then a digit or `E`) and runs to the last end
/// sentinel `?`. Barcodes and SKUs never hold these sentinels, so the app can take the swipe out
/// of the barcode path before it is looked up (or logged) as a product code.
pub fn find_swipe(input: &str) -> Option<Range<usize>> {
    let b = input.as_bytes();
    let start = (0..b.len()).find(|&i| match (b[i], b.get(i + 1)) {
        (b'%', Some(b'B' | b'E')) => true,
        (b';', Some(c)) => c.is_ascii_digit() || *c == b'E',
        _ => false,
    })?;
    let end = input.rfind('?').filter(|&e| e > start)?;
    Some(start..end + 1)
}

/// Whether `input` typed into the cashier's input field holds a card swipe (see [`find_swipe`]).
pub fn is_swipe(input: &str) -> bool {
    find_swipe(input).is_some()
}

/// Parses a keyboard-wedge swipe typed as text: `%B...?;...?` (track 1, track 2, maybe track 3)
/// and a trailing Enter, or just one of the tracks.
pub fn parse_text(input: &str) -> Result<CardRead, DeviceError> {
    let range = find_swipe(input).ok_or_else(|| bad("swipe", "no track start and end sentinels"))?;
    let mut rest = input.get(range).unwrap_or_default();
    let mut next_track = |sentinel: char| -> Track<'_> {
        if !rest.starts_with(sentinel) {
            return Track::Absent;
        }
        let Some(end) = rest.find('?') else { return Track::Absent };
        let (track, after) = rest.split_at(end + 1);
        rest = after;
        if track.len() == 3 && track.as_bytes()[1] == b'E' {
            Track::Failed
        } else {
            Track::Data(track)
        }
    };
    let track1 = next_track('%');
    let track2 = next_track(';');
    read_tracks(track1, track2, PanForm::Clear, None)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// MagTek's sample PAN from its manuals; it fails Luhn on purpose.
    pub(crate) const MAGTEK_PAN: &str = "5452300551227189";
    pub(crate) const TRACK1: &str = "%B5452300551227189^TEST/CARD^3112101000000000000?";
    pub(crate) const TRACK2: &str = ";5452300551227189=31121010000000000?";

    /// Asserts that neither the read's debug output nor an error message holds `pan`.
    pub(crate) fn assert_pan_hidden(text: &str, pan: &str) {
        assert!(!text.contains(pan), "PAN leaked into {text:?}");
    }

    #[test]
    fn reads_a_good_swipe() {
        let r =
            parse_tracks(Some("%B4111111111111111^DOE/JOHN^2812101?"), Some(";4111111111111111=28121010000000000?"))
                .unwrap();
        assert_eq!(r.masked_pan.as_str(), "411111******1111");
        assert_eq!((r.brand, r.expiry.as_str(), r.pin_required), (CardBrand::Visa, "2812", false));
        assert_eq!(r.cardholder.as_deref(), Some("DOE/JOHN"));
        assert_eq!(format!("{:?}", r.clear_pan().unwrap()), "SecretPan(411111******1111)");
        assert_eq!(r.clear_pan().unwrap().expose(), "4111111111111111");
        assert!(r.encrypted().is_none());
        assert_pan_hidden(&format!("{r:?}"), "4111111111111111");
    }

    #[test]
    fn reads_the_manual_sample_card_although_it_fails_luhn() {
        let r = parse_tracks(Some(TRACK1), Some(TRACK2)).unwrap();
        assert_eq!((r.masked_pan.bin(), r.masked_pan.last4()), ("545230", "7189"));
        assert_eq!((r.brand, r.expiry.as_str()), (CardBrand::Mastercard, "3112"));
        assert_eq!(r.cardholder.as_deref(), Some("TEST/CARD"));
        // Track 1 alone carries the card too.
        let r = parse_tracks(Some(TRACK1), None).unwrap();
        assert_eq!((r.masked_pan.as_str(), r.cardholder.as_deref()), ("545230******7189", Some("TEST/CARD")));
    }

    #[test]
    fn a_pin_service_code_asks_for_a_pin() {
        let r = parse_tracks(None, Some(";6214830000000000=30122200000?")).unwrap();
        assert!(r.pin_required);
        assert_eq!(r.brand, CardBrand::UnionPay);
        assert_eq!(r.cardholder, None);
    }

    #[test]
    fn says_which_track_failed_without_quoting_it() {
        let cases: [(Option<&str>, Option<&str>, &str); 11] = [
            (None, Some("5452300551227189=3112101?"), T2),
            (None, Some(";54523=3112101?"), T2),
            (None, Some(";5452300551227189=31?"), T2),
            (None, Some(";5452300551227189=3113101?"), T2),
            (None, Some(";5452300551227189=3112***?"), T2),
            (None, Some(";5452300551227189=31121010000000000000000000?"), T2),
            (Some("garbage"), Some(TRACK2), T1),
            (Some("%A5452300551227189^TEST/CARD^3112101?"), Some(TRACK2), T1),
            (Some("%B5452300551227189^TEST/CARD3112101?"), Some(TRACK2), T1),
            (Some("%B5452300551227189^test/card^3112101?"), Some(TRACK2), T1),
            (
                Some("%B5452300551227189^TEST/CARD^3112101?"),
                Some(";5452300551227180=31121010000000000?"),
                "tracks 1 and 2",
            ),
        ];
        for (t1, t2, which) in cases {
            let e = parse_tracks(t1, t2).unwrap_err();
            assert!(matches!(e, DeviceError::BadRead { track, .. } if track == which), "{e:?} for {t1:?} {t2:?}");
            assert_pan_hidden(&e.to_string(), MAGTEK_PAN);
            assert_pan_hidden(&format!("{e:?}"), MAGTEK_PAN);
        }
        assert!(matches!(parse_tracks(None, None), Err(DeviceError::BadRead { track: "tracks 1 and 2", .. })));
        assert!(matches!(
            parse_tracks(None, Some(";5452300551227189=31121010000é?")),
            Err(DeviceError::BadRead { .. })
        ));
    }

    #[test]
    fn a_masked_track_gives_the_masked_number_only() {
        let block = EncryptedBlock { scheme: "x".into(), ksn: vec![], device_serial: None, tracks: [None, None, None] };
        for t2 in [";545230******7189=31121010000000000?", ";5452300000007189=31121010000000000?"] {
            let r = read_tracks(Track::Absent, Track::Data(t2), PanForm::Masked, Some(block.clone())).unwrap();
            assert_eq!(r.masked_pan.as_str(), "545230******7189");
            assert!(r.clear_pan().is_none());
        }
        let e = read_tracks(Track::Absent, Track::Data(";5452**********89=3112101?"), PanForm::Masked, Some(block));
        assert!(matches!(e, Err(DeviceError::BadRead { track: "track 2", .. })));
        // Masked data without the reader's encrypted block cannot pay.
        let e = read_tracks(Track::Absent, Track::Data(";545230******7189=3112101?"), PanForm::Masked, None);
        assert!(e.is_err());
    }

    #[test]
    fn recognises_a_typed_swipe_and_not_a_barcode() {
        let typed = format!("{TRACK1}{TRACK2}\r");
        assert_eq!(find_swipe(&typed), Some(0..TRACK1.len() + TRACK2.len()));
        assert!(is_swipe(&typed));
        assert_eq!(find_swipe(&format!("69012{TRACK2}\n")), Some(5..5 + TRACK2.len()));
        for not_a_swipe in ["6901234567892", "SNK-001", "绿茶", "", "?;", "%B", ";", "%Bx", "why?", "50%?"] {
            assert!(!is_swipe(not_a_swipe), "{not_a_swipe:?}");
        }
        let r = parse_text(&typed).unwrap();
        assert_eq!((r.masked_pan.as_str(), r.cardholder.as_deref()), ("545230******7189", Some("TEST/CARD")));
        assert_eq!(r.clear_pan().map(SecretPan::expose), Some(MAGTEK_PAN));
        // With track 3 after track 2.
        let r = parse_text(&format!("{TRACK1}{TRACK2};011234567890123445=724724100000000000030300?\r")).unwrap();
        assert_eq!(r.expiry, "3112");
    }

    #[test]
    fn a_track_the_wedge_could_not_decode_is_named_or_left_out() {
        let r = parse_text(&format!("%E?{TRACK2}\r")).unwrap();
        assert_eq!((r.masked_pan.last4(), r.cardholder.as_deref()), ("7189", None));
        let r = parse_text(&format!("{TRACK1};E?\r")).unwrap();
        assert_eq!(r.cardholder.as_deref(), Some("TEST/CARD"));
        assert!(matches!(parse_text("%E?;E?\r"), Err(DeviceError::BadRead { track: "track 2", .. })));
        assert!(matches!(parse_text("%E?\r"), Err(DeviceError::BadRead { track: "track 1", .. })));
        assert!(matches!(parse_text("6901234567892"), Err(DeviceError::BadRead { track: "swipe", .. })));
        let e = parse_text(&format!("{};E?", &TRACK1[..20])).unwrap_err();
        assert_pan_hidden(&e.to_string(), MAGTEK_PAN);
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_text(&text);
            let _ = find_swipe(&text);
            let _ = parse_tracks(Some(&text), Some(&text));
        }

        #[test]
        fn swipe_shaped_text_parses_or_errs_without_panicking(s in "[%;B^=?E0-9A-Z/ *é]{0,90}") {
            let _ = parse_text(&s);
            let _ = read_tracks(Track::Data(&s), Track::Data(&s), PanForm::Masked, None);
        }

        #[test]
        fn any_good_track_2_reads_back_masked(pan in "[1-9][0-9]{11,18}", yy in 0u8..100, mm in 1u8..13) {
            let t2 = format!(";{pan}={yy:02}{mm:02}101?");
            let r = parse_tracks(None, Some(&t2)).unwrap();
            prop_assert_eq!(r.masked_pan.bin(), &pan[..6]);
            prop_assert_eq!(r.masked_pan.last4(), &pan[pan.len() - 4..]);
            let debug = format!("{:?}", r);
            prop_assert!(!debug.contains(&pan));
        }
    }
}

//! ISO/IEC 7813 magnetic-stripe tracks, as card readers deliver them in clear text:
//! track 1 `%B<PAN>^<NAME>^<YYMM><service code>...?` and track 2 `;<PAN>=<YYMM><service code>...?`.

use super::{CardRead, SecretPan};
use crate::DeviceError;
use till_core::{CardBrand, MaskedPan};

/// Service code third digits that ask for a PIN (0: PIN required; 3: ATM only; 5: PIN required
/// for goods and services; 6, 7: prompt for PIN if a PIN pad is there).
fn service_code_wants_pin(code: &str) -> bool {
    matches!(code.as_bytes().get(2), Some(b'0' | b'3' | b'5' | b'6' | b'7'))
}

fn bad(track: &'static str, reason: &str) -> DeviceError {
    DeviceError::BadRead { track, reason: reason.to_string() }
}

/// Parses track 2 (with its `;` and `?` sentinels) and, if present, takes the name from track 1.
pub fn parse(track1: Option<&str>, track2: &str) -> Result<CardRead, DeviceError> {
    let body = track2
        .strip_prefix(';')
        .and_then(|t| t.strip_suffix('?'))
        .ok_or_else(|| bad("track 2", "missing start or end sentinel"))?;
    let (pan, rest) = body.split_once('=').ok_or_else(|| bad("track 2", "missing field separator"))?;
    if rest.len() < 7 || !rest[..7].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("track 2", "expiry or service code missing"));
    }
    let masked_pan = MaskedPan::from_pan(pan).map_err(|_| bad("track 2", "card number is not 12-19 digits"))?;
    let cardholder = match track1 {
        None => None,
        Some(t1) => {
            let name = t1
                .strip_prefix("%B")
                .and_then(|t| t.split('^').nth(1))
                .ok_or_else(|| bad("track 1", "not a format B track"))?;
            Some(name.trim().to_string())
        }
    };
    Ok(CardRead {
        brand: CardBrand::from_bin(masked_pan.bin()),
        masked_pan,
        expiry: rest[..4].to_string(),
        cardholder,
        pin_required: service_code_wants_pin(&rest[4..7]),
        pan: SecretPan::new(pan.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_good_swipe() {
        let r = parse(Some("%B4111111111111111^DOE/JOHN^2812101?"), ";4111111111111111=28121010000000000?").unwrap();
        assert_eq!(r.masked_pan.as_str(), "411111******1111");
        assert_eq!((r.brand, r.expiry.as_str(), r.pin_required), (CardBrand::Visa, "2812", false));
        assert_eq!(r.cardholder.as_deref(), Some("DOE/JOHN"));
        assert_eq!(format!("{:?}", r.pan), "SecretPan(411111******1111)");
    }

    #[test]
    fn a_pin_service_code_asks_for_a_pin() {
        let r = parse(None, ";6214830000000000=30122200000?").unwrap();
        assert!(r.pin_required);
        assert_eq!(r.brand, CardBrand::UnionPay);
    }

    #[test]
    fn says_which_track_failed() {
        assert!(matches!(parse(None, "4111111111111111=2812101?"), Err(DeviceError::BadRead { track: "track 2", .. })));
        assert!(matches!(parse(None, ";41111=2812101?"), Err(DeviceError::BadRead { track: "track 2", .. })));
        assert!(matches!(parse(None, ";4111111111111111=28?"), Err(DeviceError::BadRead { track: "track 2", .. })));
        assert!(matches!(
            parse(Some("garbage"), ";4111111111111111=28121010000000000?"),
            Err(DeviceError::BadRead { track: "track 1", .. })
        ));
    }
}

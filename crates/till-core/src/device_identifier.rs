//! Identifiers of serialised goods (CN103310370A): the IMEI, MEID or ESN of a phone, or a
//! manufacturer's serial number. A serialised product cannot be sold without one; the refund of
//! such a device finds its sale by it.
//!
//! The kind is told from the form, the way a scanner's output arrives: 15 digits are an IMEI
//! (its Luhn check digit must match, so a mis-typed digit is caught at the counter), 14 hex
//! digits with a letter or an `A0`..`FF` prefix a MEID, 8 hex or 11 decimal digits an ESN, and
//! anything else of 1 to 64 letters, digits, `.` and `/` a serial number. Spaces and hyphens are
//! dropped and letters upper-cased before anything is checked.

use crate::CoreError;
use serde::Serialize;
use std::fmt;

/// The kind of a device identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// International Mobile Equipment Identity: 14 digits and a Luhn check digit.
    Imei,
    /// Mobile Equipment Identifier: 14 hex digits.
    Meid,
    /// Electronic Serial Number: 8 hex digits (or 11 decimal).
    Esn,
    /// A manufacturer's serial number.
    Sn,
}

impl DeviceKind {
    /// The name the server uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Imei => "imei",
            DeviceKind::Meid => "meid",
            DeviceKind::Esn => "esn",
            DeviceKind::Sn => "sn",
        }
    }
}

/// A normalised device identifier with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceIdentifier {
    kind: DeviceKind,
    text: String,
}

impl DeviceIdentifier {
    /// Parses an identifier as scanned or typed.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let text: String =
            raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\t')).collect::<String>().to_ascii_uppercase();
        let bad = |why: &str| CoreError::InvalidDeviceIdentifier(format!("{}: {why}", raw.trim()));
        let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        let all_hex = !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
        let kind = if all_digits && text.len() == 15 {
            let d: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
            let expected = crate::luhn::check_digit(&d[..14]);
            if d[14] != expected {
                return Err(bad(&format!("IMEI check digit should be {expected}")));
            }
            DeviceKind::Imei
        } else if all_digits && text.len() == 14 {
            // 14 digits is an IMEI typed without its check digit: almost always a slip.
            return Err(bad("an IMEI has 15 digits"));
        } else if all_hex && text.len() == 14 {
            DeviceKind::Meid
        } else if all_hex && text.len() == 8 || all_digits && text.len() == 11 {
            DeviceKind::Esn
        } else if (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
        {
            DeviceKind::Sn
        } else {
            return Err(bad("1 to 64 letters, digits, '.' or '/' expected"));
        };
        Ok(DeviceIdentifier { kind, text })
    }

    /// The kind.
    pub fn kind(&self) -> DeviceKind {
        self.kind
    }

    /// The normalised text (upper case, no spaces or hyphens).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DeviceIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_valid_imei_is_accepted_and_normalised() {
        // 49015420323751 with check digit 8: the example IMEI of 3GPP TS 23.003 annex B.
        let id = DeviceIdentifier::parse("49-015420-323751-8").unwrap();
        assert_eq!(id.kind(), DeviceKind::Imei);
        assert_eq!(id.as_str(), "490154203237518");
    }

    #[test]
    fn a_wrong_imei_check_digit_is_refused() {
        let e = DeviceIdentifier::parse("490154203237517").unwrap_err();
        assert!(e.to_string().contains("check digit should be 8"), "{e}");
        assert!(DeviceIdentifier::parse("49015420323751").is_err());
    }

    #[test]
    fn other_kinds_are_told_from_their_form() {
        assert_eq!(DeviceIdentifier::parse("a0000000002329").unwrap().kind(), DeviceKind::Meid);
        assert_eq!(DeviceIdentifier::parse("80a1b2c3").unwrap().kind(), DeviceKind::Esn);
        assert_eq!(DeviceIdentifier::parse("12345678901").unwrap().kind(), DeviceKind::Esn);
        let sn = DeviceIdentifier::parse("sn/c02x.1").unwrap();
        assert_eq!((sn.kind(), sn.as_str()), (DeviceKind::Sn, "SN/C02X.1"));
    }

    #[test]
    fn junk_is_refused() {
        for raw in ["", "   ", "abc def!", &"x".repeat(65), "手机"] {
            assert!(matches!(DeviceIdentifier::parse(raw), Err(CoreError::InvalidDeviceIdentifier(_))), "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn every_imei_with_its_luhn_digit_parses_and_every_other_digit_fails(body in proptest::collection::vec(0u8..10, 14), wrong in 1u8..10) {
            let check = crate::luhn::check_digit(&body);
            let text: String = body.iter().map(|d| char::from(b'0' + d)).collect();
            let good = DeviceIdentifier::parse(&format!("{text}{check}")).unwrap();
            prop_assert_eq!(good.kind(), DeviceKind::Imei);
            let bad = (check + wrong) % 10;
            let wrong_text = format!("{text}{bad}");
            prop_assert!(DeviceIdentifier::parse(&wrong_text).is_err());
        }
    }
}

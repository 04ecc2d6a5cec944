//! Retail barcodes: EAN-13, EAN-8 and UPC-A, with their GS1 check digit verified.

use crate::CoreError;
use std::fmt;

/// A barcode whose check digit is right, normalised so UPC-A `036000291452` and its EAN-13
/// form `0036000291452` are the same code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Barcode(String);

impl Barcode {
    /// Parses scanned or typed digits; an 8-, 12- or 13-digit code with a valid check digit.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let code = text.trim();
        let len = code.len();
        if !matches!(len, 8 | 12 | 13) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoreError::BarcodeFormat(code.to_string()));
        }
        let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        let expected = check_digit(&digits[..len - 1]);
        if digits[len - 1] != expected {
            return Err(CoreError::BarcodeCheckDigit { code: code.to_string(), expected });
        }
        Ok(if len == 12 { Barcode(format!("0{code}")) } else { Barcode(code.to_string()) })
    }

    /// True when `text` looks like it was meant as a barcode (only digits, barcode length),
    /// so a bad check digit should be reported rather than a SKU lookup tried.
    pub fn looks_like_barcode(text: &str) -> bool {
        let t = text.trim();
        matches!(t.len(), 8 | 12 | 13) && t.bytes().all(|b| b.is_ascii_digit())
    }

    /// Builds a valid code from its digits without the check digit (7, 11 or 12 digits).
    pub fn with_check_digit(body: &str) -> Result<Self, CoreError> {
        if !matches!(body.len(), 7 | 11 | 12) || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoreError::BarcodeFormat(body.to_string()));
        }
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        Barcode::parse(&format!("{body}{}", check_digit(&digits)))
    }

    /// The normalised digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Barcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// GS1 mod-10: from the right, weights 3,1,3,1...; the check digit tops the sum up to a ten.
fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().rev().enumerate().map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_good_codes() {
        // Published examples: an EAN-13, a UPC-A and an EAN-8.
        assert_eq!(Barcode::parse("4006381333931").unwrap().as_str(), "4006381333931");
        assert_eq!(Barcode::parse("036000291452").unwrap().as_str(), "0036000291452");
        assert_eq!(Barcode::parse("96385074").unwrap().as_str(), "96385074");
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        assert_eq!(
            Barcode::parse("4006381333932"),
            Err(CoreError::BarcodeCheckDigit { code: "4006381333932".into(), expected: 1 })
        );
    }

    #[test]
    fn rejects_wrong_lengths_and_letters() {
        for bad in ["", "123", "40063813339311", "40063813339a1", "4006 381333931"] {
            assert!(matches!(Barcode::parse(bad), Err(CoreError::BarcodeFormat(_))), "{bad}");
        }
    }

    #[test]
    fn every_single_digit_error_is_caught() {
        let good = "6901234567892";
        assert!(Barcode::parse(good).is_ok());
        for pos in 0..good.len() {
            for d in b'0'..=b'9' {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[pos] == d {
                    continue;
                }
                bytes[pos] = d;
                let typo = String::from_utf8(bytes).unwrap();
                assert!(Barcode::parse(&typo).is_err(), "{typo} should fail");
            }
        }
    }

    #[test]
    fn with_check_digit_builds_valid_codes() {
        assert_eq!(Barcode::with_check_digit("400638133393").unwrap().as_str(), "4006381333931");
    }
}

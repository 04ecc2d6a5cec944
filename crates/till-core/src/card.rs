//! What may be kept of a payment card: its masked number and its brand. Never the full number.

use crate::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Card scheme, told from the card number's leading digits (BIN ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardBrand {
    /// Visa: 4.
    Visa,
    /// Mastercard: 51–55, 2221–2720.
    Mastercard,
    /// American Express: 34, 37.
    Amex,
    /// China UnionPay: 62.
    UnionPay,
    /// JCB: 3528–3589.
    Jcb,
    /// Discover: 6011, 644–649, 65.
    Discover,
    /// Anything else.
    Unknown,
}

impl CardBrand {
    /// The brand of the card whose number starts with `digits` (at least 6 digits).
    pub fn from_bin(digits: &str) -> Self {
        let n = |len: usize| digits.get(..len).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
        match () {
            _ if digits.starts_with('4') => CardBrand::Visa,
            _ if (51..=55).contains(&n(2)) || (2221..=2720).contains(&n(4)) => CardBrand::Mastercard,
            _ if n(2) == 34 || n(2) == 37 => CardBrand::Amex,
            _ if n(2) == 62 => CardBrand::UnionPay,
            _ if (3528..=3589).contains(&n(4)) => CardBrand::Jcb,
            _ if n(4) == 6011 || (644..=649).contains(&n(3)) || n(2) == 65 => CardBrand::Discover,
            _ => CardBrand::Unknown,
        }
    }

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Amex => "American Express",
            CardBrand::UnionPay => "UnionPay",
            CardBrand::Jcb => "JCB",
            CardBrand::Discover => "Discover",
            CardBrand::Unknown => "Card",
        }
    }
}

/// A card number with all but the first six and last four digits replaced by `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedPan(String);

impl MaskedPan {
    /// Masks a full PAN (12 to 19 digits). The argument is not kept.
    pub fn from_pan(pan: &str) -> Result<Self, CoreError> {
        if !(12..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoreError::InvalidPan);
        }
        let n = pan.len();
        Ok(MaskedPan(format!("{}{}{}", &pan[..6], "*".repeat(n - 10), &pan[n - 4..])))
    }

    /// The first six digits (the BIN).
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The masked text, e.g. `411111******1111`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_bin_and_last_four() {
        let m = MaskedPan::from_pan("4111111111111111").unwrap();
        assert_eq!(m.as_str(), "411111******1111");
        assert_eq!((m.bin(), m.last4()), ("411111", "1111"));
        assert!(MaskedPan::from_pan("41111").is_err());
        assert!(MaskedPan::from_pan("4111 1111 1111 1111").is_err());
    }

    #[test]
    fn tells_brands_from_bins() {
        assert_eq!(CardBrand::from_bin("411111"), CardBrand::Visa);
        assert_eq!(CardBrand::from_bin("550000"), CardBrand::Mastercard);
        assert_eq!(CardBrand::from_bin("222100"), CardBrand::Mastercard);
        assert_eq!(CardBrand::from_bin("378282"), CardBrand::Amex);
        assert_eq!(CardBrand::from_bin("621483"), CardBrand::UnionPay);
        assert_eq!(CardBrand::from_bin("353011"), CardBrand::Jcb);
        assert_eq!(CardBrand::from_bin("601100"), CardBrand::Discover);
        assert_eq!(CardBrand::from_bin("999999"), CardBrand::Unknown);
    }
}

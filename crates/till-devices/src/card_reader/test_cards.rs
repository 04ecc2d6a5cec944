//! The test cards the simulators swipe: public test numbers from the card schemes' and
//! acquirers' test documentation, never a real card.
//!
//! Each card knows how to write its ISO/IEC 7813 tracks, in clear (for the readers that do not
//! encrypt) and masked the way an encrypting reader masks them for display: the first six
//! digits (the BIN, which the till needs for the brand) and the last four clear.

/// One test card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCard {
    /// The name the simulators are asked for (`visa`, `unionpay`...).
    pub name: &'static str,
    /// What the card is for, for help texts.
    pub description: &'static str,
    pub(crate) pan: &'static str,
    /// Name on track 1, `SURNAME/GIVEN`.
    pub cardholder: &'static str,
    /// Expiry as `YYMM`.
    pub expiry: &'static str,
    /// ISO 7813 service code: the third digit 0 or 6 asks for a PIN.
    pub service_code: &'static str,
    /// Whether a reader can decode the stripe at all; `false` rehearses a demagnetised card.
    pub readable: bool,
}

/// Every test card, `visa` first (the default).
pub const CATALOGUE: [TestCard; 6] = [
    TestCard {
        name: "visa",
        description: "a good Visa card",
        pan: "4111111111111111",
        cardholder: "VISA/TEST",
        expiry: "2812",
        service_code: "101",
        readable: true,
    },
    TestCard {
        name: "mastercard",
        description: "a good Mastercard",
        pan: "5555555555554444",
        cardholder: "MASTERCARD/TEST",
        expiry: "2911",
        service_code: "201",
        readable: true,
    },
    TestCard {
        name: "unionpay",
        description: "a good UnionPay card",
        pan: "6250941006528599",
        cardholder: "UNIONPAY/TEST",
        expiry: "3006",
        service_code: "101",
        readable: true,
    },
    TestCard {
        name: "expired",
        description: "a Visa card that expired in January 2020 (the reader reads it; the payment refuses it)",
        pan: "4000000000000002",
        cardholder: "EXPIRED/TEST",
        expiry: "2001",
        service_code: "101",
        readable: true,
    },
    TestCard {
        name: "pin",
        description: "a Visa card whose service code 220 asks for a PIN",
        pan: "4012888888881881",
        cardholder: "PIN/TEST",
        expiry: "2812",
        service_code: "220",
        readable: true,
    },
    TestCard {
        name: "unreadable",
        description: "a card whose stripe the reader cannot decode",
        pan: "4111111111111111",
        cardholder: "UNREADABLE/TEST",
        expiry: "2812",
        service_code: "101",
        readable: false,
    },
];

/// The card called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static TestCard> {
    CATALOGUE.iter().find(|c| c.name == name)
}

/// The names of all test cards, for usage messages.
pub fn names() -> Vec<&'static str> {
    CATALOGUE.iter().map(|c| c.name).collect()
}

/// Discretionary data after the service code; fixed, so the tracks are byte-exact in tests.
const DISCRETIONARY: &str = "0000000000";

impl TestCard {
    /// The test card number, which is public test data; still, the till treats it like any PAN.
    pub fn test_pan(&self) -> &'static str {
        self.pan
    }

    /// Track 1 in clear, sentinels included, LRC stripped (as HID readers send it).
    pub fn track1(&self) -> String {
        format!("%B{}^{}^{}{}{DISCRETIONARY}?", self.pan, self.cardholder, self.expiry, self.service_code)
    }

    /// Track 2 in clear, sentinels included, LRC stripped.
    pub fn track2(&self) -> String {
        format!(";{}={}{}{DISCRETIONARY}?", self.pan, self.expiry, self.service_code)
    }

    /// The number with the middle digits replaced by `mask`, as encrypting readers show it.
    pub fn masked_pan(&self, mask: char) -> String {
        let n = self.pan.len();
        let middle: String = std::iter::repeat_n(mask, n.saturating_sub(10)).collect();
        format!("{}{middle}{}", &self.pan[..6], &self.pan[n - 4..])
    }

    /// Track 1 as an encrypting reader masks it: the number masked, the discretionary data
    /// (which holds the card verification value) replaced by `mask`. The track has the clear
    /// track's length, as the readers' length fields assume.
    pub fn masked_track1(&self, mask: char) -> String {
        let hidden: String = std::iter::repeat_n(mask, DISCRETIONARY.len()).collect();
        format!("%B{}^{}^{}{}{hidden}?", self.masked_pan(mask), self.cardholder, self.expiry, self.service_code)
    }

    /// Track 2 masked like [`TestCard::masked_track1`].
    pub fn masked_track2(&self, mask: char) -> String {
        let hidden: String = std::iter::repeat_n(mask, DISCRETIONARY.len()).collect();
        format!(";{}={}{}{hidden}?", self.masked_pan(mask), self.expiry, self.service_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::iso7813;
    use till_core::CardBrand;

    #[test]
    fn every_readable_card_parses_to_what_it_says() {
        for card in CATALOGUE.iter().filter(|c| c.readable) {
            let read = iso7813::parse_tracks(Some(&card.track1()), Some(&card.track2())).unwrap();
            assert_eq!(read.masked_pan.bin(), &card.pan[..6], "{}", card.name);
            assert_eq!(read.expiry, card.expiry);
            assert_eq!(read.cardholder.as_deref(), Some(card.cardholder));
            assert_eq!(read.pin_required, card.name == "pin", "{}", card.name);
            assert_eq!(card.masked_track1('*').len(), card.track1().len());
            assert_eq!(card.masked_track2('0').len(), card.track2().len());
            assert!(!card.masked_track1('*').contains(card.pan));
        }
        let brand = |n: &str| CardBrand::from_bin(find(n).unwrap().pan);
        assert_eq!(
            (brand("visa"), brand("mastercard"), brand("unionpay")),
            (CardBrand::Visa, CardBrand::Mastercard, CardBrand::UnionPay)
        );
        assert_eq!(find("visa").unwrap().masked_pan('*'), "411111******1111");
        assert!(find("amex").is_none());
        assert_eq!(names().len(), CATALOGUE.len());
    }
}

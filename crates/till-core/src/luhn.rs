//! The Luhn (mod 10) check digit, as IMEIs and card numbers end with (ISO/IEC 7812-1 annex B).
//!
//! One implementation for the whole workspace, so the IMEI check at the counter and the card
//! number check of the payment platform cannot disagree.
//!
//! ```
//! assert_eq!(till_core::luhn::check_digit(&[4, 9, 0, 1, 5, 4, 2, 0, 3, 2, 3, 7, 5, 1]), 8);
//! assert!(till_core::luhn::is_valid("4111111111111111"));
//! ```

/// The Luhn check digit of `digits`, each a value 0..=9 (not an ASCII character), most
/// significant first. Values above 9 are the caller's mistake; they are taken modulo 10 so the
/// result is still a digit.
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d % 10);
            // Counting from the right of the payload, every first digit is doubled: once the
            // check digit is appended, these are the second, fourth... from the right.
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The check digit of a payload written as ASCII digits; `None` if any character is not a digit.
pub fn check_digit_of(payload: &str) -> Option<u8> {
    let digits = digit_values(payload)?;
    Some(check_digit(&digits))
}

/// Whether `text` is at least two ASCII digits ending with the Luhn check digit of the others.
/// Anything else (empty, one digit, a space, a letter) is not valid.
pub fn is_valid(text: &str) -> bool {
    match digit_values(text) {
        Some(digits) if digits.len() >= 2 => {
            let (payload, check) = digits.split_at(digits.len() - 1);
            check_digit(payload) == check[0]
        }
        _ => false,
    }
}

fn digit_values(text: &str) -> Option<Vec<u8>> {
    text.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        // 3GPP TS 23.003 annex B's example IMEI, test cards, and Wikipedia's example.
        assert!(is_valid("490154203237518"));
        assert!(is_valid("4111111111111111"));
        assert!(is_valid("5555555555554444"));
        assert!(is_valid("4000000000000002"));
        assert!(is_valid("79927398713"));
        assert!(!is_valid("490154203237517"));
        assert!(!is_valid("4111111111111112"));
        // MagTek's manual sample card, which fails Luhn.
        assert!(!is_valid("5452300551227189"));
        assert_eq!(check_digit_of("7992739871"), Some(3));
        assert_eq!(check_digit(&[]), 0);
    }

    #[test]
    fn non_digits_and_too_short_are_invalid() {
        for text in ["", "0", "5", "41x1", "4111 1111 1111 1111", "４１"] {
            assert!(!is_valid(text), "{text:?}");
        }
        assert_eq!(check_digit_of("12a"), None);
    }

    proptest! {
        #[test]
        fn the_check_digit_validates_and_every_other_digit_does_not(body in proptest::collection::vec(0u8..10, 1..20), wrong in 1u8..10) {
            let text: String = body.iter().map(|d| char::from(b'0' + d)).collect();
            let check = check_digit(&body);
            prop_assert_eq!(check_digit_of(&text), Some(check));
            let good_text = format!("{text}{check}");
            prop_assert!(is_valid(&good_text));
            let bad = (check + wrong) % 10;
            let wrong_text = format!("{text}{bad}");
            prop_assert!(!is_valid(&wrong_text));
        }

        #[test]
        fn one_mistyped_digit_is_caught(body in proptest::collection::vec(0u8..10, 2..20), at in 0usize..20, delta in 1u8..10) {
            let check = check_digit(&body);
            let mut full = body.clone();
            full.push(check);
            let at = at % full.len();
            full[at] = (full[at] + delta) % 10;
            let text: String = full.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert!(!is_valid(&text));
        }
    }
}

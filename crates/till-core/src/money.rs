//! Money: an integer count of minor units (fen, cents) tagged with an ISO 4217 currency.
//!
//! Floats never appear. Every operation is checked: an overflow or a currency mismatch is a
//! [`CoreError`], never a wrapped or silently wrong amount.

use crate::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The currencies Till knows, with the number of minor-unit digits ISO 4217 gives them.
const CURRENCIES: &[(&str, u8, &str)] =
    &[("CNY", 2, "¥"), ("HKD", 2, "HK$"), ("USD", 2, "$"), ("EUR", 2, "€"), ("GBP", 2, "£"), ("JPY", 0, "¥")];

/// An ISO 4217 currency from the table Till supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(u8);

impl Currency {
    /// Chinese yuan renminbi, the demo till's currency.
    pub const CNY: Currency = Currency(0);

    /// Parses a three-letter code such as `CNY`.
    pub fn parse(code: &str) -> Result<Self, CoreError> {
        CURRENCIES
            .iter()
            .position(|(c, _, _)| *c == code)
            .map(|i| Currency(i as u8))
            .ok_or_else(|| CoreError::UnknownCurrency(code.to_string()))
    }

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        CURRENCIES[self.0 as usize].0
    }

    /// Digits after the decimal point (2 for CNY, 0 for JPY).
    pub fn minor_digits(self) -> u8 {
        CURRENCIES[self.0 as usize].1
    }

    /// The symbol printed on receipts.
    pub fn symbol(self) -> &'static str {
        CURRENCIES[self.0 as usize].2
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money in minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct Money {
    #[ts(type = "number")]
    minor: i64,
    #[ts(type = "string")]
    currency: Currency,
}

impl Money {
    /// An amount of `minor` units (e.g. fen) of `currency`.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    fn same_currency(self, other: Money) -> Result<(), CoreError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CoreError::CurrencyMismatch(self.currency.code().into(), other.currency.code().into()))
        }
    }

    /// `self + other`, or an error on overflow or currency mismatch.
    pub fn checked_add(self, other: Money) -> Result<Money, CoreError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `self - other`, or an error on overflow or currency mismatch.
    pub fn checked_sub(self, other: Money) -> Result<Money, CoreError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `self * factor`, or an error on overflow.
    pub fn checked_mul(self, factor: i64) -> Result<Money, CoreError> {
        let minor = self.minor.checked_mul(factor).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Sums amounts of one currency; the empty sum is zero in `currency`.
    pub fn sum<I: IntoIterator<Item = Money>>(currency: Currency, items: I) -> Result<Money, CoreError> {
        items.into_iter().try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Parses a decimal amount in major units ("12.5", "12.50", "12") without floats.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Money, CoreError> {
        let text = text.trim();
        let digits = currency.minor_digits() as u32;
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > digits as usize {
            return Err(CoreError::InvalidAmount(text.to_string()));
        }
        let scale = 10i64.pow(digits);
        let whole: i64 = whole.parse().map_err(|_| CoreError::Overflow)?;
        let mut frac_value: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| CoreError::Overflow)? };
        for _ in frac.len()..digits as usize {
            frac_value *= 10;
        }
        let minor = whole.checked_mul(scale).and_then(|w| w.checked_add(frac_value)).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, currency))
    }
}

impl Money {
    /// The amount alone in major units with the currency's minor digits: `12.50`, `-0.05`,
    /// `1250` for a currency without minor units (CSV cells, reports).
    pub fn major_units(&self) -> String {
        let digits = self.currency.minor_digits() as u32;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(digits);
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
    }
}

impl fmt::Display for Money {
    /// Formats as `CNY 12.50` (code, space, amount with the currency's minor digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.major_units())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cny() -> Currency {
        Currency::parse("CNY").unwrap()
    }

    #[test]
    fn cny_constant_is_cny() {
        assert_eq!(Currency::CNY.code(), "CNY");
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert_eq!(Currency::parse("XXX"), Err(CoreError::UnknownCurrency("XXX".into())));
        assert!(Currency::parse("cny").is_err());
    }

    #[test]
    fn formats_with_minor_digits() {
        assert_eq!(Money::new(1250, cny()).to_string(), "CNY 12.50");
        assert_eq!(Money::new(-5, cny()).to_string(), "CNY -0.05");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(1250, jpy).to_string(), "JPY 1250");
    }

    #[test]
    fn parses_major_units_without_floats() {
        assert_eq!(Money::parse_major("12.5", cny()).unwrap().minor(), 1250);
        assert_eq!(Money::parse_major("12", cny()).unwrap().minor(), 1200);
        assert_eq!(Money::parse_major("0.07", cny()).unwrap().minor(), 7);
        assert!(Money::parse_major("12.345", cny()).is_err());
        assert!(Money::parse_major("-1", cny()).is_err());
        assert!(Money::parse_major("1e3", cny()).is_err());
        assert_eq!(Money::parse_major("99999999999999999999", cny()), Err(CoreError::Overflow));
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let usd = Currency::parse("USD").unwrap();
        assert!(matches!(Money::new(1, cny()).checked_add(Money::new(1, usd)), Err(CoreError::CurrencyMismatch(_, _))));
    }

    proptest! {
        #[test]
        fn add_never_overflows_silently(a in any::<i64>(), b in any::<i64>()) {
            let r = Money::new(a, cny()).checked_add(Money::new(b, cny()));
            match a.checked_add(b) {
                Some(s) => prop_assert_eq!(r.unwrap().minor(), s),
                None => prop_assert_eq!(r, Err(CoreError::Overflow)),
            }
        }

        #[test]
        fn mul_never_overflows_silently(a in any::<i64>(), k in any::<i64>()) {
            let r = Money::new(a, cny()).checked_mul(k);
            match a.checked_mul(k) {
                Some(p) => prop_assert_eq!(r.unwrap().minor(), p),
                None => prop_assert_eq!(r, Err(CoreError::Overflow)),
            }
        }

        #[test]
        fn sub_never_overflows_silently(a in any::<i64>(), b in any::<i64>()) {
            let r = Money::new(a, cny()).checked_sub(Money::new(b, cny()));
            match a.checked_sub(b) {
                Some(s) => prop_assert_eq!(r.unwrap().minor(), s),
                None => prop_assert_eq!(r, Err(CoreError::Overflow)),
            }
        }

        #[test]
        fn display_then_parse_round_trips(minor in 0i64..=i64::MAX / 1000) {
            let m = Money::new(minor, cny());
            let text = m.to_string();
            let amount = text.trim_start_matches("CNY ");
            prop_assert_eq!(Money::parse_major(amount, cny()).unwrap(), m);
        }
    }
}

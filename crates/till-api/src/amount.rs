//! Amounts on the wire: integer minor units and an ISO 4217 code.

use serde::{Deserialize, Serialize};
use till_core::Money;

/// An amount as a client sends it: integer minor units and an ISO 4217 code. The number is read
/// without a fixed width first so that a too-large or fractional value is told apart from a
/// malformed body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmountIn {
    /// Minor units (fen, cents): a whole number from 0 to 2^63-1.
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 0))]
    pub minor: serde_json::Number,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
}

impl AmountIn {
    /// An amount of `minor` units of `currency`, as a client builds one.
    pub fn new(minor: i64, currency: &str) -> Self {
        AmountIn { minor: minor.into(), currency: currency.to_string() }
    }
}

impl From<Money> for AmountIn {
    fn from(m: Money) -> Self {
        AmountIn::new(m.minor(), m.currency().code())
    }
}

/// An amount as the server answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Amount {
    /// Minor units.
    pub minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl Amount {
    /// From stored minor units and currency code.
    pub fn new(minor: i64, currency: &str) -> Self {
        Amount { minor, currency: currency.to_string() }
    }
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Amount { minor: m.minor(), currency: m.currency().code().to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_core::Currency;

    #[test]
    fn amounts_are_minor_units_and_a_code_in_json() {
        let cny = Currency::parse("CNY").unwrap();
        let sent = AmountIn::from(Money::new(1250, cny));
        assert_eq!(serde_json::to_string(&sent).unwrap(), r#"{"minor":1250,"currency":"CNY"}"#);
        let answered = Amount::from(Money::new(1250, cny));
        assert_eq!(serde_json::to_string(&answered).unwrap(), r#"{"minor":1250,"currency":"CNY"}"#);
        // A fractional or huge number is still read, for the server to refuse with a reason.
        let odd: AmountIn = serde_json::from_str(r#"{"minor":1.5,"currency":"CNY"}"#).unwrap();
        assert_eq!(odd.minor.as_i64(), None);
        let huge: AmountIn = serde_json::from_str(r#"{"minor":18446744073709551615,"currency":"CNY"}"#).unwrap();
        assert!(huge.minor.is_u64() && huge.minor.as_i64().is_none());
    }
}

//! Shapes shared by several endpoints: amounts and the checks every input field goes through.

use crate::error::ApiError;
use till_core::{Currency, Money};

// The amounts' shapes are till-api's, shared with the clients; the checks are the server's.
pub use till_api::{Amount, AmountIn};

/// The server's checks of an amount a client sent.
pub trait AmountCheck {
    /// The amount as [`Money`], refusing negative, fractional and out-of-range values.
    fn to_money(&self) -> Result<Money, ApiError>;

    /// As [`AmountCheck::to_money`], also refusing zero.
    fn to_positive_money(&self) -> Result<Money, ApiError> {
        let m = self.to_money()?;
        if m.minor() == 0 {
            return Err(ApiError::InvalidAmount("the amount must be above zero".into()));
        }
        Ok(m)
    }
}

impl AmountCheck for AmountIn {
    fn to_money(&self) -> Result<Money, ApiError> {
        let minor = match self.minor.as_i64() {
            Some(m) if m < 0 => return Err(ApiError::InvalidAmount(format!("{m} is negative"))),
            Some(m) => m,
            None if self.minor.is_u64() => return Err(ApiError::AmountOverflow),
            None => match self.minor.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => return Err(ApiError::AmountOverflow),
                _ => {
                    return Err(ApiError::InvalidAmount(format!("{} is not a whole number of minor units", self.minor)))
                }
            },
        };
        let currency = Currency::parse(&self.currency)?;
        Ok(Money::new(minor, currency))
    }
}

/// Checks a client-chosen id or short text: 1..=`max` characters, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::InvalidRequest(format!(
            "{field} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(())
}

/// Whether a card number is masked as PCI DSS allows: 12..=19 characters, digits only among the
/// first six and the last four, `*` everywhere between.
pub fn is_masked_pan(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    (12..=19).contains(&n)
        && b.iter()
            .enumerate()
            .all(|(i, c)| if i < 6 || i >= n - 4 { c.is_ascii_digit() || *c == b'*' } else { *c == b'*' })
}

/// Parses a JSON body, telling a malformed body apart from a wrong shape.
pub fn parse_json(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// Reads a typed request out of parsed JSON.
pub fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(json: &str) -> Result<Money, ApiError> {
        let a: AmountIn = serde_json::from_str(json).unwrap();
        a.to_money()
    }

    #[test]
    fn amounts_are_whole_non_negative_and_in_range() {
        assert_eq!(amount(r#"{"minor": 1200, "currency": "CNY"}"#).unwrap().minor(), 1200);
        assert_eq!(amount(r#"{"minor": -1, "currency": "CNY"}"#).unwrap_err().code(), "invalid_amount");
        assert_eq!(amount(r#"{"minor": 1.5, "currency": "CNY"}"#).unwrap_err().code(), "invalid_amount");
        assert_eq!(
            amount(r#"{"minor": 9223372036854775808, "currency": "CNY"}"#).unwrap_err().code(),
            "amount_overflow"
        );
        assert_eq!(amount(r#"{"minor": 1e30, "currency": "CNY"}"#).unwrap_err().code(), "amount_overflow");
        assert_eq!(amount(r#"{"minor": 1, "currency": "XXX"}"#).unwrap_err().code(), "unknown_currency");
    }

    #[test]
    fn only_masked_pans_pass() {
        assert!(is_masked_pan("411111******1111"));
        assert!(is_masked_pan("************1111"));
        assert!(!is_masked_pan("4111111111111111"));
        assert!(!is_masked_pan("4111111*11111111"));
        assert!(!is_masked_pan("41111"));
    }
}

/// The query of a list a till follows by cursor (`?since=CURSOR&limit=N`).
#[derive(Debug, serde::Deserialize)]
pub struct CursorQuery {
    /// The cursor of the last page (absent or `0`: from the start).
    pub since: Option<String>,
    /// Items per page.
    pub limit: Option<i64>,
}

impl CursorQuery {
    /// The cursor and the page size: `limit` defaults to `default` and must be 1 to `max`.
    pub fn page(&self, default: i64, max: i64) -> Result<(i64, i64), ApiError> {
        let since: i64 = match self.since.as_deref() {
            None | Some("") => 0,
            Some(s) => s.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                ApiError::InvalidRequest("since must be a cursor this server gave (a whole number)".into())
            })?,
        };
        let limit = self.limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(ApiError::InvalidRequest(format!("limit must be 1 to {max}")));
        }
        Ok((since, limit))
    }
}

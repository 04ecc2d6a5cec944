//! The identifiers that cross crate and process boundaries, each a type that can only hold a
//! valid value: parse once at the edge, then pass the type around.
//!
//! The forms are the ones already stored and sent, so existing databases and peers keep
//! working:
//!
//! | type | form | made by |
//! | --- | --- | --- |
//! | [`OrderId`] | the till's order row id, a positive integer | SQLite (`orders.id`) |
//! | [`CartId`] | 32 lower-case hex digits (16 random bytes) | the till, per open cart |
//! | [`SessionToken`] | 64 lower-case hex digits (32 random bytes) | the till, per login |
//! | [`PaymentId`] | 1 to 64 characters, not blank, no control characters (docs/api.md) | the till: 32 hex digits |
//! | [`EventId`] | 1 to 128 visible ASCII characters, as an `Idempotency-Key` (docs/api.md) | the till: 32 hex digits |
//! | [`TerminalId`] | 1 to 64 visible ASCII characters | the server: `t_` and 16 hex digits |
//!
//! Each serialises as its bare value (as `#[serde(transparent)]` would) but is checked when
//! deserialised, so a malformed id in JSON is refused at the edge.

use crate::CoreError;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The till's number of a recorded order (`orders.id`): a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct OrderId(i64);

impl OrderId {
    /// An order id from its row id; zero and negative numbers are not order ids.
    pub fn new(id: i64) -> Result<Self, CoreError> {
        if id > 0 {
            Ok(OrderId(id))
        } else {
            Err(CoreError::InvalidId { kind: "order id", value: id.to_string() })
        }
    }

    /// Parses the decimal text of an order id (no sign, no spaces).
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::InvalidId { kind: "order id", value: text.to_string() };
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        OrderId::new(text.parse().map_err(|_| bad())?)
    }

    /// The row id.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for OrderId {
    type Error = CoreError;

    fn try_from(id: i64) -> Result<Self, Self::Error> {
        OrderId::new(id)
    }
}

impl From<OrderId> for i64 {
    fn from(id: OrderId) -> i64 {
        id.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for OrderId {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderId::parse(s)
    }
}

/// `n` random bytes from `rng` as lower-case hex.
fn random_hex(rng: &mut dyn RngCore, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_visible_ascii(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Defines a string id: the type, `parse` with `$valid`, `as_str`, `Display`, `FromStr` and
/// serde as the bare string.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $valid:expr) => {
        string_id!($(#[$meta])* $name, $kind, $valid, |t: &str| t.chars().take(80).collect());
    };
    ($(#[$meta:meta])* $name:ident, $kind:literal, $valid:expr, $shown:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks the form and takes the text as it is (no trimming or case change: the
            /// text is what was stored or sent).
            pub fn parse(text: &str) -> Result<Self, CoreError> {
                let valid: fn(&str) -> bool = $valid;
                if valid(text) {
                    Ok($name(text.to_string()))
                } else {
                    let shown: fn(&str) -> String = $shown;
                    Err(CoreError::InvalidId { kind: $kind, value: shown(text) })
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoreError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = CoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Debug as `Name("text")` for ids that are not secret.
macro_rules! plain_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    )*};
}

string_id!(
    /// An open cart on the till: 32 lower-case hex digits.
    CartId,
    "cart id",
    |t| is_lower_hex(t, 32)
);
string_id!(
    /// A logged-in user's session: 64 lower-case hex digits. A bearer secret, so its `Debug`
    /// does not show it.
    SessionToken,
    "session token",
    |t| is_lower_hex(t, 64),
    // A near-miss may be a real token mistyped: never echo it into an error or a log.
    |_| String::new()
);
string_id!(
    /// A card payment's id as the payment platform takes it: 1 to 64 characters, not blank, no
    /// control characters.
    PaymentId,
    "payment id",
    |t| !t.trim().is_empty() && t.chars().count() <= 64 && !t.chars().any(char::is_control)
);
string_id!(
    /// An outbox event's id, sent as its `Idempotency-Key`: 1 to 128 visible ASCII characters.
    EventId,
    "event id",
    |t| is_visible_ascii(t, 128)
);
string_id!(
    /// A terminal registered with the server, as in `X-Till-Terminal`: 1 to 64 visible ASCII
    /// characters.
    TerminalId,
    "terminal id",
    |t| is_visible_ascii(t, 64)
);

plain_debug!(CartId, PaymentId, EventId, TerminalId);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl CartId {
    /// A fresh cart id: 16 random bytes.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        CartId(random_hex(rng, 16))
    }
}

impl SessionToken {
    /// A fresh session token: 32 random bytes.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        SessionToken(random_hex(rng, 32))
    }
}

impl PaymentId {
    /// A fresh payment id: 16 random bytes as 32 hex digits.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        PaymentId(random_hex(rng, 16))
    }
}

impl EventId {
    /// A fresh event id: 16 random bytes as 32 hex digits.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        EventId(random_hex(rng, 16))
    }
}

impl TerminalId {
    /// The id the server gives a new terminal: `t_` and 8 random bytes in hex.
    pub fn from_random(bytes: [u8; 8]) -> Self {
        TerminalId(format!("t_{}", hex::encode(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn order_ids_are_positive_integers() {
        assert_eq!(OrderId::new(42).unwrap().get(), 42);
        assert_eq!(OrderId::parse("42").unwrap(), OrderId::new(42).unwrap());
        for bad in [0, -1, i64::MIN] {
            assert!(OrderId::new(bad).is_err(), "{bad}");
        }
        for bad in ["", "0", "-3", "+3", " 3", "3.0", "x", "99999999999999999999"] {
            assert!(OrderId::parse(bad).is_err(), "{bad:?}");
        }
        let id = OrderId::new(7).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "7");
        assert_eq!(serde_json::from_str::<OrderId>("7").unwrap(), id);
        assert!(serde_json::from_str::<OrderId>("0").is_err());
        assert!(serde_json::from_str::<OrderId>("\"7\"").is_err());
        assert_eq!(id.to_string(), "7");
    }

    #[test]
    fn generated_ids_have_the_forms_the_till_stores() {
        let mut r = rng();
        let cart = CartId::generate(&mut r);
        assert!(is_lower_hex(cart.as_str(), 32), "{cart}");
        assert_eq!(CartId::parse(cart.as_str()).unwrap(), cart);
        let token = SessionToken::generate(&mut r);
        assert!(is_lower_hex(token.as_str(), 64));
        assert_eq!(SessionToken::parse(token.as_str()).unwrap(), token);
        for id in [PaymentId::generate(&mut r).to_string(), EventId::generate(&mut r).to_string()] {
            assert!(is_lower_hex(&id, 32), "{id}");
        }
        let t = TerminalId::from_random([0x3f, 0x9c, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]);
        assert_eq!(t.as_str(), "t_3f9c0a1b2c3d4e5f"); // the example of docs/api.md
        assert_ne!(CartId::generate(&mut r), CartId::generate(&mut r));
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(CartId::parse(&"A".repeat(32)).is_err(), "upper case");
        assert!(CartId::parse(&"a".repeat(31)).is_err());
        assert!(CartId::parse(&"g".repeat(32)).is_err());
        assert!(SessionToken::parse(&"a".repeat(32)).is_err());
        assert!(SessionToken::parse("").is_err());
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert!(PaymentId::parse(bad).is_err(), "{bad:?}");
        }
        // The contract allows any text of 1 to 64 characters, not only the till's hex.
        for good in ["p1", "pay-2", "0190f3a4-7c1e", "支付-1", &"x".repeat(64)] {
            assert!(PaymentId::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a b", "é", &"k".repeat(129)] {
            assert!(EventId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EventId::parse(&"k".repeat(128)).is_ok());
        assert!(EventId::parse("e-1").is_ok());
        for bad in ["", "t 1", &"t".repeat(65)] {
            assert!(TerminalId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(TerminalId::parse("t-1").is_ok());
        let e = PaymentId::parse("").unwrap_err();
        assert_eq!(e, CoreError::InvalidId { kind: "payment id", value: String::new() });
    }

    #[test]
    fn string_ids_serialise_bare_and_are_checked_when_read() {
        let id = PaymentId::parse("p1").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"p1\"");
        assert_eq!(serde_json::from_str::<PaymentId>("\"p1\"").unwrap(), id);
        assert!(serde_json::from_str::<PaymentId>("\"\"").is_err());
        assert!(serde_json::from_str::<CartId>("\"c2\"").is_err());
        assert!(serde_json::from_str::<EventId>("1").is_err());
    }

    #[test]
    fn a_session_token_never_prints_in_debug() {
        let token = SessionToken::generate(&mut rng());
        assert_eq!(format!("{token:?}"), "SessionToken(..)");
        assert_eq!(format!("{:?}", Some(&token)), "Some(SessionToken(..))");
        assert_eq!(format!("{:?}", EventId::parse("e1").unwrap()), "EventId(\"e1\")");
        let near_miss = format!("{}x", &token.as_str()[1..]);
        let e = SessionToken::parse(&near_miss).unwrap_err();
        assert!(!e.to_string().contains(&token.as_str()[1..20]), "{e}");
    }

    proptest! {
        #[test]
        fn every_valid_event_id_round_trips(text in "[!-~]{1,128}") {
            let id = EventId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), id);
        }

        #[test]
        fn every_positive_order_id_round_trips(n in 1i64..) {
            let id = OrderId::new(n).unwrap();
            prop_assert_eq!(OrderId::parse(&id.to_string()).unwrap(), id);
        }
    }
}

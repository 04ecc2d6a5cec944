//! Where a sale line came from when it is not a catalogue item at its catalogue price.
//!
//! Most lines are rung up from the catalogue. Two kinds are not: a line of an order a web shop
//! sent for collection at the counter (its price is the one the customer was promised), and a
//! service a provider priced in a conversation (a mobile top-up, a bill). Such a line keeps its
//! origin from the cart to the order and the sale event, so the platform can mark the order
//! collected or tell the provider it was paid, in the sale's own transaction.

use crate::CoreError;

/// The longest reference an origin may carry (an order id or a conversation id).
pub const MAX_REFERENCE_LEN: usize = 64;

/// Where a line came from, other than the catalogue at its price.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineOrigin {
    /// A line of an order pending collection; `reference` is the platform's order id.
    PendingOrder {
        /// The platform's order id, e.g. `PO-…`.
        reference: String,
    },
    /// A service paid at the counter; `reference` is the conversation's id at the platform.
    Service {
        /// The conversation id.
        reference: String,
    },
}

impl LineOrigin {
    /// The stored and sent name of the kind: `pending_order` or `service`.
    pub fn kind(&self) -> &'static str {
        match self {
            LineOrigin::PendingOrder { .. } => "pending_order",
            LineOrigin::Service { .. } => "service",
        }
    }

    /// The reference within the kind.
    pub fn reference(&self) -> &str {
        match self {
            LineOrigin::PendingOrder { reference } | LineOrigin::Service { reference } => reference,
        }
    }

    /// Reads a kind and reference as stored or received; refuses an unknown kind or a reference
    /// that is empty, too long or not printable ASCII.
    pub fn parse(kind: &str, reference: &str) -> Result<LineOrigin, CoreError> {
        let ok = !reference.is_empty()
            && reference.len() <= MAX_REFERENCE_LEN
            && reference.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(CoreError::InvalidLineOrigin(format!("{kind}:{reference}")));
        }
        let reference = reference.to_string();
        match kind {
            "pending_order" => Ok(LineOrigin::PendingOrder { reference }),
            "service" => Ok(LineOrigin::Service { reference }),
            other => Err(CoreError::InvalidLineOrigin(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_references_round_trip() {
        for o in [
            LineOrigin::PendingOrder { reference: "PO-000123".into() },
            LineOrigin::Service { reference: "c-9f2e".into() },
        ] {
            assert_eq!(LineOrigin::parse(o.kind(), o.reference()), Ok(o.clone()));
        }
    }

    #[test]
    fn unknown_kinds_and_bad_references_are_refused() {
        assert!(LineOrigin::parse("gift", "x").is_err());
        assert!(LineOrigin::parse("service", "").is_err());
        assert!(LineOrigin::parse("service", "a b").is_err());
        assert!(LineOrigin::parse("service", &"x".repeat(MAX_REFERENCE_LEN + 1)).is_err());
        assert!(LineOrigin::parse("pending_order", &"x".repeat(MAX_REFERENCE_LEN)).is_ok());
    }
}

//! Loyalty points: enrolment, updates with a loyalty token, reversals for refunds, and account
//! lookups (`/v1/points/...`).

use serde::{Deserialize, Serialize};

/// A new points account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    /// The merchant's reference for the customer (a customer id, never a phone number in clear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
}

/// The new account and the message for the phone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolResponse {
    /// 32 hex digits.
    pub account_id: String,
    /// `TILL-ENROL 1 <account-id> <base32 k_c> <server-id>`: send it to the phone, do not keep it.
    pub enrolment_message: String,
    /// The account as it starts.
    pub account: AccountSummary,
}

/// Earn or redeem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PointsKind {
    /// Add points.
    Earn,
    /// Spend points.
    Redeem,
}

/// A points change authorised by a loyalty token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsUpdateRequest {
    /// The loyalty token from the phone, hex: an identify token (version 1, 44 bytes, 88
    /// digits) for `earn`; for `redeem` only a redemption token (version 2, 66 bytes, 132
    /// digits) whose MAC covers the kind, these points and the sale's checkout key.
    pub token: String,
    /// Earn or redeem.
    pub kind: PointsKind,
    /// Points, 1 to 1,000,000,000.
    pub points: i64,
    /// The order the change belongs to.
    pub order_id: String,
    /// For an `earn` whose own identify token expired before the till could send it (a long
    /// time offline): the identify token (version 1, hex) of the customer's next identification
    /// at the till. `token` stays the one read for the sale; the server then takes it past its
    /// window, once, if this token is the same customer's, made after it and within the window
    /// now, and `token`'s counter was never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identified_again: Option<String>,
}

/// A balance with its level and the promotions of that level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSummary {
    /// Account id.
    pub account_id: String,
    /// Points balance.
    pub balance: i64,
    /// Level name.
    pub level: String,
    /// Promotions offered at this level.
    pub promotions: Vec<Promotion>,
    /// Last token counter accepted.
    pub last_counter: i64,
}

/// Which earlier change a reversal undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReversalKind {
    /// Take back points the order earned (subtracts them).
    ReverseEarn,
    /// Give back points the order redeemed (adds them).
    ReturnRedeem,
}

impl ReversalKind {
    /// The stored kind of the reversal's history entry.
    pub fn name(self) -> &'static str {
        match self {
            ReversalKind::ReverseEarn => "reverse_earn",
            ReversalKind::ReturnRedeem => "return_redeem",
        }
    }

    /// The stored kind of the change it reverses.
    pub fn original(self) -> &'static str {
        match self {
            ReversalKind::ReverseEarn => "earn",
            ReversalKind::ReturnRedeem => "redeem",
        }
    }
}

/// A reversal of an order's points for a refund (`POST /v1/points/reversals`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsReversalRequest {
    /// The till's refund id the reversal belongs to (1 to 64 characters).
    pub refund_id: String,
    /// The order whose points are reversed, as this terminal sent it with the points update.
    pub order_id: String,
    /// The account, 32 hex digits.
    pub account_id: String,
    /// `reverse_earn` or `return_redeem`.
    pub kind: ReversalKind,
    /// Points, 1 to 1,000,000,000.
    pub points: i64,
}

/// One history entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// Token counter; for a reversal, the account's last counter when it was applied.
    pub counter: i64,
    /// Order.
    pub order_id: String,
    /// Terminal.
    pub terminal_id: String,
    /// `earn`, `redeem`, `reverse_earn` or `return_redeem`.
    pub kind: String,
    /// Signed change.
    pub delta: i64,
    /// Balance after.
    pub balance_after: i64,
    /// When.
    pub at: i64,
    /// The refund of a reversal; null for earn and redeem.
    pub refund_id: Option<String>,
}

/// An account with its latest history (`GET /v1/points/accounts/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDetail {
    /// Balance, level, promotions.
    #[serde(flatten)]
    pub summary: AccountSummary,
    /// Latest 50 changes, newest first.
    pub history: Vec<HistoryEntry>,
}

/// A promotion offered to accounts at `min_level` or above.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Promotion {
    /// Stable id of the promotion.
    pub id: String,
    /// The lowest level it is offered to.
    pub min_level: String,
    /// Text for the points terminal's display or the receipt.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reversal_names_itself_and_the_change_it_undoes() {
        for (kind, name, original) in [
            (ReversalKind::ReverseEarn, "reverse_earn", "earn"),
            (ReversalKind::ReturnRedeem, "return_redeem", "redeem"),
        ] {
            assert_eq!((kind.name(), kind.original()), (name, original));
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
        }
    }

    /// The body till-store queues for `points.reversed` (and till-sync sends as queued) reads as
    /// the request the server takes.
    #[test]
    fn the_queued_reversal_payload_is_a_reversal_request() {
        let payload = r#"{"refund_id":"r1","order_id":"00000007","account_id":"00112233445566778899aabbccddeeff","kind":"reverse_earn","points":120}"#;
        let req: PointsReversalRequest = crate::from_json(payload).unwrap();
        assert_eq!((req.kind, req.points), (ReversalKind::ReverseEarn, 120));
        let update: PointsUpdateRequest =
            crate::from_json(r#"{"token":"00","kind":"redeem","points":5,"order_id":"00000007"}"#).unwrap();
        assert_eq!(update.kind, PointsKind::Redeem);
        let enrol: EnrolRequest = crate::from_json("{}").unwrap();
        assert_eq!(serde_json::to_string(&enrol).unwrap(), "{}");
    }
}

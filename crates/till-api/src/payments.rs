//! `POST /v1/payments/authorize`: a card payment for the payment platform, the card encrypted
//! by the till or its reader (docs/api.md, "Card blocks"); and
//! `POST /v1/payments/{payment_id}/reversal`: taking back an authorisation whose sale the till
//! could not record.

use crate::amount::{Amount, AmountIn};
use serde::{Deserialize, Serialize};

/// A request to authorise a card payment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizeRequest {
    /// The till's payment id (also a good idempotency key).
    pub payment_id: String,
    /// The order being paid.
    pub order_id: String,
    /// Amount to authorise, above zero.
    pub amount: AmountIn,
    /// The encrypted card.
    pub card: CardBlock,
    /// The PIN block, hex: with `platform_gcm`, an ISO 9564 format 4 block AES-256-enciphered
    /// under the platform's PIN key (32 hex digits); with `tdes_dukpt`, an ISO 9564 format 0
    /// block TDES-encrypted under the PIN key of the card block's KSN (16 hex digits). Not with
    /// `aes_dukpt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_block: Option<String>,
}

/// Approved or declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    /// The platform approved; `auth_code` is set.
    Approved,
    /// The platform declined; `reason_code` says why.
    Declined,
}

/// The platform's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizeResponse {
    /// Echo of the till's payment id.
    pub payment_id: String,
    /// Approved or declined.
    pub status: AuthorizationStatus,
    /// Six digits when approved.
    pub auth_code: Option<String>,
    /// Why it was declined: `invalid_card_number`, `expired_card`, `amount_limit`,
    /// `pin_required`, `incorrect_pin`, `do_not_honour`, `insufficient_funds`, or a test card's
    /// scripted code.
    pub reason_code: Option<String>,
    /// The card, masked.
    pub masked_pan: String,
    /// Card brand from the BIN.
    pub brand: String,
    /// Amount authorised (or declined).
    pub amount: Amount,
    /// Always true: this platform is a sandbox.
    pub sandbox: bool,
}

/// How a card block is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardScheme {
    /// AES-256-GCM under the platform key.
    PlatformGcm,
    /// TDES DUKPT reader block.
    TdesDukpt,
    /// AES DUKPT reader block.
    AesDukpt,
}

/// Which TDES DUKPT key variant a reader encrypted with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyVariant {
    /// PIN variant (MagTek MagneSafe, ID TECH in PIN-key mode).
    #[default]
    Pin,
    /// Data variant (ID TECH in data-key mode).
    Data,
}

/// The card part of an authorisation request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardBlock {
    /// How `data` is protected.
    pub scheme: CardScheme,
    /// The encrypted block, hex.
    pub data: String,
    /// Key serial number, hex: 10 bytes (TDES) or 12 bytes (AES). Absent for `platform_gcm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksn: Option<String>,
    /// TDES key variant; `pin` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_variant: Option<KeyVariant>,
    /// The masked PAN the till shows; informative only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_pan: Option<String>,
}

/// A request to reverse (void) the authorisation of a payment whose sale was not recorded, in
/// full. Its `payment_id` is the one in the path (also in the body, so that a reversal hashes
/// and reads alike alone or in a batch).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReversalRequest {
    /// The payment id of the authorisation, as in the path.
    pub payment_id: String,
    /// The amount the till asked to authorise; must be the authorisation's.
    pub amount: AmountIn,
    /// Why, for the platform's records: `sale_not_recorded`, `no_answer`, `till_restarted`.
    pub reason: String,
}

/// What a reversal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReversalStatus {
    /// The approved authorisation is reversed: nothing will be captured, and it cannot be
    /// refunded.
    Reversed,
}

/// The platform's answer to a reversal of an approved authorisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReversalResponse {
    /// Echo of the payment id.
    pub payment_id: String,
    /// Always `reversed`.
    pub status: ReversalStatus,
    /// The approval code of the authorisation that was reversed.
    pub auth_code: Option<String>,
    /// The amount released.
    pub amount: Amount,
    /// When it was reversed, unix seconds.
    pub reversed_at: i64,
    /// Always true: this platform is a sandbox.
    pub sandbox: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request of docs/api.md ("POST /v1/payments/authorize") reads as the type, and a
    /// client's body leaves out what it does not have, as the contract's defaults allow.
    #[test]
    fn an_authorisation_request_round_trips_without_its_absent_fields() {
        let text = r#"{ "payment_id": "0190f3a4-1", "order_id": "0190f3a2-1",
            "amount": {"minor": 12800, "currency": "CNY"},
            "card": { "scheme": "platform_gcm", "data": "00ff", "ksn": null, "key_variant": null, "masked_pan": "411111******1111" } }"#;
        let req: AuthorizeRequest = crate::from_json(text).unwrap();
        assert_eq!(req.card.scheme, CardScheme::PlatformGcm);
        assert_eq!((req.card.ksn.as_deref(), req.card.key_variant, req.pin_block.as_deref()), (None, None, None));
        let sent = serde_json::to_value(&req).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({ "payment_id": "0190f3a4-1", "order_id": "0190f3a2-1",
                "amount": {"minor": 12800, "currency": "CNY"},
                "card": { "scheme": "platform_gcm", "data": "00ff", "masked_pan": "411111******1111" } })
        );
        assert!(crate::from_json::<AuthorizeRequest>(&text.replace("platform_gcm", "rot13")).is_err());
    }

    #[test]
    fn a_reversal_request_reads_as_the_contract_shows_it() {
        let text = r#"{"payment_id":"p1","amount":{"minor":1999,"currency":"CNY"},"reason":"sale_not_recorded"}"#;
        let r: ReversalRequest = crate::from_json(text).unwrap();
        assert_eq!(
            (r.payment_id.as_str(), r.amount.minor.as_i64(), r.reason.as_str()),
            ("p1", Some(1999), "sale_not_recorded")
        );
        assert!(crate::from_json::<ReversalRequest>(r#"{"payment_id":"p1"}"#).is_err());
        let answer = ReversalResponse {
            payment_id: "p1".into(),
            status: ReversalStatus::Reversed,
            auth_code: Some("123456".into()),
            amount: crate::Amount::new(1999, "CNY"),
            reversed_at: 1,
            sandbox: true,
        };
        assert_eq!(serde_json::to_value(&answer).unwrap()["status"], "reversed");
    }

    #[test]
    fn an_answer_keeps_its_nulls() {
        // Answers are the server's: absent values are null, as clients have always read them.
        let answer = AuthorizeResponse {
            payment_id: "p1".into(),
            status: AuthorizationStatus::Declined,
            auth_code: None,
            reason_code: Some("do_not_honour".into()),
            masked_pan: "411111******1111".into(),
            brand: "visa".into(),
            amount: crate::Amount::new(100, "CNY"),
            sandbox: true,
        };
        let v = serde_json::to_value(&answer).unwrap();
        assert!(v["auth_code"].is_null() && v.get("auth_code").is_some());
        assert_eq!(v["status"], "declined");
    }
}

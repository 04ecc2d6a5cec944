//! The service relay (CN104123686A): a till follows a service provider's public account and
//! handles a customer's business with it as a conversation through the platform
//! (`/v1/services/...`), and the platform's own calls to the provider (`Relay*`), signed with
//! the provider's shared secret (`till_core::relay_signing`).

use crate::amount::Amount;
use serde::{Deserialize, Serialize};

/// A provider a till may follow (`GET /v1/services/providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderInfo {
    /// The provider's public account id, e.g. `mobile-topup`.
    pub account_id: String,
    /// Its name, as registered on the platform.
    pub name: String,
    /// Whether the asking terminal follows it.
    pub followed: bool,
}

/// The providers registered and enabled on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvidersResponse {
    /// By account id.
    pub providers: Vec<ProviderInfo>,
}

/// `POST /v1/services/follow`: the terminal follows a provider's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowRequest {
    /// The account to follow.
    pub account_id: String,
}

/// The terminal now follows the account (also when it already did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowResponse {
    /// The account followed.
    pub account_id: String,
    /// Its name.
    pub name: String,
    /// Since when, unix seconds.
    pub followed_at: i64,
}

/// `POST /v1/services/conversations`: a conversation with a followed provider, its id made by
/// the till (so a retry names the same one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationRequest {
    /// 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub conversation_id: String,
    /// The provider's account.
    pub account_id: String,
}

/// A conversation as the platform keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationResponse {
    /// Its id.
    pub conversation_id: String,
    /// The provider's account.
    pub account_id: String,
    /// The provider's name.
    pub provider_name: String,
    /// `open`, `done` (the provider said the business is done) or `paid`.
    pub status: String,
    /// When it was started, unix seconds.
    pub created_at: i64,
}

/// `POST /v1/services/conversations/{id}/messages`: one round, the cashier's request text. The
/// `Idempotency-Key` names the round: the same key again returns the stored answer, or tries
/// the provider again when the round failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageRequest {
    /// What the customer asks, 1 to 500 characters.
    pub text: String,
}

/// The provider's answer to one round, as stored by the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundResponse {
    /// The conversation.
    pub conversation_id: String,
    /// The round's number in the conversation, from 1.
    pub seq: i64,
    /// The provider's answer text.
    pub text: String,
    /// An amount to pay, when the provider asks for one: it becomes a sale line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Whether the provider says the business is done (no more rounds).
    pub done: bool,
}

/// The platform → provider call when a terminal follows the account (`{endpoint}/follow`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayFollow {
    /// The account followed.
    pub account_id: String,
    /// The terminal's identity, which the provider binds to the account.
    pub terminal_id: String,
}

/// The provider's answer to [`RelayFollow`] and [`RelayPaid`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayAck {
    /// True: taken (for a paid notice, also when it was already taken before).
    pub acknowledged: bool,
}

/// One round forwarded to the provider (`{endpoint}/message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayMessage {
    /// The provider's account.
    pub account_id: String,
    /// The conversation (the provider keeps its state per conversation).
    pub conversation_id: String,
    /// The terminal speaking.
    pub terminal_id: String,
    /// The round's number: the same round sent again (a retry) has the same number and text,
    /// and the provider answers it as it did the first time.
    pub seq: i64,
    /// The request text.
    pub text: String,
}

/// The provider's answer to a [`RelayMessage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayAnswer {
    /// What to show the cashier, 1 to 1000 characters.
    pub text: String,
    /// An amount to pay, above zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// The business is done.
    #[serde(default)]
    pub done: bool,
}

/// The platform tells the provider a conversation's amount was paid (`{endpoint}/paid`), until
/// the provider acknowledges it; the provider records it once per conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayPaid {
    /// The provider's account.
    pub account_id: String,
    /// The conversation paid.
    pub conversation_id: String,
    /// The terminal whose sale paid it.
    pub terminal_id: String,
    /// The amount paid.
    pub amount: Amount,
    /// The sale's order id at that terminal.
    pub order_id: String,
    /// The sale line's code.
    pub line_code: String,
    /// When the platform recorded the sale, unix seconds.
    pub paid_at: i64,
}

//! The service relay as the window sees it: providers, conversations and their rounds.

use serde::Serialize;
use till_core::Money;
use ts_rs::TS;

/// A provider on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderView {
    /// Its public account id.
    pub account_id: String,
    /// Its name.
    pub name: String,
    /// Whether this till follows it.
    pub followed: bool,
}

/// One round of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRoundView {
    /// Order in the conversation, from 1.
    #[ts(type = "number")]
    pub seq: i64,
    /// What the cashier sent.
    pub request_text: String,
    /// `sending`, `answered` or `failed`.
    pub status: String,
    /// The provider's answer.
    pub answer_text: Option<String>,
    /// An amount to pay the provider asked for.
    pub amount: Option<Money>,
    /// Whether the provider said the business is done.
    pub done: bool,
    /// Why the round failed: `provider_unavailable`, `provider_signature_invalid`,
    /// `provider_refused`, `provider_answer_invalid`, `server_unreachable`,
    /// `sync_not_configured`, or another server code. The window words it by the code.
    pub error_code: Option<String>,
    /// The failure in words (the server's or the till's).
    pub error_message: Option<String>,
    /// When sent, ms since the epoch.
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// A conversation with a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConversationView {
    /// Its id (also the reference of its sale line).
    pub conversation_id: String,
    /// The provider's account.
    pub account_id: String,
    /// The provider's name.
    pub provider_name: String,
    /// Who handled it.
    pub cashier: String,
    /// `open` or `done`.
    pub status: String,
    /// The amount the provider last asked for.
    pub amount: Option<Money>,
    /// When started, ms since the epoch.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// The receipt number of the sale that paid it.
    pub paid_order_no: Option<String>,
    /// Whether its amount is in the cashier's open cart now.
    pub in_cart: bool,
    /// The rounds, in order.
    pub rounds: Vec<ServiceRoundView>,
}

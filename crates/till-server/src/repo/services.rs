//! What the server keeps of the service relay (schema version 9): providers (their secrets
//! sealed), the terminals that follow them, conversations and their rounds, and the statements
//! a [`super::Tx`] offers for them ([`ServicesTx`]).

use super::RepoResult;

/// The statements of the service relay, part of every [`super::Tx`].
pub trait ServicesTx {
    /// Registers a service provider (its secret sealed at rest).
    fn insert_provider(&mut self, p: &ProviderRecord) -> RepoResult<()>;
    /// A provider by public account id, its secret opened.
    fn provider(&mut self, account_id: &str) -> RepoResult<Option<ProviderRecord>>;
    /// Every provider, by account id.
    fn providers(&mut self) -> RepoResult<Vec<ProviderRecord>>;
    /// Disables or re-enables a provider; false if there is none.
    fn set_provider_disabled(&mut self, account_id: &str, disabled: bool) -> RepoResult<bool>;
    /// Records that a terminal follows an account (nothing when it already does).
    fn insert_follow(&mut self, terminal: &str, account_id: &str, at: i64) -> RepoResult<()>;
    /// Since when the terminal follows the account, if it does.
    fn follow(&mut self, terminal: &str, account_id: &str) -> RepoResult<Option<i64>>;
    /// Stores a new conversation.
    fn insert_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()>;
    /// A conversation by id.
    fn conversation(&mut self, conversation_id: &str) -> RepoResult<Option<ConversationRecord>>;
    /// Writes a conversation's status, amount, payment and notice fields.
    fn update_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()>;
    /// Paid conversations whose notice is pending and due at `now`, oldest due first.
    fn due_paid_notices(&mut self, now: i64, limit: i64) -> RepoResult<Vec<ConversationRecord>>;
    /// Stores a new round.
    fn insert_round(&mut self, r: &RoundRecord) -> RepoResult<()>;
    /// A conversation's round by its idempotency key.
    fn round_by_key(&mut self, conversation_id: &str, idem_key: &str) -> RepoResult<Option<RoundRecord>>;
    /// A conversation's latest round.
    fn last_round(&mut self, conversation_id: &str) -> RepoResult<Option<RoundRecord>>;
    /// Writes a round's status, answer and error.
    fn update_round(&mut self, r: &RoundRecord) -> RepoResult<()>;
}

/// A service provider registered on the platform (CN104123686A).
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderRecord {
    /// Its public account id, e.g. `mobile-topup`.
    pub account_id: String,
    /// Its name, shown to tills.
    pub name: String,
    /// The base URL the platform calls (`{endpoint}/message`, `/follow`, `/paid`).
    pub endpoint: String,
    /// The shared secret signing both ways. In clear only in memory: sealed at rest.
    pub secret: String,
    /// When registered.
    pub created_at: i64,
    /// Disabled providers are not listed, followed or called.
    pub disabled: bool,
}

impl std::fmt::Debug for ProviderRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("ProviderRecord")
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A conversation between a terminal and a provider, relayed by the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    /// Its id (made by the till).
    pub conversation_id: String,
    /// The terminal speaking.
    pub terminal_id: String,
    /// The provider's account.
    pub account_id: String,
    /// `open`, `done` or `paid`.
    pub status: String,
    /// The amount to pay the provider last asked for, minor units.
    pub amount_minor: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// When started.
    pub created_at: i64,
    /// The sale that paid it: order id at the terminal.
    pub paid_order_id: Option<String>,
    /// The sale line that paid it.
    pub paid_line_code: Option<String>,
    /// When the sale was recorded.
    pub paid_at: Option<i64>,
    /// The paid notice to the provider: `pending` until acknowledged, then `acknowledged`.
    pub notify_state: Option<String>,
    /// Deliveries tried.
    pub notify_attempts: i64,
    /// When the next delivery is due.
    pub notify_next_at: Option<i64>,
    /// When the provider acknowledged.
    pub notified_at: Option<i64>,
    /// Why the last delivery failed.
    pub notify_error: Option<String>,
}

/// One round of a conversation: the request and the provider's answer, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRecord {
    /// The conversation.
    pub conversation_id: String,
    /// From 1.
    pub seq: i64,
    /// The till's idempotency key for the round.
    pub idem_key: String,
    /// The request text.
    pub request_text: String,
    /// `pending` (sent to the provider), `answered` or `failed`.
    pub status: String,
    /// The provider's answer.
    pub answer_text: Option<String>,
    /// The amount it asked for, minor units.
    pub amount_minor: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// Whether the provider said the business is done.
    pub done: bool,
    /// Why it failed (`provider_unavailable`, ...).
    pub error_code: Option<String>,
    /// The failure in words.
    pub error_message: Option<String>,
    /// When first sent (or last re-sent).
    pub created_at: i64,
    /// When answered or failed.
    pub answered_at: Option<i64>,
}

//! What the service relay refuses, or fails at, with its stable codes (docs/services.md): a
//! leaf module, so [`crate::error::ApiError`] can carry it without depending on the relay.

use axum::http::StatusCode;

/// The relay's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No provider with that account id (or it is disabled).
    #[error("no service provider {0}")]
    ProviderNotFound(String),
    /// A provider with that account id is already registered.
    #[error("a service provider {0} is already registered")]
    ProviderExists(String),
    /// The endpoint is not an https URL (or http to this computer).
    #[error("the endpoint {0}")]
    InvalidEndpoint(String),
    /// The terminal does not follow the provider.
    #[error("this terminal does not follow {0}; follow it first")]
    NotFollowing(String),
    /// No conversation with that id at this terminal.
    #[error("no conversation {0}")]
    ConversationNotFound(String),
    /// The conversation id is taken by another conversation.
    #[error("conversation {0} already exists with another provider or terminal")]
    ConversationExists(String),
    /// The conversation takes no more rounds (done or paid).
    #[error("the conversation is {0}; start a new one")]
    ConversationClosed(String),
    /// The last round has no answer yet: it must be retried (same key) before a new one.
    #[error("round {0} has no answer yet; retry it with its own idempotency key first")]
    RoundPending(i64),
    /// The same round is being sent right now.
    #[error("round {0} is being sent to the provider; retry in a moment")]
    RoundInProgress(i64),
    /// The provider did not answer in time, could not be reached, or failed.
    #[error("the provider is unavailable: {0}")]
    ProviderUnavailable(String),
    /// The provider's answer is unsigned or its signature does not verify.
    #[error("the provider's answer is not signed with its shared secret: {0}")]
    ProviderSignatureInvalid(String),
    /// The provider refused the round (a signed 4xx).
    #[error("the provider refused ({code}): {message}")]
    ProviderRefused {
        /// The provider's code.
        code: String,
        /// Its words.
        message: String,
    },
    /// The provider's signed answer is not a valid answer (no text, a bad amount).
    #[error("the provider's answer is not valid: {0}")]
    ProviderAnswerInvalid(String),
    /// A sale line names a conversation that cannot be paid (unknown, another terminal's, no
    /// amount asked).
    #[error("service {0} cannot be paid: {1}")]
    NotPayable(String, String),
    /// A sale line's amount is not the conversation's.
    #[error("service {conversation} asks for {asked}, the sale line is {line}")]
    AmountMismatch {
        /// The conversation.
        conversation: String,
        /// What the provider asked.
        asked: String,
        /// What the line says.
        line: String,
    },
    /// The conversation was paid by another sale already.
    #[error("service {0} is already paid")]
    AlreadyPaid(String),
}

impl ServiceError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::ProviderNotFound(_) => "provider_not_found",
            ServiceError::ProviderExists(_) => "provider_exists",
            ServiceError::InvalidEndpoint(_) => "invalid_endpoint",
            ServiceError::NotFollowing(_) => "not_following",
            ServiceError::ConversationNotFound(_) => "conversation_not_found",
            ServiceError::ConversationExists(_) => "conversation_exists",
            ServiceError::ConversationClosed(_) => "conversation_closed",
            ServiceError::RoundPending(_) => "round_pending",
            ServiceError::RoundInProgress(_) => "round_in_progress",
            ServiceError::ProviderUnavailable(_) => "provider_unavailable",
            ServiceError::ProviderSignatureInvalid(_) => "provider_signature_invalid",
            ServiceError::ProviderRefused { .. } => "provider_refused",
            ServiceError::ProviderAnswerInvalid(_) => "provider_answer_invalid",
            ServiceError::NotPayable(..) => "service_not_payable",
            ServiceError::AmountMismatch { .. } => "service_amount_mismatch",
            ServiceError::AlreadyPaid(_) => "service_already_paid",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ServiceError::ProviderNotFound(_) | ServiceError::ConversationNotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::InvalidEndpoint(_) => StatusCode::BAD_REQUEST,
            ServiceError::ProviderExists(_)
            | ServiceError::NotFollowing(_)
            | ServiceError::ConversationExists(_)
            | ServiceError::ConversationClosed(_)
            | ServiceError::RoundPending(_)
            | ServiceError::RoundInProgress(_)
            | ServiceError::AlreadyPaid(_) => StatusCode::CONFLICT,
            ServiceError::ProviderUnavailable(_)
            | ServiceError::ProviderSignatureInvalid(_)
            | ServiceError::ProviderRefused { .. }
            | ServiceError::ProviderAnswerInvalid(_) => StatusCode::BAD_GATEWAY,
            ServiceError::NotPayable(..) | ServiceError::AmountMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

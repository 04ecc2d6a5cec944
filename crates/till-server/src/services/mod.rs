//! The service relay (CN104123686A): till-server as the public service platform between tills
//! and third-party service providers (a telecom, a utility, a membership programme).
//!
//! - [`providers`]: registering providers (`till-server providers add|list|disable|enable`),
//!   their shared secret sealed at rest.
//! - [`conversation`]: what tills ask (`/v1/services/...`): the providers, following one,
//!   starting a conversation, and each round forwarded to the provider and its answer stored.
//! - [`relay`]: the signed call to a provider and the check of its signed answer.
//! - [`paid`]: a sale line paying a conversation (the `"service"` line origin) and the paid
//!   notice delivered to the provider until it acknowledges.
//!
//! docs/services.md tells the whole story.

pub mod conversation;
pub mod paid;
pub mod providers;
pub mod relay;

pub use crate::service_error::ServiceError;

/// Checks an id (account id, conversation id): 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn check_id(field: &str, value: &str) -> Result<(), crate::error::ApiError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(crate::error::ApiError::InvalidRequest(format!("{field} must be 1 to 64 of A-Z a-z 0-9 . _ -")))
    }
}

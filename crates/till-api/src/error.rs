//! The error body every endpoint answers with, and what can go wrong reading a body.

use serde::{Deserialize, Serialize};

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `bad_signature`.
    pub code: String,
    /// Human-readable explanation; wording may change.
    pub message: String,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not JSON, or not the shape of the body.
    #[error("not the expected body: {0}")]
    Json(String),
}

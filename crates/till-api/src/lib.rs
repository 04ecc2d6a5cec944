//! The bodies of Till's server API (docs/api.md): what a till sends and what the server answers,
//! as types both sides compile against, so the server's handlers (till-server), the sync worker
//! (till-sync) and later the till's own requests cannot disagree about a field.
//!
//! Types only: no I/O, no HTTP, no signing (that is till-client). With the `openapi` feature
//! every body also derives `utoipa::ToSchema`, and till-server's OpenAPI document
//! (docs/openapi.json) is generated from these types.
//!
//! One module per endpoint family, as in docs/api.md: [`payments`], [`sales`], [`refunds`],
//! [`points`], [`lookups`], [`ping`], [`enrolment`] (a till's one-time code), [`merchant_orders`] (orders pending collection), [`catalogue`] (the catalogue from HQ) and [`batch`], with [`amount`] and [`error`] shared by all.
//! The server's checks of these bodies (lengths, codes, sums) stay in till-server.
//!
//! ```
//! let answer: till_api::BatchResponse = till_api::from_json(
//!     r#"{"results":[{"idempotency_key":"e1","status":201,"replayed":false,"body":{}}]}"#,
//! ).unwrap();
//! assert_eq!(answer.results[0].status, 201);
//! ```

pub mod amount;
pub mod batch;
pub mod catalogue;
pub mod device_services;
pub mod enrolment;
pub mod error;
pub mod lookups;
pub mod merchant_orders;
pub mod payment_codes;
pub mod payments;
pub mod ping;
pub mod points;
pub mod refunds;
pub mod sales;
pub mod services;

pub use amount::{Amount, AmountIn};
pub use batch::{BatchEvent, BatchRequest, BatchResponse, BatchResult, MAX_BATCH_EVENTS};
pub use enrolment::{EnrolmentCode, TerminalEnrolRequest, TerminalEnrolResponse};
pub use error::{BodyError, ErrorBody};
pub use ping::Pong;

/// Reads a body from JSON text.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, BodyError> {
    serde_json::from_str(text).map_err(|e| BodyError::Json(e.to_string()))
}

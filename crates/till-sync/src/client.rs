//! The signed HTTP client now lives in till-client; this module only keeps
//! `till_sync::client::{Client, HttpAnswer}` working until its callers import `till_client`.

pub use till_client::{Client, HttpAnswer};

//! `GET /v1/ping`: the installer's connection and clock check.

use serde::{Deserialize, Serialize};

/// Answer of the ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pong {
    /// The terminal the signature proved.
    pub terminal_id: String,
    /// The server's id.
    pub server_id: String,
    /// The server's clock, unix seconds (for the installer's clock check).
    pub server_time: i64,
}

//! `GET /v1/ping`: the installer's connection and clock check (signed), and whether a server is
//! up at all (unsigned).

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

/// Answer of a ping sent without any signing header: only that the server is up, for a
/// service manager's or a package test's probe. Unsigned, it proves nothing about who answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alive {
    /// The server's id.
    pub server_id: String,
    /// The server's clock, unix seconds.
    pub server_time: i64,
}

//! Errors of the sync engine.

/// Everything starting, running or asking the sync engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The local database refused (I/O, busy, damaged).
    #[error(transparent)]
    Store(#[from] till_store::StoreError),
    /// The configuration cannot work (bad URL, secret of the wrong length, zero batch size).
    #[error("sync configuration: {0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// The server's catalogue changes could not be had or applied (nothing of the page was).
    #[error("catalogue from HQ: {0}")]
    Catalogue(String),
    /// Logging out or wiping data was asked for while events have not reached the server.
    #[error("{pending} event(s) have not reached the server yet and {parked} wait for a manager; connect the till to the network and wait until sync shows nothing pending, or have a manager retry or discard the parked ones")]
    EventsPending {
        /// Waiting or being sent.
        pending: i64,
        /// Refused by the server, waiting for a manager.
        parked: i64,
    },
}

impl SyncError {
    /// A stable code for the IPC edge (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Store(_) => "sync_store",
            SyncError::Config(_) => "sync_config",
            SyncError::Client(_) => "sync_client",
            SyncError::Catalogue(_) => "sync_catalogue",
            SyncError::EventsPending { .. } => "sync_events_pending",
        }
    }
}

/// Why one HTTP exchange produced no answer: till-client's, re-exported so `till_sync::SendError`
/// keeps working.
pub use till_client::SendError;

impl From<till_client::ClientError> for SyncError {
    fn from(e: till_client::ClientError) -> Self {
        // The client's configuration is part of the sync configuration: same variants and
        // codes (`sync_config`, `sync_client`) as before the client had its own crate.
        match e {
            till_client::ClientError::Config(why) => SyncError::Config(why),
            till_client::ClientError::Build(why) => SyncError::Client(why),
        }
    }
}

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
            SyncError::EventsPending { .. } => "sync_events_pending",
        }
    }
}

/// Why one HTTP exchange produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No answer within the request timeout (the server may still have applied it).
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// Connection refused, reset, closed early, DNS, TLS...
    #[error("network error: {0}")]
    Network(String),
    /// An answer that is not what the contract says (not JSON, results missing).
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
}

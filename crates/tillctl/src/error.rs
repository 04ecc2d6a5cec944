//! Errors of the command line.

/// What can stop a tillctl command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Wrong arguments.
    #[error("{0}")]
    Usage(&'static str),
    /// The till refused.
    #[error(transparent)]
    Pos(#[from] till_pos::PosError),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] till_store::StoreError),
    /// A card reader report could not be parsed.
    #[error(transparent)]
    Device(#[from] till_devices::DeviceError),
    /// A file could not be written or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The man pages or completions could not be written.
    #[error(transparent)]
    Docs(#[from] till_cli_docs::CliDocsError),
    /// A command stopped for a reason it explains (a restore's refusal, a missing file).
    #[error("{0}")]
    Failed(String),
    /// `db check` found a problem.
    #[error("check failed: {0}")]
    CheckFailed(String),
}

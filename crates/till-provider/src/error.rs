//! What can go wrong in the reference provider.

/// The provider's errors.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The table of response contents is not valid: where and why.
    #[error("table of response contents: {0}")]
    Table(String),
    /// The shared secret file is missing, unreadable or not a secret.
    #[error("secret: {0}")]
    Secret(String),
    /// Reading or writing a file.
    #[error("{0}")]
    Io(String),
    /// The listener did not start.
    #[error("serving: {0}")]
    Serve(String),
}

impl From<std::io::Error> for ProviderError {
    fn from(e: std::io::Error) -> Self {
        ProviderError::Io(e.to_string())
    }
}

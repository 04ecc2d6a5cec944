//! Errors of the client: building it, and one exchange.

/// Why a client cannot be built, or a secret read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The configuration cannot work (bad URL, empty terminal id, secret of the wrong length,
    /// trusted certificates that are not PEM).
    #[error("client configuration: {0}")]
    Config(String),
    /// The HTTP library refused to build the client.
    #[error("cannot set up the HTTP client: {0}")]
    Build(String),
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
    /// An answer without a valid `X-Till-Response-Signature`: made up, changed or replayed by
    /// something between the till and its server, or a server that does not sign its answers.
    /// Treated as no answer: nothing it says is believed.
    #[error("answer not signed by the server: {0}")]
    UnverifiedAnswer(String),
    /// An answer body larger than the client reads (bytes): refused unread.
    #[error("answer larger than {0} bytes, refused")]
    AnswerTooLarge(usize),
}

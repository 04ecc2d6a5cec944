//! Errors of the client: building it, one exchange, and exchanging an enrolment code.

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

/// Why a code was not exchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolError {
    /// The URL, the trust settings or the code's form cannot work; nothing was sent.
    #[error(transparent)]
    Config(#[from] ClientError),
    /// No usable answer: timeout, network or TLS failure, an answer too large or not the
    /// contract's. The code may or may not have been used; if it was, make a new one.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The server refused the code: `enrolment_code_invalid`, `enrolment_code_used`,
    /// `enrolment_code_expired`, `too_many_enrolment_attempts`, `terminal_disabled`, ...
    #[error("the server refused the code ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's stable error code.
        code: String,
        /// The server's explanation.
        message: String,
    },
}

impl EnrolError {
    /// A stable code for the window: the server's own code when it refused, otherwise
    /// `server_config`, `server_unreachable` or `server_bad_answer`.
    pub fn code(&self) -> &str {
        match self {
            EnrolError::Config(_) => "server_config",
            EnrolError::Send(SendError::Timeout(_) | SendError::Network(_)) => "server_unreachable",
            EnrolError::Send(_) => "server_bad_answer",
            EnrolError::Refused { code, .. } => code,
        }
    }
}

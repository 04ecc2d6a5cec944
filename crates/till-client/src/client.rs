//! The HTTP client: signed requests over reqwest (rustls, ring; no native TLS), a timeout on
//! every request, answers as (status, body text) once their signature is checked
//! ([`crate::answer`]).

use crate::answer::{self, SignedRequest, MAX_ANSWER_BYTES};
use crate::config::{ClientConfig, Secret};
use crate::error::{ClientError, SendError};
use crate::signing;
use crate::tls;
use rand::RngCore;
use std::time::Duration;

/// An HTTP answer whose signature verified (or a 401, which is never signed): status and body
/// text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// HTTP status.
    pub status: u16,
    /// Body as text.
    pub body: String,
}

/// A signing client for one server and terminal.
pub struct Client {
    http: reqwest::blocking::Client,
    base_url: String,
    terminal_id: String,
    secret: Secret,
    timeout: Duration,
    max_answer_bytes: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base_url", &self.base_url).field("terminal_id", &self.terminal_id).finish()
    }
}

impl Client {
    /// Builds the client from a [`ClientConfig`] (or anything that gives one, such as the sync
    /// worker's configuration). Installs rustls' ring provider as the process default if none is.
    pub fn new(config: impl Into<ClientConfig>) -> Result<Client, ClientError> {
        let config: ClientConfig = config.into();
        config.validate()?;
        let http = http_client(&config)?;
        Ok(Client {
            http,
            base_url: config.base_url,
            terminal_id: config.terminal_id,
            secret: config.secret,
            timeout: config.request_timeout,
            max_answer_bytes: MAX_ANSWER_BYTES,
        })
    }

    /// Sends a signed request to the configuration's base URL. `now_s` is the signing time (unix
    /// seconds), `rng` gives the nonce. The answer is returned only when its signature binds it
    /// to this request (or it is a 401); otherwise [`SendError::UnverifiedAnswer`], and a body
    /// over 8 MiB is [`SendError::AnswerTooLarge`].
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
        now_s: i64,
        rng: &mut dyn RngCore,
    ) -> Result<HttpAnswer, SendError> {
        self.send_to(&self.base_url, method, path, body, idempotency_key, now_s, rng)
    }

    /// Sends a signed request to the server at `base_url` (a service's own server), which must
    /// pass [`crate::check_base_url`] like the configuration's.
    #[allow(clippy::too_many_arguments)]
    pub fn send_to(
        &self,
        base_url: &str,
        method: &str,
        path: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
        now_s: i64,
        rng: &mut dyn RngCore,
    ) -> Result<HttpAnswer, SendError> {
        // A URL given here is held to the same https rule as the configuration's.
        crate::config::check_base_url(base_url).map_err(|e| SendError::Network(e.to_string()))?;
        let nonce = signing::nonce(rng);
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| SendError::Network(e.to_string()))?;
        let mut req = self.http.request(m, format!("{base_url}{path}"));
        for (name, value) in
            signing::signed_headers(&self.terminal_id, self.secret.bytes(), method, path, now_s, &nonce, body)
        {
            req = req.header(name, value);
        }
        if let Some(key) = idempotency_key {
            req = req.header(signing::HEADER_IDEMPOTENCY_KEY, key);
        }
        if method != "GET" {
            req = req.header("content-type", "application/json").body(body.to_vec());
        }
        let resp = req.send().map_err(|e| self.classify(e))?;
        let signed = SignedRequest { secret: self.secret.bytes(), nonce: &nonce, timestamp: now_s };
        let (status, body) = answer::read_verified(resp, &signed, self.max_answer_bytes, |e| self.classify_read(e))?;
        // Verified bytes from the server, which writes UTF-8 JSON; a 401 is shown as it came.
        let body = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(HttpAnswer { status, body })
    }

    /// A failure while reading the body.
    fn classify_read(&self, e: &std::io::Error) -> SendError {
        classify_read(e, self.timeout)
    }

    fn classify(&self, e: reqwest::Error) -> SendError {
        classify_send(e, self.timeout)
    }
}

/// A failure while reading the body: reqwest's own error inside the I/O error, when there.
pub(crate) fn classify_read(e: &std::io::Error, timeout: Duration) -> SendError {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return SendError::Timeout(timeout.as_millis() as u64);
    }
    match e.get_ref().and_then(|inner| inner.downcast_ref::<reqwest::Error>()) {
        Some(r) if r.is_timeout() => SendError::Timeout(timeout.as_millis() as u64),
        _ => SendError::Network(format!("reading the answer: {e}")),
    }
}

/// A request that got no answer: a timeout, or what the network said.
pub(crate) fn classify_send(e: reqwest::Error, timeout: Duration) -> SendError {
    if e.is_timeout() {
        SendError::Timeout(timeout.as_millis() as u64)
    } else {
        // The chain says what really happened (refused, reset, closed before the answer).
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg = format!("{msg}: {s}");
            src = s.source();
        }
        SendError::Network(msg)
    }
}

/// The HTTP client every request of the till goes through: rustls on ring, the configuration's
/// timeouts and trust (system roots, the shop's CA, or a pinned certificate), no redirects, no
/// kept-alive connections. Installs rustls' ring provider as the process default if none is.
pub(crate) fn http_client(config: &ClientConfig) -> Result<reqwest::blocking::Client, ClientError> {
    // Another part of the process may have installed a provider already; either is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        // A redirect could take the signed request (and its card data) to another server,
        // in clear; a 3xx is an answer like any other and, unsigned, is refused.
        .redirect(reqwest::redirect::Policy::none())
        // A fresh connection per request. An answer sent twice (a faulty proxy or server)
        // would otherwise wait on a kept-alive connection and be read as the answer to the
        // next request. Signed answers are bound to their request's nonce, so such a stale
        // answer now fails its check and is retried rather than believed; but a stale 401
        // (never signed) would still be taken as the next request's refusal, so
        // connections stay unshared.
        .pool_max_idle_per_host(0);
    if let Some(pin) = config.pinned_cert {
        builder = builder.tls_backend_preconfigured(tls::pinned_config(pin, config.trusted_roots_pem.as_deref())?);
    } else if let Some(pem) = &config.trusted_roots_pem {
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| ClientError::Config(format!("the trusted certificates are not PEM: {e}")))?;
        if roots.is_empty() {
            return Err(ClientError::Config("no certificate in the trusted certificates file".into()));
        }
        builder = builder.tls_certs_only(roots);
    }
    builder.build().map_err(|e| ClientError::Build(e.to_string()))
}

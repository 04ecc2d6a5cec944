//! The platform's calls to a provider: `POST {endpoint}/{follow|message|paid}`, signed with the
//! provider's shared secret (`till_core::relay_signing`), with a timeout; the answer is believed
//! only when its signature verifies for this request's nonce.
//!
//! The HTTP client is reqwest's async client, already in the workspace for the till's sync
//! worker (rustls on ring, no native TLS); one client for the process keeps connections alive.

use crate::clock::Entropy;
use crate::repo::ProviderRecord;
use crate::service_error::ServiceError;
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::OnceLock;
use std::time::Duration;
use till_core::relay_signing as rs;

/// Largest answer read from a provider.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The process's client; `None` when it could not be built (reported at each call).
fn client() -> Result<&'static reqwest::Client, ServiceError> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // Already installed by another part of the process is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| tracing::error!(error = %e, "the relay's HTTP client did not build"))
                .ok()
        })
        .as_ref()
        .ok_or_else(|| ServiceError::ProviderUnavailable("the platform's HTTP client is not available".into()))
}

/// Checks an endpoint: `https://`, or `http://` to this computer only (a provider on the same
/// host, as in the demo); no query or fragment. Returns it without a trailing slash.
pub fn check_endpoint(endpoint: &str) -> Result<String, ServiceError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let bad = |why: &str| ServiceError::InvalidEndpoint(format!("{trimmed:?} {why}"));
    let url = Url::parse(trimmed).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a query or fragment"));
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(bad("must be https:// (http:// only to this computer)")),
        _ => return Err(bad("must be https://")),
    }
    Ok(trimmed.to_string())
}

/// One signed call to `provider`'s `op` with `body`; the answer's body when the provider answered
/// 2xx with a valid signature.
pub async fn call<B: Serialize, A: DeserializeOwned>(
    provider: &ProviderRecord,
    op: &str,
    body: &B,
    now: i64,
    entropy: &dyn Entropy,
    timeout: Duration,
) -> Result<A, ServiceError> {
    let unavailable = |why: String| ServiceError::ProviderUnavailable(why);
    let url = Url::parse(&format!("{}/{op}", check_endpoint(&provider.endpoint)?))
        .map_err(|e| unavailable(format!("endpoint: {e}")))?;
    let bytes = serde_json::to_vec(body).map_err(|e| unavailable(e.to_string()))?;
    let mut raw = [0u8; 16];
    entropy.fill(&mut raw);
    let nonce = hex::encode(raw);
    let secret = provider.secret.as_bytes();
    let signature = rs::sign_request(secret, "POST", url.path(), &provider.account_id, now, &nonce, &bytes);
    let sent = client()?
        .post(url.clone())
        .timeout(timeout)
        .header("content-type", "application/json")
        .header(rs::HEADER_ACCOUNT, &provider.account_id)
        .header(rs::HEADER_TIMESTAMP, now.to_string())
        .header(rs::HEADER_NONCE, &nonce)
        .header(rs::HEADER_SIGNATURE, signature)
        .body(bytes)
        .send()
        .await;
    let resp = sent.map_err(|e| {
        if e.is_timeout() {
            unavailable(format!("no answer within {} ms", timeout.as_millis()))
        } else {
            unavailable(format!("cannot reach {}: {}", provider.endpoint, short(&e)))
        }
    })?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (ts, answer_nonce, answer_sig) =
        (header(rs::HEADER_TIMESTAMP), header(rs::HEADER_NONCE), header(rs::HEADER_SIGNATURE));
    if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return Err(unavailable(format!("the answer is larger than {MAX_ANSWER_BYTES} bytes")));
    }
    let answer = resp.bytes().await.map_err(|e| {
        if e.is_timeout() {
            unavailable(format!("no answer within {} ms", timeout.as_millis()))
        } else {
            unavailable(format!("reading the answer: {}", short(&e)))
        }
    })?;
    if answer.len() > MAX_ANSWER_BYTES {
        return Err(unavailable(format!("the answer is larger than {MAX_ANSWER_BYTES} bytes")));
    }
    let (Some(ts), Some(answer_nonce), Some(answer_sig)) = (ts, answer_nonce, answer_sig) else {
        return Err(ServiceError::ProviderSignatureInvalid(format!("HTTP {status} without a signature")));
    };
    let ts: i64 = ts.parse().map_err(|_| ServiceError::ProviderSignatureInvalid("bad timestamp".into()))?;
    if !rs::verify_answer(secret, &nonce, status, ts, &answer_nonce, &answer, &answer_sig) {
        return Err(ServiceError::ProviderSignatureInvalid(format!("HTTP {status}, the signature does not verify")));
    }
    if !(200..300).contains(&status) {
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            code: String,
            message: String,
        }
        return Err(match serde_json::from_slice::<ErrorBody>(&answer) {
            Ok(e) if status < 500 => ServiceError::ProviderRefused { code: e.code, message: e.message },
            Ok(e) => unavailable(format!("HTTP {status} {}: {}", e.code, e.message)),
            Err(_) => unavailable(format!("HTTP {status}")),
        });
    }
    serde_json::from_slice(&answer).map_err(|e| ServiceError::ProviderAnswerInvalid(e.to_string()))
}

/// The innermost cause of a reqwest error (connection refused, DNS), without the URL twice.
fn short(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_local() {
        assert_eq!(check_endpoint("https://p.example/relay/").unwrap(), "https://p.example/relay");
        assert!(check_endpoint("http://127.0.0.1:8700/relay").is_ok());
        assert!(check_endpoint("http://localhost:8700/relay").is_ok());
        assert!(check_endpoint("http://p.example/relay").is_err());
        assert!(check_endpoint("ftp://p.example").is_err());
        assert!(check_endpoint("https://p.example/relay?x=1").is_err());
        assert!(check_endpoint("not a url").is_err());
    }
}

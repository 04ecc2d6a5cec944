//! Signed answers: every answer to a request whose signature verified carries
//! `X-Till-Response-Signature`, the HMAC of the answer under the terminal's secret, bound to the
//! request's nonce and timestamp (docs/api.md, "Signed answers"). With it the till can tell its
//! server's answer from one made up, changed or replayed by anyone between the two.
//!
//! [`sign_answers`] is a middleware that runs inside the signing check (`app::authenticate`):
//! the check puts the proven terminal ([`AuthedTerminal`], with its secret) into the request's extensions, and this
//! layer signs whatever the endpoint answered (errors and idempotent replays included). A
//! request that failed the check never gets here: its 401 carries no signature, since the
//! server does not know whose secret to sign with.

use crate::signing::{HEADER_NONCE, HEADER_TIMESTAMP};
use crate::state::AuthedTerminal;
use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use till_core::signing::{response_string_to_sign, sign_response, verify_response, HEADER_RESPONSE_SIGNATURE};

/// Signs the endpoint's answer; see the module docs.
pub async fn sign_answers(req: Request, next: Next) -> Response {
    let key = req.extensions().get::<AuthedTerminal>().cloned();
    let nonce = header(&req, HEADER_NONCE);
    let timestamp = header(&req, HEADER_TIMESTAMP).and_then(|t| t.parse::<i64>().ok());
    let answer = next.run(req).await;
    let (Some(key), Some(nonce), Some(timestamp)) = (key, nonce, timestamp) else {
        // The signing check in front always provides all three; without them there is nothing
        // to bind the answer to, and an unsigned answer is one the till refuses.
        tracing::error!("an answer behind the signing check had no terminal key or request headers");
        return answer;
    };
    let (mut parts, body) = answer.into_parts();
    // The server's own answers are small (a batch's results at most); no limit is needed.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, terminal = %key.id, "reading an answer to sign failed");
            return crate::error::ApiError::Internal("the answer could not be read".into()).into_response();
        }
    };
    let signature = sign_response(&key.secret, &nonce, parts.status.as_u16(), &bytes, timestamp);
    match HeaderValue::from_str(&signature) {
        Ok(v) => {
            parts.headers.insert(HEADER_RESPONSE_SIGNATURE, v);
        }
        // Base64 is always a valid header value; were it not, the answer goes unsigned and the
        // till refuses it, which is the safe way to fail.
        Err(e) => tracing::error!(error = %e, "the answer signature is not a header value"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/api.md, through the server's re-export.
    #[test]
    fn the_worked_example_of_docs_api_md() {
        let secret: Vec<u8> = (0u8..32).collect();
        let body = br#"{"status":"declined","reason_code":"do_not_honour"}"#;
        let sig = sign_response(&secret, "00112233445566778899aabbccddeeff", 200, body, 1_795_000_000);
        assert_eq!(sig, "U2hQz+nonlzSAJV7HOoHnYYtc+b6w2GLglWgnSU21B0=");
    }
}

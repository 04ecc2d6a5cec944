//! Reading an answer: the body read with a cap, and the server's answer signature checked
//! before anything in it is believed (docs/api.md, "Signed answers").
//!
//! A body over [`MAX_ANSWER_BYTES`] is refused as soon as its announced length or the bytes read
//! pass the cap, so a hostile answer cannot make the till hold more. Then
//! `X-Till-Response-Signature` must be the HMAC, under the terminal's secret, of `RESPONSE`, the
//! request's nonce, the status, the body's SHA-256 and the request's timestamp: an answer made
//! up, changed or replayed from another request fails, and so does one with no signature. The
//! one exception is 401: the server answers a request it could not authenticate before it knows
//! whose secret to sign with, so a 401 passes unsigned. It can only refuse, never approve or
//! acknowledge anything.

use crate::error::SendError;
use std::io::Read;
use till_core::signing::{verify_response, HEADER_RESPONSE_SIGNATURE};

/// The largest answer body read (8 MiB, the server's own request limit).
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// The one status that passes without an answer signature: the server's refusal of a request
/// whose own signature it could not check.
pub const UNSIGNED_STATUS: u16 = 401;

/// What the request was signed with, which its answer must be bound to.
pub struct SignedRequest<'a> {
    /// The terminal's secret.
    pub secret: &'a [u8],
    /// The request's `X-Till-Nonce`.
    pub nonce: &'a str,
    /// The request's `X-Till-Timestamp`.
    pub timestamp: i64,
}

/// Reads the body of `resp` (at most `max` bytes) and checks its signature against `request`.
/// Returns the status and the body's bytes.
pub fn read_verified(
    resp: reqwest::blocking::Response,
    request: &SignedRequest<'_>,
    max: usize,
    classify: impl Fn(&std::io::Error) -> SendError,
) -> Result<(u16, Vec<u8>), SendError> {
    let signature =
        resp.headers().get(HEADER_RESPONSE_SIGNATURE).map(|v| v.to_str().map(str::to_string).unwrap_or_default());
    let (status, body) = read_capped(resp, max, classify)?;
    check(status, &body, signature.as_deref(), request)?;
    Ok((status, body))
}

/// Reads the status and at most `max` bytes of body of `resp`, refusing a longer body
/// ([`SendError::AnswerTooLarge`]) as soon as its announced length or the bytes read pass `max`.
/// Nothing is verified: for answers that cannot be signed (the enrolment's, before the till has
/// a secret) the caller relies on TLS.
pub fn read_capped(
    mut resp: reqwest::blocking::Response,
    max: usize,
    classify: impl Fn(&std::io::Error) -> SendError,
) -> Result<(u16, Vec<u8>), SendError> {
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(SendError::AnswerTooLarge(max));
    }
    // One byte past the cap tells "exactly the cap" from "more"; reading stops there.
    let mut body = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    (&mut resp).take(limit).read_to_end(&mut body).map_err(|e| classify(&e))?;
    if body.len() > max {
        return Err(SendError::AnswerTooLarge(max));
    }
    Ok((status, body))
}

/// The signature check alone; see the module docs.
pub fn check(status: u16, body: &[u8], signature: Option<&str>, request: &SignedRequest<'_>) -> Result<(), SendError> {
    if status == UNSIGNED_STATUS {
        return Ok(());
    }
    let Some(signature) = signature else {
        return Err(SendError::UnverifiedAnswer(format!(
            "the HTTP {status} answer carries no {HEADER_RESPONSE_SIGNATURE}"
        )));
    };
    if verify_response(request.secret, request.nonce, status, body, request.timestamp, signature) {
        Ok(())
    } else {
        Err(SendError::UnverifiedAnswer(format!(
            "the {HEADER_RESPONSE_SIGNATURE} of the HTTP {status} answer does not match this request and answer"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "00112233445566778899aabbccddeeff";
    const BODY: &[u8] = br#"{"status":"declined","reason_code":"do_not_honour"}"#;

    fn request(secret: &[u8]) -> SignedRequest<'_> {
        SignedRequest { secret, nonce: NONCE, timestamp: 1_795_000_000 }
    }

    /// The worked example of docs/api.md passes; any change to it does not.
    #[test]
    fn the_worked_example_passes_and_nothing_else_does() {
        let secret: Vec<u8> = (0u8..32).collect();
        let sig = "U2hQz+nonlzSAJV7HOoHnYYtc+b6w2GLglWgnSU21B0=";
        assert_eq!(check(200, BODY, Some(sig), &request(&secret)), Ok(()));
        let approved = br#"{"status":"approved","auth_code":"123456"}"#;
        assert!(matches!(check(200, approved, Some(sig), &request(&secret)), Err(SendError::UnverifiedAnswer(_))));
        assert!(matches!(check(201, BODY, Some(sig), &request(&secret)), Err(SendError::UnverifiedAnswer(_))));
        assert!(matches!(check(200, BODY, None, &request(&secret)), Err(SendError::UnverifiedAnswer(_))));
        assert!(matches!(check(200, BODY, Some(""), &request(&secret)), Err(SendError::UnverifiedAnswer(_))));
        let other =
            SignedRequest { secret: &secret, nonce: "ffeeddccbbaa99887766554433221100", timestamp: 1_795_000_000 };
        assert!(matches!(check(200, BODY, Some(sig), &other), Err(SendError::UnverifiedAnswer(_))));
        assert!(matches!(check(200, BODY, Some(sig), &request(&[0u8; 32])), Err(SendError::UnverifiedAnswer(_))));
        // Only a 401 passes unsigned; a 5xx or 4xx without a signature does not.
        assert_eq!(check(401, b"{}", None, &request(&secret)), Ok(()));
        for status in [200, 201, 400, 403, 404, 409, 422, 500, 503] {
            assert!(check(status, b"{}", None, &request(&secret)).is_err(), "{status}");
        }
    }
}

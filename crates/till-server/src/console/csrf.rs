//! The CSRF check of the console's forms.
//!
//! Every session has its own random token (stored with the session, so every server sharing the
//! database knows it); every form carries it in the hidden field [`FIELD`] ([`field`]), and
//! every POST is refused with 403 and no change unless the field equals the session's token
//! (compared in constant time). [`CsrfForm`] does all of it for a page: the session, the body
//! (at most [`FORM_LIMIT`] bytes), the token, then the form's own fields. The session cookie is
//! also `SameSite=Strict`, so a browser does not even send it with another site's form; the
//! token is the check that does not depend on the browser.

use super::auth::SignedIn;
use super::error::ConsoleError;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

/// The name of the hidden field that carries the token.
pub const FIELD: &str = "csrf";

/// The largest form body a console page accepts, bytes.
pub const FORM_LIMIT: usize = 64 * 1024;

/// The hidden field with the session's token, for every form that POSTs.
pub fn field(admin: &SignedIn) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(admin.csrf_token); }
}

/// Whether `sent` is the session's token; [`ConsoleError::Csrf`] if not (or if none was sent).
pub fn check(admin: &SignedIn, sent: Option<&str>) -> Result<(), ConsoleError> {
    tokens_match(&admin.csrf_token, sent)
}

/// `expected` and `sent` are equal and not empty (constant-time over the bytes).
pub(super) fn tokens_match(expected: &str, sent: Option<&str>) -> Result<(), ConsoleError> {
    match sent {
        Some(sent) if !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) => Ok(()),
        _ => Err(ConsoleError::Csrf),
    }
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
pub(super) fn form_value(body: &[u8], name: &str) -> Result<Option<String>, ConsoleError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| ConsoleError::BadRequest("the form is not readable".into()))?;
    Ok(pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// Reads a form body of at most [`FORM_LIMIT`] bytes.
pub(super) async fn read_body(body: axum::body::Body) -> Result<axum::body::Bytes, ConsoleError> {
    axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| ConsoleError::TooLarge)
}

/// A POSTed form of a signed-in admin whose CSRF token was checked: the extractor every console
/// POST handler takes. `T` is the form's fields (serde; the token field may be left out of it).
/// Without a session the answer is the sign-in page's redirect; with a wrong or missing token,
/// 403; in both cases the handler does not run.
#[derive(Debug)]
pub struct CsrfForm<T> {
    /// Who posted it.
    pub admin: SignedIn,
    /// The form's fields.
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let admin = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = read_body(body).await.map_err(IntoResponse::into_response)?;
        let sent = form_value(&bytes, FIELD).map_err(IntoResponse::into_response)?;
        check(&admin, sent.as_deref()).map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ConsoleError::BadRequest(format!("the form is not valid: {e}")).into_response())?;
        Ok(CsrfForm { admin, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_be_present_equal_and_not_empty() {
        assert!(tokens_match("abc", Some("abc")).is_ok());
        assert!(tokens_match("abc", Some("abd")).is_err());
        assert!(tokens_match("abc", Some("")).is_err());
        assert!(tokens_match("abc", None).is_err());
        assert!(tokens_match("", Some("")).is_err());
    }

    #[test]
    fn the_token_is_found_among_the_fields() {
        assert_eq!(form_value(b"a=1&csrf=x%2By&b=2", FIELD).ok().flatten().as_deref(), Some("x+y"));
        assert_eq!(form_value(b"a=1", FIELD).ok().flatten(), None);
    }
}

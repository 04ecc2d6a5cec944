//! What can go wrong serving a console page, and the page each error answers with.

use crate::error::{ApiError, RepoError};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// An error of a console request. Each answers an HTML page with its status; nothing is changed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// A form field or query parameter is missing or not in its format.
    #[error("{0}")]
    BadRequest(String),
    /// A POST without the session's CSRF token (or with another one).
    #[error("the form is stale or did not come from this console; reload the page and try again")]
    Csrf,
    /// The thing asked for does not exist, or belongs to another merchant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A body larger than the console accepts.
    #[error("the form is too large")]
    TooLarge,
    /// An error of the server's business logic (its message is shown).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<RepoError> for ConsoleError {
    fn from(e: RepoError) -> Self {
        ConsoleError::Api(ApiError::from(e))
    }
}

impl ConsoleError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ConsoleError::Api(e) => e.status(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "console request failed");
        }
        // No session may be known here, so the page is in both languages and has no navigation.
        let message = if status.is_server_error() { "internal error".to_string() } else { self.to_string() };
        let page = maud::html! {
            (maud::DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "Till HQ – " (status.as_u16()) }
                    link rel="stylesheet" href=(super::page::STYLESHEET_PATH);
                }
                body {
                    main id="main" class="error" {
                        h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                        p role="alert" { (message) }
                        p lang="zh-Hans" { "请求未完成，未做任何更改。" }
                        p { a href=(super::BASE) { "Till HQ" } }
                    }
                }
            }
        };
        (status, Html(page.into_string())).into_response()
    }
}

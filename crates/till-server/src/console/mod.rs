//! The HQ console: server-rendered HTML pages under `/console` for a merchant's admins, in
//! English and Simplified Chinese, for keyboard and mouse.
//!
//! These are browser routes, apart from the signed till API: a session cookie instead of a
//! terminal's signature, HTML instead of `{code, message}`. The frame ([`auth`], [`page`],
//! [`csrf`], [`audit`], [`i18n`]) is what every page is built on:
//!
//! - a page is an axum handler taking [`auth::SignedIn`] (GET) or [`csrf::CsrfForm`] (POST) and
//!   answering [`page::layout`]`(lang, &admin, title, body)`;
//! - its routes are in a `routes()` of its own file, merged in [`router`]; its section is an
//!   entry of [`page::NAV`];
//! - what it changes it writes with [`audit::record`] in the same transaction;
//! - an admin sees only the stores of their merchant: every query takes `admin.merchant_id`
//!   and keeps the rows whose store's merchant it is ([`crate::repo::scope_sql`]).

pub mod admins;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod catalogue_import;
pub mod csrf;
pub mod customers;
pub mod error;
pub mod i18n;
pub mod page;
pub mod points;
pub mod refunds;
pub mod sales;
pub mod terminals;

use crate::error::ApiError;
use crate::repo::Tx;
use crate::state::{blocking, AppState};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
pub use error::ConsoleError;

/// Where the console is mounted.
pub const BASE: &str = "/console";

/// Marks a request that came over TLS (an extension the server's accept loop adds), so the
/// console's cookies get `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct ServedOverTls;

/// The console's routes, to be nested under [`BASE`]. A page adds `.merge(its_page::routes())`
/// here.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/console.css", get(page::stylesheet))
        .merge(auth::routes())
        .merge(sales::routes())
        .merge(terminals::routes())
        .merge(customers::routes())
        .merge(points::routes())
        .merge(refunds::routes())
        .merge(catalogue::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
}

/// Runs `f` in a read transaction off the async threads (a page's queries).
pub async fn read<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let repo = app.repo.clone();
    Ok(blocking(move || {
        let mut tx = repo.read()?;
        f(&mut *tx)
    })
    .await?)
}

/// Runs `f` in a write transaction off the async threads and commits it when `f` succeeds (a
/// page's change and its [`audit::record`] together); an error rolls everything back.
pub async fn write<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let repo = app.repo.clone();
    let run = move || -> Result<Result<T, ConsoleError>, ApiError> {
        let mut tx = repo.begin()?;
        let out = f(&mut *tx);
        if out.is_ok() {
            tx.commit()?;
        }
        Ok(out)
    };
    blocking(run).await?
}

/// `GET /console`: the first section.
async fn home(_admin: auth::SignedIn) -> Response {
    Redirect::to(page::NAV[0].path).into_response()
}

async fn not_found() -> Response {
    ConsoleError::NotFound("page").into_response()
}

/// Headers of every console answer: no scripts, no framing, nothing cached, no referrer.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut answer = next.run(req).await;
    let h = answer.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    answer
}

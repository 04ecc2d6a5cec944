//! Signing in and out of the console, and the session every page runs under ([`SignedIn`]).
//!
//! - Passwords are kept as Argon2id hashes (the `argon2` crate's defaults: 19 MiB, 2 passes, a
//!   random 16-byte salt), verified off the async threads. An unknown or disabled user costs
//!   the same verification (against a fixed hash), so timing does not tell which names exist.
//! - [`MAX_FAILURES`] wrong passwords in a row lock the account for [`LOCKOUT_SECS`]: during the
//!   lockout even the right password is refused. The count and the lockout are columns of the
//!   account, updated in a write transaction that re-reads them, so concurrent guesses on
//!   several servers are all counted.
//! - A session is 32 random bytes in the cookie [`SESSION_COOKIE`] (`HttpOnly`,
//!   `SameSite=Strict`, `Path=/console`, `Secure` when served over TLS); the database keeps only
//!   its SHA-256. It ends after [`IDLE_SECS`] without a request, after [`MAX_SESSION_SECS`] in
//!   any case, at sign-out, and when the account is disabled.
//! - The sign-in form has no session yet, so its CSRF token is a random value both in a cookie
//!   ([`PRE_COOKIE`]) and in the form, which must match (the double-submit pattern).

use super::csrf::{self, CsrfForm};
use super::error::ConsoleError;
use super::i18n::t;
use super::page::{cookie, language_link, notice, Lang, STYLESHEET_PATH};
use super::{audit, ServedOverTls, BASE};
use crate::clock::Entropy;
use crate::error::ApiError;
use crate::repo::{ConsoleSessionRecord, Repository};
use crate::state::{blocking, AppState};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, DOCTYPE};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The session cookie.
pub const SESSION_COOKIE: &str = "till_console";
/// The sign-in form's CSRF cookie.
pub const PRE_COOKIE: &str = "till_console_pre";
/// A session ends after this long without a request, seconds (8 hours).
pub const IDLE_SECS: i64 = 8 * 60 * 60;
/// A session ends this long after signing in whatever happens, seconds (24 hours).
pub const MAX_SESSION_SECS: i64 = 24 * 60 * 60;
/// Wrong passwords in a row that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// How long a lockout lasts, seconds (15 minutes).
pub const LOCKOUT_SECS: i64 = 15 * 60;
/// The sign-in page.
pub const SIGN_IN_PATH: &str = "/console/sign-in";

/// A session's expiry is moved forward only when it has moved on by this much, so that a page
/// view does not always write.
const TOUCH_AFTER_SECS: i64 = 60;

/// The signed-in admin of a request, with what a page needs of the request: the extractor of
/// every console page (a request without a valid session is redirected to the sign-in page and
/// never reaches the page).
#[derive(Clone)]
pub struct SignedIn {
    /// The admin's user name.
    pub username: String,
    /// The merchant whose stores the admin sees.
    pub merchant_id: String,
    /// The session's CSRF token (what [`csrf::field`] puts in forms).
    pub csrf_token: String,
    /// The language of the pages.
    pub lang: Lang,
    /// The server's clock when the request came in, unix seconds.
    pub now: i64,
    /// The request's path (`/console/sales`), for the navigation.
    pub path: String,
    /// The request's path and query, for the language switch to come back to.
    pub path_and_query: String,
    session_sha256: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of logs.
        f.debug_struct("SignedIn")
            .field("username", &self.username)
            .field("merchant_id", &self.merchant_id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to(SIGN_IN_PATH).into_response());
        };
        let id = sha256_hex(&token);
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        let lookup = id.clone();
        let found = blocking(move || session_in_force(&*repo, &lookup, now)).await;
        match found {
            Ok(Some((session, merchant_id))) => Ok(SignedIn {
                username: session.username,
                merchant_id,
                csrf_token: session.csrf_token,
                lang: Lang::of_headers(&parts.headers),
                now,
                path: full_path(parts.uri.path()),
                path_and_query: full_path(parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str())),
                session_sha256: id,
            }),
            Ok(None) => {
                let secure = parts.extensions.get::<ServedOverTls>().is_some();
                let mut answer = Redirect::to(&format!("{SIGN_IN_PATH}?ended=1")).into_response();
                answer.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", secure, Some(0)));
                Err(answer)
            }
            Err(e) => Err(ConsoleError::from(e).into_response()),
        }
    }
}

/// The path as the browser asked it: the console is nested under [`BASE`], which axum strips
/// from the paths its routes see.
fn full_path(nested: &str) -> String {
    match nested {
        "" | "/" => BASE.to_string(),
        p => format!("{BASE}{p}"),
    }
}

/// The session with this id hash and its admin's merchant, if it is in force at `now`; moves its
/// idle expiry forward. An expired session (or one of a disabled admin) is deleted.
fn session_in_force(
    repo: &dyn Repository,
    id_sha256: &str,
    now: i64,
) -> Result<Option<(ConsoleSessionRecord, String)>, ApiError> {
    let mut tx = repo.begin()?;
    let Some(session) = tx.console_session(id_sha256)? else {
        return Ok(None);
    };
    let admin = tx.admin(&session.username)?;
    let in_force = session.expires_at > now && now - session.created_at < MAX_SESSION_SECS;
    let Some(admin) = admin.filter(|a| in_force && !a.disabled) else {
        tx.delete_console_session(id_sha256)?;
        tx.commit()?;
        return Ok(None);
    };
    if session.expires_at - now < IDLE_SECS - TOUCH_AFTER_SECS {
        tx.touch_console_session(id_sha256, now + IDLE_SECS)?;
    }
    tx.commit()?;
    Ok(Some((session, admin.merchant_id)))
}

/// The routes of signing in and out and of the language switch.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/lang", get(switch_language))
}

/// What the sign-in page may say above its form.
#[derive(Debug, Default, Deserialize)]
struct SignInQuery {
    ended: Option<String>,
    signed_out: Option<String>,
}

/// `GET /console/sign-in`.
async fn sign_in_page(
    State(app): State<AppState>,
    lang: Lang,
    Query(q): Query<SignInQuery>,
    parts: axum::http::Extensions,
) -> Response {
    let message = if q.ended.is_some() {
        Some((t(lang, "session_ended"), false))
    } else if q.signed_out.is_some() {
        Some((t(lang, "signed_out"), false))
    } else {
        None
    };
    sign_in_form(&app, lang, message, StatusCode::OK, parts.get::<ServedOverTls>().is_some())
}

/// The sign-in page with a fresh form token, and its cookie.
fn sign_in_form(
    app: &AppState,
    lang: Lang,
    message: Option<(&str, bool)>,
    status: StatusCode,
    secure: bool,
) -> Response {
    let pre = random_hex(&*app.entropy);
    let (other, other_name) = lang.other();
    let page = html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(lang, "sign_in")) " · " (t(lang, "app")) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                header class="top" {
                    span class="brand" { (t(lang, "app")) }
                    div class="who" {
                        a id="lang-switch" lang=(other.html_lang()) hreflang=(other.html_lang())
                            href=(language_link(other, SIGN_IN_PATH)) accesskey="l"
                            aria-label=(format!("{}: {}", t(lang, "language"), other_name)) { (other_name) }
                    }
                }
                main id="main" {
                    h1 { (t(lang, "sign_in")) }
                    @if let Some((text, alert)) = message {
                        div id=(if alert { "sign-in-error" } else { "sign-in-notice" }) { (notice(text, alert)) }
                    }
                    form class="card" method="post" action=(SIGN_IN_PATH) {
                        input type="hidden" name=(csrf::FIELD) value=(pre);
                        label for="username" { (t(lang, "username"))
                            input id="username" name="username" type="text" autocomplete="username" required autofocus maxlength="64"; }
                        label for="password" { (t(lang, "password"))
                            input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"; }
                        button id="sign-in" type="submit" { (t(lang, "sign_in")) }
                        p class="muted" { (t(lang, "sign_in.lockout")) }
                    }
                }
            }
        }
    };
    let mut answer = (status, Html(page.into_string())).into_response();
    answer.headers_mut().append(header::SET_COOKIE, set_cookie(PRE_COOKIE, &pre, secure, None));
    answer
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-in`.
async fn sign_in(State(app): State<AppState>, lang: Lang, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let secure = parts.extensions.get::<ServedOverTls>().is_some();
    let bytes = match csrf::read_body(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Ok(form) = serde_urlencoded::from_bytes::<SignInForm>(&bytes) else {
        return ConsoleError::BadRequest("the sign-in form is not complete".into()).into_response();
    };
    let expected = cookie(&parts.headers, PRE_COOKIE).unwrap_or_default();
    if let Err(e) = csrf::tokens_match(&expected, Some(&form.csrf)) {
        return e.into_response();
    }
    let now = app.clock.now_unix();
    let (repo, entropy) = (app.repo.clone(), app.entropy.clone());
    let outcome = blocking(move || sign_in_with(&*repo, &form.username, &form.password, now, &*entropy)).await;
    match outcome {
        Ok(Some(token)) => {
            let mut answer = Redirect::to(BASE).into_response();
            let headers = answer.headers_mut();
            headers.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, secure, None));
            headers.append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", secure, Some(0)));
            answer
        }
        Ok(None) => {
            sign_in_form(&app, lang, Some((t(lang, "sign_in.refused"), true)), StatusCode::UNAUTHORIZED, secure)
        }
        Err(e) => ConsoleError::from(e).into_response(),
    }
}

/// Checks a user name and password at `now`: the new session's cookie value, or `None` when
/// sign-in is refused (unknown or disabled user, wrong password, locked account). A wrong
/// password counts towards the lockout.
pub fn sign_in_with(
    repo: &dyn Repository,
    username: &str,
    password: &str,
    now: i64,
    entropy: &dyn Entropy,
) -> Result<Option<String>, ApiError> {
    let account = repo.read()?.admin(username)?;
    let Some(account) = account.filter(|a| !a.disabled) else {
        // The same work as for a real account, so that timing does not tell the names apart.
        let _ = verify_password(password, dummy_hash());
        return Ok(None);
    };
    if account.locked_until.is_some_and(|until| until > now) {
        return Ok(None);
    }
    let right = verify_password(password, &account.password_hash);
    let mut tx = repo.begin()?;
    // Re-read: another server may have counted a failure or locked the account meanwhile.
    let Some(fresh) = tx.admin(username)? else { return Ok(None) };
    if fresh.disabled || fresh.locked_until.is_some_and(|until| until > now) {
        return Ok(None);
    }
    if !right {
        let failures = fresh.failed_count + 1;
        if failures >= MAX_FAILURES {
            tx.set_admin_failures(username, 0, Some(now + LOCKOUT_SECS))?;
            audit::record_as(
                &mut *tx,
                username,
                now,
                "sign_in.locked",
                username,
                &format!("{failures} wrong passwords"),
            )?;
        } else {
            tx.set_admin_failures(username, failures, None)?;
        }
        tx.commit()?;
        return Ok(None);
    }
    tx.set_admin_failures(username, 0, None)?;
    tx.purge_console_sessions(now)?;
    let token = random_hex(entropy);
    tx.insert_console_session(&ConsoleSessionRecord {
        id_sha256: sha256_hex(&token),
        username: username.to_string(),
        csrf_token: random_hex(entropy),
        expires_at: now + IDLE_SECS,
        created_at: now,
    })?;
    audit::record_as(&mut *tx, username, now, "sign_in", username, "")?;
    tx.commit()?;
    Ok(Some(token))
}

/// The fields of a form with nothing but the CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/sign-out`.
async fn sign_out(State(app): State<AppState>, parts: axum::http::Extensions, posted: CsrfForm<NoFields>) -> Response {
    let admin = posted.admin;
    let repo = app.repo.clone();
    let id = admin.session_sha256.clone();
    let done = blocking(move || {
        let mut tx = repo.begin()?;
        tx.delete_console_session(&id)?;
        audit::record(&mut *tx, &admin, "sign_out", &admin.username, "")?;
        tx.commit()?;
        Ok(())
    })
    .await;
    if let Err(e) = done {
        return ConsoleError::from(e).into_response();
    }
    let secure = parts.get::<ServedOverTls>().is_some();
    let mut answer = Redirect::to(&format!("{SIGN_IN_PATH}?signed_out=1")).into_response();
    answer.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", secure, Some(0)));
    answer
}

/// The language switch's query.
#[derive(Deserialize)]
struct SwitchQuery {
    to: String,
    back: Option<String>,
}

/// `GET /console/lang?to=zh&back=/console/sales`: keeps the language in a cookie and goes back.
/// Only a path of the console is followed back, never another site.
async fn switch_language(parts: axum::http::Extensions, Query(q): Query<SwitchQuery>) -> Response {
    let Some(lang) = Lang::parse(&q.to) else {
        return ConsoleError::BadRequest("unknown language".into()).into_response();
    };
    let back = q
        .back
        .filter(|b| b.starts_with("/console") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| BASE.to_string());
    let secure = parts.get::<ServedOverTls>().is_some();
    let mut answer = Redirect::to(&back).into_response();
    answer
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(super::page::LANG_COOKIE, lang.code(), secure, Some(365 * 24 * 3600)));
    answer
}

/// A `Set-Cookie` value for the console's path; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut text = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/console");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    // Names and values are ours (hex, fixed words); this cannot fail, but fail closed if it does.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("till_console=; Max-Age=0"))
}

/// The Argon2id hash (PHC string) of `password` with a fresh random salt.
pub fn hash_password(password: &str, entropy: &dyn Entropy) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    entropy.fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the stored hash; false for a hash that cannot be read.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password is checked against successfully in practice, for unknown users.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(b"till-console-nil").ok();
        salt.and_then(|s| Argon2::default().hash_password(b"not a password of anyone", &s).ok().map(|h| h.to_string()))
            .unwrap_or_default()
    })
}

/// 32 random bytes, hex.
fn random_hex(entropy: &dyn Entropy) -> String {
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of `text`, hex.
fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededEntropy;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery", &SeededEntropy::new(1)).unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterz", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_tls() {
        let c = set_cookie(SESSION_COOKIE, "ab", true, None);
        assert_eq!(c.to_str().ok(), Some("till_console=ab; HttpOnly; SameSite=Strict; Path=/console; Secure"));
        let c = set_cookie(SESSION_COOKIE, "", false, Some(0));
        assert_eq!(c.to_str().ok(), Some("till_console=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0"));
    }
}

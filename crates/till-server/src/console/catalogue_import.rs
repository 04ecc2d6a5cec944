//! The catalogue page's import: a CSV file in the till's catalogue format pasted into a form
//! (the console serves no script, so the text is what is posted), read by the same importer as
//! `till-server catalogue import` ([`crate::catalogue::import::import_csv_in`]) in one
//! transaction with its audit entry. A refused file writes nothing and the page lists the rows'
//! errors; an accepted one answers how many products were added, changed and left unchanged.

use super::audit;
use super::auth::SignedIn;
use super::catalogue::word;
use super::csrf::{check, field, form_value};
use super::error::ConsoleError;
use super::i18n::t;
use super::page::{layout, notice};
use super::write;
use crate::catalogue::import::{import_csv_in, ImportSummary};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use till_core::Currency;

/// The largest import form, bytes (the file URL-encoded as the browser posts it).
pub const IMPORT_LIMIT: usize = 8 * 1024 * 1024;

/// The import's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/catalogue/import", get(import_page).post(import))
}

/// The import form's fields.
#[derive(Debug, Default, Deserialize)]
struct ImportForm {
    csv: Option<String>,
    currency: Option<String>,
}

fn import_form(admin: &SignedIn, csv: &str, currency: &str, refused: Option<&str>) -> Html<String> {
    let lang = admin.lang;
    // The importer's message is "N rows have errors, ...: row 2: ... | row 5: ...".
    let (head, rows) = match refused {
        Some(why) => match why.split_once(": row ") {
            Some((head, rest)) => {
                let rows: Vec<String> = format!("row {rest}").split(" | ").map(str::to_string).collect();
                (Some(head.to_string()), rows)
            }
            None => (Some(why.to_string()), Vec::new()),
        },
        None => (None, Vec::new()),
    };
    let body = html! {
        @if let Some(head) = head {
            div id="import-errors" class="notice alert" role="alert" {
                p { (word(lang, "import_refused")) }
                p id="import-refusal" { (head) }
                @if !rows.is_empty() { ul { @for r in &rows { li class="row-error" { (r) } } } }
            }
        }
        p class="muted" { (word(lang, "import_intro")) }
        form class="card wide" method="post" action="/console/catalogue/import" {
            (field(admin))
            label for="csv" { (word(lang, "csv"))
                textarea id="csv" name="csv" rows="14" required autofocus spellcheck="false"
                    aria-describedby="csv-limit" { (csv) }
                span class="muted" id="csv-limit" { (word(lang, "import_limit").replace("{n}", &(IMPORT_LIMIT / (1024 * 1024)).to_string())) }
            }
            label for="currency" { (word(lang, "import_currency"))
                input id="currency" name="currency" type="text" required maxlength="3" value=(currency);
            }
            div {
                button id="import" type="submit" { (word(lang, "import")) }
                " "
                a id="cancel" class="button secondary" href="/console/catalogue" { (t(lang, "cancel")) }
            }
        }
    };
    layout(lang, admin, word(lang, "import_title"), body)
}

/// `GET /console/catalogue/import`.
async fn import_page(admin: SignedIn) -> Html<String> {
    import_form(&admin, "", "CNY", None)
}

/// `POST /console/catalogue/import`: the CSRF check of [`super::csrf::CsrfForm`] with a larger
/// body, then the import and its audit entry in one transaction.
async fn import(State(app): State<AppState>, admin: SignedIn, body: Body) -> Result<Response, ConsoleError> {
    let bytes = axum::body::to_bytes(body, IMPORT_LIMIT).await.map_err(|_| ConsoleError::TooLarge)?;
    check(&admin, form_value(&bytes, super::csrf::FIELD)?.as_deref())?;
    let form: ImportForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ConsoleError::BadRequest(format!("the form is not valid: {e}")))?;
    let csv = form.csv.unwrap_or_default();
    let code = form.currency.unwrap_or_default().trim().to_ascii_uppercase();
    let Ok(currency) = Currency::parse(&code) else {
        let page = import_form(&admin, &csv, &code, Some(word(admin.lang, "bad_currency")));
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    let actor = admin.clone();
    let text = csv.clone();
    let done = write(&app, move |tx| {
        let summary = import_csv_in(tx, &actor.merchant_id, text.as_bytes(), currency, actor.now)?;
        let sha = hex::encode(Sha256::digest(text.as_bytes()));
        let detail = format!(
            "{} bytes, sha256 {sha}; created {}, updated {}, unchanged {}; prices in {}",
            text.len(),
            summary.created,
            summary.updated,
            summary.unchanged,
            currency.code()
        );
        audit::record(tx, &actor, "catalogue.import", "csv", &detail)?;
        Ok(summary)
    })
    .await;
    match done {
        Ok(summary) => Ok(imported(&admin, summary).into_response()),
        Err(ConsoleError::Api(ApiError::InvalidRequest(why))) => {
            Ok((StatusCode::BAD_REQUEST, import_form(&admin, &csv, currency.code(), Some(&why))).into_response())
        }
        Err(e) => Err(e),
    }
}

fn imported(admin: &SignedIn, s: ImportSummary) -> Html<String> {
    let lang = admin.lang;
    let body = html! {
        div id="done" { (notice(word(lang, "import_done"), false)) }
        table id="import-summary" class="narrow" {
            tbody {
                tr { th { (word(lang, "created")) } td class="num" id="created" { (s.created) } }
                tr { th { (word(lang, "updated")) } td class="num" id="updated" { (s.updated) } }
                tr { th { (word(lang, "unchanged")) } td class="num" id="unchanged" { (s.unchanged) } }
            }
        }
        p { a id="back" href="/console/catalogue" autofocus { (word(lang, "back")) } }
    };
    layout(lang, admin, word(lang, "import_title"), body)
}

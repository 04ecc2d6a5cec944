//! `GET /v1/catalogue/changes?since=CURSOR&limit=N` (signed, answer signed): the changes of the
//! terminal's merchant's central catalogue after a cursor, oldest first, a page at a time
//! (docs/catalogue-from-hq.md). Another merchant's catalogue is never in the answer.

use super::blocking;
use crate::catalogue::changes_page;
use crate::error::{ApiError, ErrorBody};
use crate::scope::merchant_of_terminal;
use crate::state::{AppState, AuthedTerminal};
use crate::wire::CursorQuery;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use till_api::catalogue::{CatalogueChangesPage, DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE};

/// The path of the changes.
pub const CHANGES_PATH: &str = "/v1/catalogue/changes";

/// The tills' route (inside the signing check).
pub fn router() -> Router<AppState> {
    Router::new().route(CHANGES_PATH, get(changes))
}

/// The merchant's catalogue changes after a cursor.
#[utoipa::path(get, path = "/v1/catalogue/changes", tag = "catalogue",
    params(
        ("since" = Option<String>, Query, description = "The cursor of the last page; absent or 0 for the start"),
        ("limit" = Option<i64>, Query, description = "Changes per page, 1 to 5000 (default 1000)")),
    responses(
        (status = 200, description = "The changes of the terminal's merchant's catalogue after the cursor, oldest first (a product's latest version or its tombstone), the cursor for next time, and whether more wait", body = CatalogueChangesPage),
        (status = 400, description = "invalid_request: a cursor or limit that is not a number in range", body = ErrorBody),
        (status = 401, description = "Signature refused", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn changes(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    query: Result<Query<CursorQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(q) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let (since, limit) = q.page(DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE)?;
        let repo = app.repo.clone();
        blocking(move || {
            // A snapshot: the page and its cursor agree, and a write in progress is not waited for.
            let mut tx = repo.read()?;
            let merchant = merchant_of_terminal(&mut *tx, &t.id)?;
            changes_page(&mut *tx, &merchant, since, limit)
        })
        .await
    }
    .await;
    match result {
        Ok(page) => Json(page).into_response(),
        Err(e) => e.into_response(),
    }
}

//! The customers page: the customers the merchant sees with their reputation (what the refund
//! policy compares with its threshold), searched by id; a change of reputation is audited with
//! the old and the new score.

use super::audit;
use super::auth::SignedIn;
use super::csrf::{field, CsrfForm};
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{given, layout, notice, pager, path_segment, PAGE_SIZE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

/// The page's own words.
const WORDS: Table = &[
    ("title", "Customers", "顾客"),
    ("id", "Customer id", "顾客编号"),
    ("reputation", "Reputation", "信誉分"),
    ("change", "Change", "修改"),
    ("saved", "The reputation is saved.", "信誉分已保存。"),
    (
        "hint",
        "Refunds of customers at or above the policy's threshold are approved at once.",
        "信誉分达到阈值的顾客，退款将立即批准。",
    ),
    ("back", "Back to the customers", "返回顾客列表"),
];

/// Reputation scores the console accepts.
const REPUTATION_RANGE: std::ops::RangeInclusive<i64> = -1_000_000..=1_000_000;

/// The customers page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/customers", get(list)).route("/customers/{id}", get(detail).post(change))
}

/// The search.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
}

/// `GET /console/customers`.
async fn list(
    State(app): State<AppState>,
    admin: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let page = q.page.unwrap_or(1).max(1);
    let search = given(&q.q);
    let (merchant, term) = (admin.merchant_id.clone(), search.clone());
    let rows = super::read(&app, move |tx| {
        Ok(tx.console_customers(&merchant, term.as_deref(), PAGE_SIZE + 1, (page - 1).saturating_mul(PAGE_SIZE))?)
    })
    .await?;
    let body = html! {
        form class="filters" method="get" action="/console/customers" role="search" {
            label for="q" { (t(lang, "search")) input id="q" name="q" type="search" value=(search.clone().unwrap_or_default()); }
            button id="search" type="submit" { (t(lang, "search")) }
        }
        table id="customers" {
            thead { tr { th { (lookup(WORDS, lang, "id")) } th class="num" { (lookup(WORDS, lang, "reputation")) } th { (t(lang, "actions")) } } }
            tbody {
                @for row in rows.iter().take(PAGE_SIZE as usize) {
                    tr class="customer" {
                        td { code { (row.customer_id) } }
                        td class="num" { (row.reputation) }
                        td { a href=(format!("/console/customers/{}", path_segment(&row.customer_id))) { (lookup(WORDS, lang, "change")) } }
                    }
                }
                @if rows.is_empty() { tr { td colspan="3" class="muted" { (t(lang, "nothing")) } } }
            }
        }
        (pager(lang, "/console/customers", &[("q", search.unwrap_or_default())], page, rows.len() as i64 > PAGE_SIZE))
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "title"), body))
}

/// What the detail page may say.
#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    saved: Option<String>,
}

/// `GET /console/customers/{id}`.
async fn detail(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let row = super::read(&app, move |tx| Ok(tx.console_customer(&merchant, &id)?))
        .await?
        .ok_or(ConsoleError::NotFound("customer"))?;
    let body = html! {
        @if q.saved.is_some() { div id="saved" { (notice(lookup(WORDS, lang, "saved"), false)) } }
        form class="card" method="post" action=(format!("/console/customers/{}", path_segment(&row.customer_id))) {
            (field(&admin))
            p { (lookup(WORDS, lang, "id")) ": " code id="customer-id" { (row.customer_id) } }
            label for="reputation" { (lookup(WORDS, lang, "reputation"))
                input id="reputation" name="reputation" type="number" step="1" required value=(row.reputation)
                    min=(REPUTATION_RANGE.start()) max=(REPUTATION_RANGE.end());
            }
            p class="muted" { (lookup(WORDS, lang, "hint")) }
            button id="save" type="submit" { (t(lang, "save")) }
        }
        p { a href="/console/customers" { (lookup(WORDS, lang, "back")) } }
    };
    Ok(layout(lang, &admin, &row.customer_id, body))
}

/// The change form.
#[derive(Debug, Deserialize)]
struct ChangeForm {
    reputation: String,
}

/// `POST /console/customers/{id}`: sets the reputation, audited with the old and new score.
async fn change(
    State(app): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<ChangeForm>,
) -> Result<Response, ConsoleError> {
    let CsrfForm { admin, form } = posted;
    let score: i64 = form
        .reputation
        .trim()
        .parse()
        .ok()
        .filter(|s| REPUTATION_RANGE.contains(s))
        .ok_or_else(|| ConsoleError::BadRequest("the reputation is a whole number".into()))?;
    let customer = id.clone();
    super::write(&app, move |tx| {
        let row = tx.console_customer(&admin.merchant_id, &customer)?.ok_or(ConsoleError::NotFound("customer"))?;
        tx.set_merchant_customer_reputation(&admin.merchant_id, &customer, score)?;
        audit::record(tx, &admin, "customer.reputation", &customer, &format!("{} -> {score}", row.reputation))?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/console/customers/{}?saved=1", path_segment(&id))).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_words_are_complete() {
        assert_eq!(super::super::i18n::check_table(super::WORDS), Ok(()));
    }
}

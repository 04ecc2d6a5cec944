//! The points page: the merchant's points accounts (searched by account id or customer
//! reference) and each account's history, newest first. Read-only: balances change only by
//! tokens from the customer's phone and by refunds.

use super::auth::SignedIn;
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{given, layout, pager, path_segment, when, PAGE_SIZE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

/// The page's own words.
const WORDS: Table = &[
    ("title", "Points accounts", "积分账户"),
    ("account", "Account", "账户"),
    ("customer_ref", "Customer reference", "顾客参考号"),
    ("balance", "Balance", "余额"),
    ("history", "History", "历史记录"),
    ("kind", "Change", "变动类型"),
    ("delta", "Points", "积分"),
    ("after", "Balance after", "变动后余额"),
    ("refund", "Refund", "退款"),
    ("earn", "earned", "获得"),
    ("redeem", "redeemed", "兑换"),
    ("reverse_earn", "earning reversed (refund)", "撤销获得（退款）"),
    ("return_redeem", "redemption returned (refund)", "退回兑换（退款）"),
    ("back", "Back to the accounts", "返回账户列表"),
];

/// History entries shown on an account's page.
const HISTORY_LIMIT: i64 = 200;

/// The points page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/points", get(list)).route("/points/{id}", get(detail))
}

/// The search.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
}

/// `GET /console/points`.
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
        Ok(tx.console_points_accounts(
            &merchant,
            term.as_deref(),
            PAGE_SIZE + 1,
            (page - 1).saturating_mul(PAGE_SIZE),
        )?)
    })
    .await?;
    let body = html! {
        form class="filters" method="get" action="/console/points" role="search" {
            label for="q" { (t(lang, "search")) input id="q" name="q" type="search" value=(search.clone().unwrap_or_default()); }
            button id="search" type="submit" { (t(lang, "search")) }
        }
        table id="accounts" {
            thead { tr {
                th { (lookup(WORDS, lang, "account")) } th { (lookup(WORDS, lang, "customer_ref")) }
                th class="num" { (lookup(WORDS, lang, "balance")) } th { (t(lang, "created")) }
            } }
            tbody {
                @for row in rows.iter().take(PAGE_SIZE as usize) {
                    tr class="account" {
                        td { a href=(format!("/console/points/{}", path_segment(&row.account_id))) { code { (row.account_id) } } }
                        td { (row.customer_ref.as_deref().unwrap_or("—")) }
                        td class="num" { (row.balance) }
                        td { (when(row.created_at)) }
                    }
                }
                @if rows.is_empty() { tr { td colspan="4" class="muted" { (t(lang, "nothing")) } } }
            }
        }
        (pager(lang, "/console/points", &[("q", search.unwrap_or_default())], page, rows.len() as i64 > PAGE_SIZE))
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "title"), body))
}

/// `GET /console/points/{id}`.
async fn detail(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let (account, history) = super::read(&app, move |tx| {
        let Some(account) = tx.console_points_account(&merchant, &id)? else { return Ok(None) };
        let history = tx.points_history(&id, HISTORY_LIMIT)?;
        Ok(Some((account, history)))
    })
    .await?
    .ok_or(ConsoleError::NotFound("points account"))?;
    let body = html! {
        dl {
            dt { (lookup(WORDS, lang, "account")) } dd { code id="account-id" { (account.account_id) } }
            dt { (lookup(WORDS, lang, "customer_ref")) } dd { (account.customer_ref.as_deref().unwrap_or("—")) }
            dt { (lookup(WORDS, lang, "balance")) } dd id="balance" { (account.balance) }
            dt { (t(lang, "created")) } dd { (when(account.created_at)) }
        }
        h2 { (lookup(WORDS, lang, "history")) }
        table id="history" {
            thead { tr {
                th { (t(lang, "when")) } th { (lookup(WORDS, lang, "kind")) } th class="num" { (lookup(WORDS, lang, "delta")) }
                th class="num" { (lookup(WORDS, lang, "after")) } th { (t(lang, "terminal")) } th { (t(lang, "order")) }
                th { (lookup(WORDS, lang, "refund")) }
            } }
            tbody {
                @for e in &history {
                    tr class="entry" {
                        td { (when(e.at)) }
                        td { (lookup(WORDS, lang, &e.kind)) }
                        td class="num" { @if e.delta > 0 { "+" } (e.delta) }
                        td class="num" { (e.balance_after) }
                        td { code { (e.terminal_id) } }
                        td { code { (e.order_id) } }
                        td { (e.refund_id.as_deref().unwrap_or("—")) }
                    }
                }
                @if history.is_empty() { tr { td colspan="7" class="muted" { (t(lang, "nothing")) } } }
            }
        }
        p { a href="/console/points" { (lookup(WORDS, lang, "back")) } }
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "title"), body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_words_are_complete() {
        assert_eq!(super::super::i18n::check_table(super::WORDS), Ok(()));
    }
}

//! The sales page: the merchant's sales across its stores, filtered by store, terminal, dates and
//! a minimum amount, a page at a time, with the totals of everything the filter matches.

use super::auth::SignedIn;
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{given, layout, money, notice, pager, when, Lang, PAGE_SIZE};
use crate::repo::{CurrencyTotal, SaleRow, SalesFilter, TerminalRow};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

/// The page's own words.
const WORDS: Table = &[
    ("title", "Sales", "销售"),
    ("min_hint", "in major units, e.g. 12.50", "以元为单位，例如 12.50"),
    ("bad_filter", "The filter is not valid", "筛选条件无效"),
    ("matching", "Matching sales", "符合条件的销售"),
    ("till", "Till", "收银机"),
];

/// The sales page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/sales", get(list))
}

/// The filter as it comes in the query string (every field optional, blank meaning none).
#[derive(Debug, Default, Deserialize)]
pub struct SalesQuery {
    store: Option<String>,
    terminal: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    page: Option<i64>,
}

/// A date `YYYY-MM-DD` as the unix time of its midnight, UTC.
fn date(text: &str) -> Result<i64, String> {
    till_core::calendar::parse_utc_date(text)
        .map(|ms| ms / 1000)
        .ok_or_else(|| format!("{text}: not a date YYYY-MM-DD"))
}

/// An amount in major units with at most two decimals (`12`, `12.5`, `12.50`) in minor units.
fn amount(text: &str) -> Result<i64, String> {
    let bad = || format!("{text}: not an amount like 12.50");
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !(whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    Ok(whole * 100 + frac)
}

/// The repository's filter for `q`, for `merchant_id`.
pub fn filter_of(q: &SalesQuery, merchant_id: &str) -> Result<SalesFilter, String> {
    let page = q.page.unwrap_or(1).max(1);
    Ok(SalesFilter {
        merchant_id: merchant_id.to_string(),
        store: given(&q.store),
        terminal: given(&q.terminal),
        from: given(&q.from).map(|d| date(&d)).transpose()?,
        // The "to" date is included: sales before the next midnight.
        until: given(&q.to).map(|d| date(&d).map(|t| t + 86_400)).transpose()?,
        min_total_minor: given(&q.min).map(|a| amount(&a)).transpose()?,
        // One more than a page, to know whether there is a next one.
        limit: PAGE_SIZE + 1,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
    })
}

/// `GET /console/sales`.
async fn list(
    State(app): State<AppState>,
    admin: SignedIn,
    Query(q): Query<SalesQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let filter = filter_of(&q, &merchant);
    let query_filter = filter.clone().ok();
    let (stores, terminals, found) = super::read(&app, move |tx| {
        let stores = tx.console_stores(&merchant)?;
        let terminals = tx.console_terminals(&merchant)?;
        let found = match query_filter {
            Some(f) => Some((tx.console_sales(&f)?, tx.console_sales_totals(&f)?)),
            None => None,
        };
        Ok((stores, terminals, found))
    })
    .await?;
    let page = q.page.unwrap_or(1).max(1);
    let body = html! {
        (filter_form(lang, &q, &stores, &terminals))
        @match (&filter, &found) {
            (Err(why), _) => (notice(&format!("{}: {why}", lookup(WORDS, lang, "bad_filter")), true)),
            (Ok(_), Some((rows, totals))) => {
                (totals_table(lang, totals))
                (sales_table(lang, rows))
                (pager(lang, "/console/sales", &[
                    ("store", given(&q.store).unwrap_or_default()),
                    ("terminal", given(&q.terminal).unwrap_or_default()),
                    ("from", given(&q.from).unwrap_or_default()),
                    ("to", given(&q.to).unwrap_or_default()),
                    ("min", given(&q.min).unwrap_or_default()),
                ], page, rows.len() as i64 > PAGE_SIZE))
            }
            (Ok(_), None) => {}
        }
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "title"), body))
}

fn filter_form(lang: Lang, q: &SalesQuery, stores: &[String], terminals: &[TerminalRow]) -> maud::Markup {
    let chosen_store = given(&q.store);
    let chosen_terminal = given(&q.terminal);
    html! {
        form class="filters" method="get" action="/console/sales" role="search" {
            label for="store" { (t(lang, "store"))
                select id="store" name="store" {
                    option value="" { (t(lang, "all")) }
                    @for s in stores {
                        option value=(s) selected[chosen_store.as_deref() == Some(s.as_str())] { (s) }
                    }
                }
            }
            label for="terminal" { (t(lang, "terminal"))
                select id="terminal" name="terminal" {
                    option value="" { (t(lang, "all")) }
                    @for term in terminals {
                        option value=(term.terminal_id) selected[chosen_terminal.as_deref() == Some(term.terminal_id.as_str())] {
                            (term.name) " (" (term.store) ")"
                        }
                    }
                }
            }
            label for="from" { (t(lang, "from")) input id="from" name="from" type="date" value=(given(&q.from).unwrap_or_default()); }
            label for="to" { (t(lang, "to")) input id="to" name="to" type="date" value=(given(&q.to).unwrap_or_default()); }
            label for="min" { (t(lang, "min_amount"))
                input id="min" name="min" type="text" inputmode="decimal" size="10" value=(given(&q.min).unwrap_or_default())
                    placeholder="0.00" title=(lookup(WORDS, lang, "min_hint"));
            }
            button id="apply-filter" type="submit" { (t(lang, "filter")) }
        }
    }
}

fn totals_table(lang: Lang, totals: &[CurrencyTotal]) -> maud::Markup {
    html! {
        table id="sales-totals" aria-label=(lookup(WORDS, lang, "matching")) {
            thead { tr { th { (t(lang, "currency")) } th class="num" { (t(lang, "count")) } th class="num" { (t(lang, "total")) } } }
            tbody {
                @for row in totals {
                    tr { td { (row.currency) } td class="num" { (row.count) } td class="num" { (money(row.total_minor, &row.currency)) } }
                }
                @if totals.is_empty() { tr { td colspan="3" class="muted" { (t(lang, "nothing")) } } }
            }
        }
        br;
    }
}

fn sales_table(lang: Lang, rows: &[SaleRow]) -> maud::Markup {
    html! {
        table id="sales" {
            thead { tr {
                th { (t(lang, "when")) } th { (t(lang, "store")) } th { (lookup(WORDS, lang, "till")) }
                th { (t(lang, "order")) } th { (t(lang, "customer")) } th class="num" { (t(lang, "amount")) }
            } }
            tbody {
                @for row in rows.iter().take(PAGE_SIZE as usize) {
                    tr class="sale" {
                        td { (when(row.created_at)) }
                        td class="sale-store" { (row.store) }
                        td { (row.terminal_name.as_deref().unwrap_or(&row.terminal_id)) }
                        td { code { (row.order_id) } }
                        td { (row.customer_id.as_deref().unwrap_or("—")) }
                        td class="num" { (money(row.total_minor, &row.currency)) }
                    }
                }
                @if rows.is_empty() { tr { td colspan="6" class="muted" { (t(lang, "nothing")) } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_are_read_strictly() {
        assert_eq!(amount("12"), Ok(1200));
        assert_eq!(amount("12.5"), Ok(1250));
        assert_eq!(amount("0.05"), Ok(5));
        assert!(amount("12.345").is_err());
        assert!(amount("-1").is_err());
        assert!(amount("1e3").is_err());
        assert_eq!(date("1970-01-02"), Ok(86_400));
        assert!(date("2026-02-30").is_err());
        assert_eq!(super::super::i18n::check_table(WORDS), Ok(()));
    }
}

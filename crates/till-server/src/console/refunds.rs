//! The refunds page: the merchant's refunds awaiting the seller, each with its sale line, the
//! amount, the reason, the customer's reputation and the photo of the defect the till uploaded;
//! Confirm or Reject after a confirmation page (a rejection with its reason). The decision is
//! the command line's (`till-server refunds confirm/reject`): [`crate::routes::refunds::decide_in`],
//! here in one transaction with its audit entry, so a till learns it as it always has (its
//! `GET /v1/refunds/{id}` answers the new status on its next refresh).
//!
//! Photos are served by `GET /console/refunds/photos/{sha256}` to a signed-in admin only, and
//! only a photo one of their merchant's refunds names: with its stored type (read from its
//! bytes when it was uploaded), `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.

use super::audit;
use super::auth::SignedIn;
use super::csrf::{field, CsrfForm};
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{layout, money, notice, path_segment, when, Lang};
use super::{read, write};
use crate::repo::AwaitingRefundRow;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

/// The page's own words.
pub(super) const WORDS: Table = &[
    ("title", "Refunds awaiting the seller", "待卖家确认的退款"),
    ("intro", "Refunds the tills left to you, the seller. Look at the photo, then confirm (the customer is paid back) or reject.", "收银机交由您（卖家）决定的退款。请查看照片，然后确认（退款给顾客）或拒绝。"),
    ("refund", "Refund", "退款"),
    ("sale_line", "Sale line", "销售明细"),
    ("reason", "Reason", "原因"),
    ("reputation", "Customer reputation (when asked)", "顾客信誉（申请时）"),
    ("unknown", "unknown", "未知"),
    ("anonymous", "anonymous", "匿名"),
    ("photo", "Photo of the defect", "缺陷照片"),
    ("no_photo", "No photo", "无照片"),
    ("photo_missing", "Not uploaded yet", "尚未上传"),
    ("photo_alt", "Photo of the defect of refund {id}", "退款 {id} 的缺陷照片"),
    ("open_photo", "Open full size", "查看原图"),
    ("seller", "Sold for", "卖家"),
    ("confirm_refund", "Confirm", "确认退款"),
    ("reject_refund", "Reject", "拒绝退款"),
    ("confirm_question", "Confirm this refund? The customer is paid back the amount below.", "确认此退款？将向顾客退还以下金额。"),
    ("reject_question", "Reject this refund? The customer is not paid back; say why.", "拒绝此退款？不会向顾客退款，请说明原因。"),
    ("reject_reason", "Why it is rejected (the till and the audit keep it)", "拒绝原因（记录在审计中）"),
    ("done_confirmed", "The refund is confirmed: the till pays it out at its next refresh.", "退款已确认：收银机下次刷新时将支付。"),
    ("done_rejected", "The refund is rejected.", "退款已拒绝。"),
    ("reason_needed", "Give the reason for the rejection (1 to 500 characters).", "请填写拒绝原因（1 至 500 个字符）。"),
    ("back", "Back to the refunds", "返回退款列表"),
    ("reason.defective", "Defective", "有缺陷"),
    ("reason.wrong_item", "Wrong item", "商品错误"),
    ("reason.not_as_described", "Not as described", "与描述不符"),
    ("reason.changed_mind", "Changed mind", "不想要了"),
    ("reason.other", "Other", "其他"),
];

/// The refunds page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/refunds", get(list))
        .route("/refunds/photos/{sha256}", get(photo))
        .route("/refunds/{id}/confirm", get(confirm_page).post(confirm))
        .route("/refunds/{id}/reject", get(reject_page).post(reject))
}

/// What the list may say above itself.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    done: Option<String>,
}

fn word(lang: Lang, key: &str) -> &str {
    lookup(WORDS, lang, key)
}

/// A reason code in words (the till's codes), else the text as the till sent it.
fn reason_words(lang: Lang, reason: &str) -> String {
    let key = format!("reason.{reason}");
    match WORDS.iter().find(|(k, _, _)| *k == key) {
        Some(_) => lookup(WORDS, lang, &key).to_string(),
        None => reason.to_string(),
    }
}

fn photo_path(sha: &str) -> String {
    format!("/console/refunds/photos/{}", path_segment(sha))
}

/// The photo cell (or the words for none).
fn photo_cell(lang: Lang, r: &AwaitingRefundRow, large: bool) -> Markup {
    html! {
        @match (&r.evidence_sha256, r.photo_stored) {
            (Some(sha), true) => {
                a href=(photo_path(sha)) target="_blank" rel="noopener" title=(word(lang, "open_photo")) {
                    img class=(if large { "refund-photo large" } else { "refund-photo" }) src=(photo_path(sha))
                        alt=(word(lang, "photo_alt").replace("{id}", &r.refund_id))
                        width=(if large { "480" } else { "160" });
                }
            }
            (Some(_), false) => { span class="muted photo-missing" { (word(lang, "photo_missing")) } }
            (None, _) => { span class="muted no-photo" { (word(lang, "no_photo")) } }
        }
    }
}

fn reputation(lang: Lang, r: &AwaitingRefundRow) -> String {
    match (&r.customer_id, r.reputation) {
        (None, _) => word(lang, "anonymous").to_string(),
        (Some(_), None) => word(lang, "unknown").to_string(),
        (Some(_), Some(n)) => n.to_string(),
    }
}

/// The facts of one refund, as the list and the confirmation pages show them.
fn facts(lang: Lang, r: &AwaitingRefundRow) -> Markup {
    html! {
        dl class="refund-facts" {
            dt { (word(lang, "refund")) } dd { code class="refund-id" { (r.refund_id) } " · " (when(r.created_at)) }
            dt { (word(lang, "sale_line")) }
            dd class="sale-line" {
                (r.name) " (" (r.sku) ") × " (r.quantity) " · " (money(r.line_total_minor, &r.currency))
                br; span class="muted" { (t(lang, "order")) " " code { (r.order_id) } " · " code { (r.line_code) }
                    " · " (t(lang, "store")) " " (r.store) " · " (t(lang, "terminal")) " " code { (r.terminal_id) } }
            }
            @if let Some(s) = &r.seller { dt { (word(lang, "seller")) } dd { (s) } }
            dt { (t(lang, "amount")) } dd class="amount" { strong { (money(r.amount_minor, &r.currency)) } " (" (r.tender) ")" }
            dt { (word(lang, "reason")) } dd class="reason" { (reason_words(lang, &r.reason)) }
            dt { (t(lang, "customer")) } dd { (r.customer_id.as_deref().unwrap_or("–")) }
            dt { (word(lang, "reputation")) } dd class="reputation" { (reputation(lang, r)) }
        }
    }
}

/// `GET /console/refunds`.
async fn list(
    State(app): State<AppState>,
    admin: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let rows = read(&app, move |tx| Ok(tx.console_refunds_awaiting(&merchant, None)?)).await?;
    let done = match q.done.as_deref() {
        Some("confirmed") => Some(word(lang, "done_confirmed")),
        Some("rejected") => Some(word(lang, "done_rejected")),
        _ => None,
    };
    let body = html! {
        @if let Some(text) = done { div id="done" { (notice(text, false)) } }
        p class="muted" { (word(lang, "intro")) }
        table id="refunds" {
            thead { tr {
                th { (word(lang, "refund")) } th { (word(lang, "photo")) } th { (t(lang, "actions")) }
            } }
            tbody {
                @for r in &rows {
                    tr class="refund" data-refund=(r.refund_id) {
                        td { (facts(lang, r)) }
                        td { (photo_cell(lang, r, false)) }
                        td {
                            a class="button confirm-link" href=(format!("/console/refunds/{}/confirm", path_segment(&r.refund_id))) { (word(lang, "confirm_refund")) }
                            " "
                            a class="button secondary reject-link" href=(format!("/console/refunds/{}/reject", path_segment(&r.refund_id))) { (word(lang, "reject_refund")) }
                        }
                    }
                }
                @if rows.is_empty() { tr { td colspan="3" class="muted" id="no-refunds" { (t(lang, "nothing")) } } }
            }
        }
    };
    Ok(layout(lang, &admin, word(lang, "title"), body))
}

/// The refund if it awaits the seller and is the admin's merchant's.
async fn own_refund(app: &AppState, admin: &SignedIn, id: String) -> Result<AwaitingRefundRow, ConsoleError> {
    let merchant = admin.merchant_id.clone();
    let mut rows = read(app, move |tx| Ok(tx.console_refunds_awaiting(&merchant, Some(&id))?)).await?;
    rows.pop().ok_or(ConsoleError::NotFound("refund awaiting the seller"))
}

fn decision_page(
    lang: Lang,
    admin: &SignedIn,
    r: &AwaitingRefundRow,
    confirm: bool,
    error: Option<&str>,
) -> Html<String> {
    let (question, action, verb) = if confirm {
        (word(lang, "confirm_question"), "confirm", word(lang, "confirm_refund"))
    } else {
        (word(lang, "reject_question"), "reject", word(lang, "reject_refund"))
    };
    let body = html! {
        @if let Some(e) = error { div id="error" { (notice(e, true)) } }
        form class="card decision" method="post" action=(format!("/console/refunds/{}/{action}", path_segment(&r.refund_id))) {
            (field(admin))
            p id="question" { (question) }
            (facts(lang, r))
            div class="photo" { (photo_cell(lang, r, true)) }
            @if !confirm {
                label for="reason" { (word(lang, "reject_reason"))
                    textarea id="reason" name="reason" required maxlength="500" rows="3" autofocus {}
                }
            }
            div {
                @if confirm {
                    button id="confirm" type="submit" autofocus { (t(lang, "confirm")) " – " (verb) }
                } @else {
                    button id="confirm" type="submit" class="danger" { (t(lang, "confirm")) " – " (verb) }
                }
                " "
                a id="cancel" class="button secondary" href="/console/refunds" { (t(lang, "cancel")) }
            }
        }
    };
    layout(lang, admin, verb, body)
}

/// `GET /console/refunds/{id}/confirm`: the confirmation.
async fn confirm_page(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let r = own_refund(&app, &admin, id).await?;
    Ok(decision_page(admin.lang, &admin, &r, true, None))
}

/// `GET /console/refunds/{id}/reject`: the confirmation, with the reason to give.
async fn reject_page(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let r = own_refund(&app, &admin, id).await?;
    Ok(decision_page(admin.lang, &admin, &r, false, None))
}

/// The reject form's field.
#[derive(Debug, Deserialize)]
struct RejectForm {
    reason: Option<String>,
}

/// `POST /console/refunds/{id}/confirm`.
async fn confirm(
    State(app): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<super::auth::NoFields>,
) -> Result<Response, ConsoleError> {
    decide(&app, posted.admin, id, None).await
}

/// `POST /console/refunds/{id}/reject`.
async fn reject(
    State(app): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<RejectForm>,
) -> Result<Response, ConsoleError> {
    let CsrfForm { admin, form } = posted;
    let reason = form.reason.unwrap_or_default().trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        let lang = admin.lang;
        let r = own_refund(&app, &admin, id).await?;
        let mut page = decision_page(lang, &admin, &r, false, Some(word(lang, "reason_needed"))).into_response();
        *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(page);
    }
    decide(&app, admin, id, Some(reason)).await
}

/// The seller's decision (`reject_reason: None` confirms) through the command line's code path,
/// with its audit entry, in one transaction; only on a refund of the admin's merchant that
/// awaits the seller (checked in the same transaction).
async fn decide(
    app: &AppState,
    admin: SignedIn,
    id: String,
    reject_reason: Option<String>,
) -> Result<Response, ConsoleError> {
    let confirm = reject_reason.is_none();
    let actor = admin.clone();
    write(app, move |tx| {
        let row = tx
            .console_refunds_awaiting(&actor.merchant_id, Some(&id))?
            .pop()
            .ok_or(ConsoleError::NotFound("refund awaiting the seller"))?;
        let decided = crate::routes::refunds::decide_in(tx, &row.refund_id, confirm, &actor.username, actor.now)?;
        let detail = match &reject_reason {
            None => format!("confirmed {} {}; line {}", row.amount_minor, row.currency, row.line_code),
            Some(why) => {
                format!("rejected {} {}; line {}; reason: {why}", row.amount_minor, row.currency, row.line_code)
            }
        };
        let action = if confirm { "refund.confirm" } else { "refund.reject" };
        audit::record(tx, &actor, action, &decided.refund_id, &detail)?;
        Ok(())
    })
    .await?;
    let done = if confirm { "confirmed" } else { "rejected" };
    Ok(Redirect::to(&format!("/console/refunds?done={done}")).into_response())
}

/// `GET /console/refunds/photos/{sha256}`: the photo, to a signed-in admin of a merchant one
/// of whose refunds names it.
async fn photo(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(sha): Path<String>,
) -> Result<Response, ConsoleError> {
    if !till_core::photo::is_sha256_hex(&sha) {
        return Err(ConsoleError::NotFound("photo"));
    }
    let merchant = admin.merchant_id.clone();
    let p = read(&app, move |tx| Ok(tx.console_refund_photo(&merchant, &sha)?))
        .await?
        .ok_or(ConsoleError::NotFound("photo"))?;
    // Only the three types the upload takes are ever stored; anything else is not served.
    let content_type = till_core::photo::PhotoType::from_content_type(&p.content_type)
        .ok_or(ConsoleError::NotFound("photo"))?
        .content_type();
    let mut answer = p.bytes.into_response();
    let h = answer.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, private"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_complete_in_both_languages() {
        assert_eq!(super::super::i18n::check_table(WORDS), Ok(()));
        assert_eq!(reason_words(Lang::Zh, "defective"), "有缺陷");
        assert_eq!(reason_words(Lang::En, "a free text"), "a free text");
    }
}

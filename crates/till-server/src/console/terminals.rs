//! The terminals page: the merchant's tills with their stores; add one (its credentials shown
//! once, on the answer to the form, never again); disable or enable one after a confirmation.
//! Adding goes through the same functions as `till-server terminals add` (a secret, or a
//! one-time enrolment code the till exchanges itself).

use super::audit;
use super::auth::SignedIn;
use super::csrf::{field, CsrfForm};
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{layout, notice, path_segment, when, Lang};
use crate::merchants::{check_store, DEFAULT_STORE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

/// The page's own words.
const WORDS: Table = &[
    ("title", "Terminals", "终端"),
    ("add_title", "Add a terminal", "添加终端"),
    ("added", "Terminal added", "终端已添加"),
    ("id", "Terminal id", "终端编号"),
    ("credential", "Credential", "凭据"),
    ("code", "Enrolment code (the till exchanges it once, within 24 hours)", "注册码（收银机在 24 小时内兑换一次）"),
    ("secret", "Signing secret (typed into the till)", "签名密钥（在收银机中输入）"),
    ("once", "Write this down now: it is shown only this once.", "请立即记下：此信息只显示这一次。"),
    ("expires", "Expires", "到期时间"),
    ("back", "Back to the terminals", "返回终端列表"),
    (
        "confirm_disable",
        "Disable this terminal? Its requests will be refused until it is enabled again.",
        "确定停用此终端？在重新启用之前，它的请求将被拒绝。",
    ),
    ("confirm_enable", "Enable this terminal again?", "确定重新启用此终端？"),
    ("done_disabled", "The terminal is disabled.", "终端已停用。"),
    ("done_enabled", "The terminal is enabled.", "终端已启用。"),
    ("other_merchant", "That store belongs to another merchant.", "该门店属于其他商户。"),
];

/// The terminals page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/terminals", get(list).post(add))
        .route("/terminals/{id}/disable", get(confirm_disable).post(disable))
        .route("/terminals/{id}/enable", get(confirm_enable).post(enable))
}

/// What the list may say above itself.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    done: Option<String>,
}

/// `GET /console/terminals`.
async fn list(
    State(app): State<AppState>,
    admin: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let (terminals, stores) =
        super::read(&app, move |tx| Ok((tx.console_terminals(&merchant)?, tx.console_stores(&merchant)?))).await?;
    let done = match q.done.as_deref() {
        Some("disabled") => Some(lookup(WORDS, lang, "done_disabled")),
        Some("enabled") => Some(lookup(WORDS, lang, "done_enabled")),
        _ => None,
    };
    let body = html! {
        @if let Some(text) = done { div id="done" { (notice(text, false)) } }
        table id="terminals" {
            thead { tr {
                th { (t(lang, "name")) } th { (lookup(WORDS, lang, "id")) } th { (t(lang, "store")) }
                th { (t(lang, "created")) } th { (t(lang, "status")) } th { (t(lang, "actions")) }
            } }
            tbody {
                @for row in &terminals {
                    tr class="terminal" data-terminal=(row.terminal_id) {
                        td { (row.name) }
                        td { code { (row.terminal_id) } }
                        td { (row.store) }
                        td { (when(row.created_at)) }
                        td { @if row.disabled { span class="badge off" { (t(lang, "disabled")) } } @else { span class="badge" { (t(lang, "enabled")) } } }
                        td {
                            @if row.disabled {
                                a class="button secondary" href=(format!("/console/terminals/{}/enable", path_segment(&row.terminal_id))) { (t(lang, "enable")) }
                            } @else {
                                a class="button secondary" href=(format!("/console/terminals/{}/disable", path_segment(&row.terminal_id))) { (t(lang, "disable")) }
                            }
                        }
                    }
                }
                @if terminals.is_empty() { tr { td colspan="6" class="muted" { (t(lang, "nothing")) } } }
            }
        }
        h2 id="add-heading" { (lookup(WORDS, lang, "add_title")) }
        form class="card" method="post" action="/console/terminals" aria-labelledby="add-heading" {
            (field(&admin))
            label for="name" { (t(lang, "name")) input id="name" name="name" type="text" required maxlength="64"; }
            label for="new-store" { (t(lang, "store"))
                input id="new-store" name="store" type="text" required maxlength="64" list="known-stores" value=(DEFAULT_STORE);
            }
            datalist id="known-stores" { @for s in &stores { option value=(s); } }
            fieldset {
                legend { (lookup(WORDS, lang, "credential")) }
                label class="choice" { input type="radio" name="credential" value="code" checked; (lookup(WORDS, lang, "code")) }
                label class="choice" { input type="radio" name="credential" value="secret"; (lookup(WORDS, lang, "secret")) }
            }
            button id="add-terminal" type="submit" { (t(lang, "add")) }
        }
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "title"), body))
}

/// The add form's fields.
#[derive(Debug, Deserialize)]
struct AddForm {
    name: String,
    store: String,
    credential: Option<String>,
}

/// What was made: shown once.
enum Credential {
    Code { code: String, expires_at: i64 },
    Secret(String),
}

/// `POST /console/terminals`: registers the till in the store, in one transaction with its
/// audit entry, and answers its credential once.
async fn add(State(app): State<AppState>, posted: CsrfForm<AddForm>) -> Result<Html<String>, ConsoleError> {
    let CsrfForm { admin, form } = posted;
    let lang = admin.lang;
    let name = form.name.trim().to_string();
    let store = form.store.trim().to_string();
    check_store(&store)?;
    crate::wire::check_text("name", &name, 64)?;
    let with_code = form.credential.as_deref() != Some("secret");
    let entropy = app.entropy.clone();
    let actor = admin.clone();
    let other_merchant = lookup(WORDS, lang, "other_merchant");
    let (terminal_id, credential) = super::write(&app, move |tx| {
        if tx.console_store_merchant(&store)? != actor.merchant_id {
            return Err(ConsoleError::BadRequest(other_merchant.to_string()));
        }
        let (id, credential) = if with_code {
            let e = crate::enrolment::issue_in(tx, &name, actor.now, &*entropy)?;
            (e.terminal_id, Credential::Code { code: e.enrolment_code, expires_at: e.expires_at })
        } else {
            let n = crate::admin::add_terminal_in(tx, &name, actor.now, &*entropy)?;
            (n.terminal_id, Credential::Secret(n.secret))
        };
        tx.set_terminal_store(&id, &store)?;
        let kind = if with_code { "enrolment code" } else { "secret" };
        audit::record(tx, &actor, "terminal.add", &id, &format!("name {name}; store {store}; {kind}"))?;
        Ok((id, credential))
    })
    .await?;
    let body = html! {
        div id="added" {
            (notice(lookup(WORDS, lang, "once"), true))
            dl {
                dt { (lookup(WORDS, lang, "id")) } dd { code id="new-terminal-id" { (terminal_id) } }
                @match &credential {
                    Credential::Code { code, expires_at } => {
                        dt { (lookup(WORDS, lang, "code")) } dd { span class="secret" id="new-credential" { (code) } }
                        dt { (lookup(WORDS, lang, "expires")) } dd { (when(*expires_at)) }
                    }
                    Credential::Secret(secret) => {
                        dt { (lookup(WORDS, lang, "secret")) } dd { span class="secret" id="new-credential" { (secret) } }
                    }
                }
            }
            p { a id="back" href="/console/terminals" { (lookup(WORDS, lang, "back")) } }
        }
    };
    Ok(layout(lang, &admin, lookup(WORDS, lang, "added"), body))
}

/// The terminal, if it is the admin's merchant's.
async fn own_terminal(app: &AppState, admin: &SignedIn, id: String) -> Result<crate::repo::TerminalRow, ConsoleError> {
    let merchant = admin.merchant_id.clone();
    let rows = super::read(app, move |tx| Ok(tx.console_terminals(&merchant)?)).await?;
    rows.into_iter().find(|r| r.terminal_id == id).ok_or(ConsoleError::NotFound("terminal"))
}

fn confirm_page(lang: Lang, admin: &SignedIn, row: &crate::repo::TerminalRow, disable: bool) -> Html<String> {
    let (question, action, verb) = if disable {
        (lookup(WORDS, lang, "confirm_disable"), "disable", t(lang, "disable"))
    } else {
        (lookup(WORDS, lang, "confirm_enable"), "enable", t(lang, "enable"))
    };
    let body = html! {
        form class="card" method="post" action=(format!("/console/terminals/{}/{action}", path_segment(&row.terminal_id))) {
            (field(admin))
            p id="question" { (question) }
            p { strong { (row.name) } " · " code { (row.terminal_id) } " · " (row.store) }
            div {
                button id="confirm" type="submit" class=(if disable { "danger" } else { "" }) autofocus { (t(lang, "confirm")) " – " (verb) }
                " "
                a id="cancel" class="button secondary" href="/console/terminals" { (t(lang, "cancel")) }
            }
        }
    };
    layout(lang, admin, verb, body)
}

/// `GET /console/terminals/{id}/disable`: the confirmation.
async fn confirm_disable(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let row = own_terminal(&app, &admin, id).await?;
    Ok(confirm_page(admin.lang, &admin, &row, true))
}

/// `GET /console/terminals/{id}/enable`: the confirmation.
async fn confirm_enable(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let row = own_terminal(&app, &admin, id).await?;
    Ok(confirm_page(admin.lang, &admin, &row, false))
}

/// `POST /console/terminals/{id}/disable`.
async fn disable(
    State(app): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<super::auth::NoFields>,
) -> Result<Response, ConsoleError> {
    set_disabled(&app, posted.admin, id, true).await
}

/// `POST /console/terminals/{id}/enable`.
async fn enable(
    State(app): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<super::auth::NoFields>,
) -> Result<Response, ConsoleError> {
    set_disabled(&app, posted.admin, id, false).await
}

async fn set_disabled(app: &AppState, admin: SignedIn, id: String, disabled: bool) -> Result<Response, ConsoleError> {
    super::write(app, move |tx| {
        if tx.console_terminal_merchant(&id)?.as_deref() != Some(admin.merchant_id.as_str()) {
            return Err(ConsoleError::NotFound("terminal"));
        }
        tx.set_terminal_disabled(&id, disabled)?;
        let action = if disabled { "terminal.disable" } else { "terminal.enable" };
        audit::record(tx, &admin, action, &id, "")?;
        Ok(())
    })
    .await?;
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/console/terminals?done={done}")).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_words_are_complete() {
        assert_eq!(super::super::i18n::check_table(super::WORDS), Ok(()));
    }
}

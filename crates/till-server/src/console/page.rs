//! The frame every console page is drawn in: [`layout`] (head, navigation, language switch,
//! sign-out), the language ([`Lang`], kept in a cookie), the sections ([`NAV`]), the
//! stylesheet, and small helpers for page bodies ([`escape`], [`money`], [`when`]).
//!
//! The HTML is written with maud: templates are Rust checked at compile time, and every value
//! spliced into them is HTML-escaped unless a page says otherwise (`PreEscaped`), which is what
//! keeps a customer id or a product name from becoming markup. No script is served: keyboard
//! shortcuts are `accesskey`s (Alt+1..6 in Chromium and Firefox on Linux and Windows), a
//! confirmation is a page of its own, and the Content-Security-Policy forbids scripts.

use super::auth::SignedIn;
use super::i18n::t;
use super::BASE;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// The cookie that keeps the language chosen.
pub const LANG_COOKIE: &str = "till_console_lang";

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/console/static/console.css";

/// The language of the console's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language's code in the cookie and the switch's link: `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The `lang` attribute of a page in this language.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// A language by its code; `None` for any other text.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language the request's cookie names, else English.
    pub fn of_headers(headers: &axum::http::HeaderMap) -> Lang {
        cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)).unwrap_or_default()
    }

    /// The other language, and its name in itself (the switch's label).
    pub fn other(self) -> (Lang, &'static str) {
        match self {
            Lang::En => (Lang::Zh, "中文"),
            Lang::Zh => (Lang::En, "English"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::of_headers(&parts.headers))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A section of the console in the navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    /// Its path, under [`BASE`].
    pub path: &'static str,
    /// Its name's key in [`super::i18n::WORDS`].
    pub key: &'static str,
    /// The key that, with Alt, goes there.
    pub accesskey: char,
}

/// The sections, in the navigation's order. A page that adds a section adds it here and its
/// routes in [`super::router`].
pub const NAV: &[NavEntry] = &[
    NavEntry { path: "/console/sales", key: "nav.sales", accesskey: '1' },
    NavEntry { path: "/console/terminals", key: "nav.terminals", accesskey: '2' },
    NavEntry { path: "/console/customers", key: "nav.customers", accesskey: '3' },
    NavEntry { path: "/console/points", key: "nav.points", accesskey: '4' },
    NavEntry { path: "/console/refunds", key: "nav.refunds", accesskey: '5' },
    NavEntry { path: "/console/catalogue", key: "nav.catalogue", accesskey: '6' },
];

/// A whole page: the frame around `body` for the signed-in `admin`, titled `title` (also the
/// page's `h1`). Every value in it is escaped.
pub fn layout(lang: Lang, admin: &SignedIn, title: &str, body: Markup) -> Html<String> {
    let (other, other_name) = lang.other();
    let page = html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t(lang, "app")) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                a class="skip" href="#main" { (t(lang, "skip")) }
                header class="top" {
                    a class="brand" href=(BASE) { (t(lang, "app")) }
                    nav aria-label=(t(lang, "sections")) {
                        ul {
                            @for entry in NAV {
                                @let current = admin.path == entry.path || admin.path.starts_with(&format!("{}/", entry.path));
                                li {
                                    a href=(entry.path) accesskey=(entry.accesskey)
                                        aria-current=[current.then_some("page")]
                                        title=(format!("{} Alt+{}", t(lang, "shortcut"), entry.accesskey)) {
                                        (t(lang, entry.key))
                                        " " kbd aria-hidden="true" { "Alt+" (entry.accesskey) }
                                    }
                                }
                            }
                        }
                    }
                    div class="who" {
                        span { (t(lang, "signed_in_as")) " " strong id="admin-name" { (admin.username) }
                            " · " (t(lang, "merchant")) " " strong id="admin-merchant" { (admin.merchant_id) } }
                        a id="lang-switch" lang=(other.html_lang()) hreflang=(other.html_lang())
                            href=(language_link(other, &admin.path_and_query)) accesskey="l"
                            aria-label=(format!("{}: {}", t(lang, "language"), other_name)) { (other_name) }
                        form method="post" action="/console/sign-out" class="inline" {
                            (super::csrf::field(admin))
                            button id="sign-out" type="submit" { (t(lang, "sign_out")) }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(page.into_string())
}

/// The link that switches to `lang` and comes back to `back`.
pub fn language_link(lang: Lang, back: &str) -> String {
    let query = serde_urlencoded::to_string([("to", lang.code()), ("back", back)]).unwrap_or_default();
    format!("/console/lang?{query}")
}

/// `text` with `& < > " '` escaped, for HTML built outside maud (maud escapes on its own).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An amount as `CNY 12.50`, with the currency's minor digits (2 for a code the till does not
/// know).
pub fn money(minor: i64, currency: &str) -> String {
    match till_core::money::Currency::parse(currency) {
        Ok(c) => till_core::money::Money::new(minor, c).to_string(),
        Err(_) => {
            let sign = if minor < 0 { "-" } else { "" };
            let abs = minor.unsigned_abs();
            format!("{currency} {sign}{}.{:02}", abs / 100, abs % 100)
        }
    }
}

/// A unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn when(unix: i64) -> String {
    till_core::calendar::utc_minute(unix.saturating_mul(1000))
}

/// A message box (`role="status"`, or `role="alert"` when `alert`).
pub fn notice(text: &str, alert: bool) -> Markup {
    html! { p class=(if alert { "notice alert" } else { "notice" }) role=(if alert { "alert" } else { "status" }) { (text) } }
}

/// Rows per page of a list.
pub const PAGE_SIZE: i64 = 50;

/// `text` made safe as one segment of a URL path (everything but letters, digits and `-._~`
/// percent-encoded).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Previous / next links of a list at `page` (from 1), keeping the other `params`.
pub fn pager(lang: Lang, path: &str, params: &[(&str, String)], page: i64, has_next: bool) -> Markup {
    let link = |to: i64| {
        let mut query: Vec<(&str, String)> = params.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        query.push(("page", to.to_string()));
        format!("{path}?{}", serde_urlencoded::to_string(&query).unwrap_or_default())
    };
    html! {
        nav class="pager" aria-label=(t(lang, "page")) {
            @if page > 1 { a id="previous-page" rel="prev" href=(link(page - 1)) { "← " (t(lang, "previous")) } }
            span { (t(lang, "page")) " " (page) }
            @if has_next { a id="next-page" rel="next" href=(link(page + 1)) { (t(lang, "next")) " →" } }
        }
    }
}

/// An optional text field of a query or form: `None` when absent or blank.
pub fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// `GET /console/static/console.css`.
pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], STYLESHEET)
        .into_response()
}

const STYLESHEET: &str = r#"
:root { --ink: #1d2430; --muted: #5b6575; --line: #d5dae2; --accent: #0b5cad; --bg: #f6f7f9; --bad: #a4161a; --ok: #1b6e3a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "PingFang SC", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f5a300; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5em 1em; }
.skip:focus { left: 0; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1em; padding: .5em 1.5em; background: #fff; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; font-size: 1.1em; text-decoration: none; color: var(--ink); }
nav ul { display: flex; flex-wrap: wrap; gap: .25em; list-style: none; margin: 0; padding: 0; }
nav a { display: inline-block; padding: .35em .7em; border-radius: 4px; text-decoration: none; }
nav a[aria-current=page] { background: var(--accent); color: #fff; }
nav kbd { font-size: .7em; opacity: .7; }
.who { margin-left: auto; display: flex; align-items: center; gap: 1em; color: var(--muted); }
main { padding: 1em 1.5em 3em; max-width: 1200px; }
main.error { margin: 3em auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; max-width: 36em; }
h1 { font-size: 1.4em; margin: .4em 0 .8em; }
h2 { font-size: 1.15em; }
form.inline { display: inline; margin: 0; }
fieldset { border: 1px solid var(--line); border-radius: 4px; display: flex; flex-direction: column; gap: .4em; }
label.choice { flex-direction: row; align-items: center; gap: .5em; font-size: 1em; color: var(--ink); }
form.filters, form.card { display: flex; flex-wrap: wrap; gap: .75em 1em; align-items: flex-end; background: #fff; padding: 1em; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 1em; }
form.card { flex-direction: column; align-items: stretch; max-width: 26em; }
label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); gap: .2em; }
input, select, button { font: inherit; padding: .35em .6em; border: 1px solid #aab2bf; border-radius: 4px; background: #fff; color: var(--ink); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary, a.button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
a.button { display: inline-block; padding: .35em .8em; border: 1px solid var(--accent); border-radius: 4px; text-decoration: none; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .45em .7em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 700; }
.notice { padding: .6em 1em; border-radius: 4px; background: #e7f3ea; color: var(--ok); border: 1px solid #b9dcc3; }
.notice.alert { background: #fbe9ea; color: var(--bad); border-color: #efc1c4; }
.secret { font-family: ui-monospace, monospace; font-size: 1.1em; background: #fff8e1; padding: .2em .4em; border: 1px dashed #d4a800; word-break: break-all; }
.pager { display: flex; gap: 1em; align-items: center; margin-top: 1em; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-size: .85em; background: #e7f3ea; color: var(--ok); }
.badge.off { background: #fbe9ea; color: var(--bad); }
textarea { font: 13px/1.4 ui-monospace, monospace; padding: .4em .6em; border: 1px solid #aab2bf; border-radius: 4px; color: var(--ink); width: 100%; }
form.card.wide { max-width: 60em; }
[aria-invalid=true] { border-color: var(--bad); background: #fff7f7; }
.field-error { color: var(--bad); font-size: .95em; }
table.narrow { width: auto; min-width: 16em; }
.notice ul { margin: .3em 0 0; padding-left: 1.4em; }
"#;

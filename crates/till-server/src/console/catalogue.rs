//! The catalogue page: the merchant's central catalogue (the one every till of the merchant
//! follows, docs/catalogue-from-hq.md): the products with search and paging; add or edit one
//! (price in major units, tax rate in percent; what is wrong is shown in the form and nothing
//! is written); delete one after a confirmation page; import a CSV file
//! ([`super::catalogue_import`]). Every change goes through [`crate::catalogue`] (the command
//! line's functions), in one transaction with its [`audit::record`] entry, so a till's next
//! catalogue round brings it.

use super::audit;
use super::auth::SignedIn;
use super::csrf::{field, CsrfForm};
use super::error::ConsoleError;
use super::i18n::{lookup, t, Table};
use super::page::{given, layout, money, notice, pager, path_segment, when, Lang, PAGE_SIZE};
use super::{read, write};
use crate::catalogue::{self, product_of, Written};
use crate::error::ApiError;
use crate::repo::CatalogueProductRecord;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use till_api::catalogue::CatalogueProduct;
use till_core::catalogue_csv::percent_bp;
use till_core::{Currency, Money};

/// The page's own words (the import's too).
pub(super) const WORDS: Table = &[
    ("title", "Catalogue", "商品目录"),
    ("intro", "The products every till of the merchant sells. A change reaches each till at its next catalogue round (within about 10 seconds while it is online).", "本商户所有收银机销售的商品。更改会在每台收银机下一次同步商品目录时生效（联网时约 10 秒内）。"),
    ("sku", "SKU", "商品编码"),
    ("name_zh", "Chinese name", "中文名称"),
    ("price", "Price", "价格"),
    ("tax_rate", "Tax rate (%)", "税率（%）"),
    ("barcode", "Barcode", "条码"),
    ("last_change", "Last change", "最近更改"),
    ("tax_inclusive", "Price includes tax", "价格含税"),
    ("active", "On sale", "在售"),
    ("inactive", "Not on sale", "停售"),
    ("serialised", "Serialised (IMEI / serial number per unit)", "按序列号管理（每件 IMEI / 序列号）"),
    ("warranty_months", "Warranty (months)", "保修期（月）"),
    ("seller", "Sold for (seller)", "代售商家"),
    ("software", "Software", "软件"),
    ("edit", "Edit", "编辑"),
    ("delete", "Delete", "删除"),
    ("add_title", "Add a product", "添加商品"),
    ("edit_title", "Edit product {sku}", "编辑商品 {sku}"),
    ("delete_title", "Delete product {sku}", "删除商品 {sku}"),
    ("delete_question", "Delete this product? Every till takes it off sale at its next catalogue round; sales already made keep it.", "确定删除此商品？每台收银机在下次同步时将其停售；已完成的销售不受影响。"),
    ("search_label", "SKU or name contains", "商品编码或名称包含"),
    ("products", "{n} products", "共 {n} 件商品"),
    ("import_link", "Import a CSV file", "导入 CSV 文件"),
    ("optional", "optional", "选填"),
    ("price_hint", "In major units, e.g. 12.50", "以元为单位，例如 12.50"),
    ("bad_price", "Enter the price like 12.50 (0 or more, at most the currency's decimals).", "请按 12.50 的格式输入价格（不小于 0，小数位数不超过币种允许的位数）。"),
    ("bad_tax", "Enter the tax rate in percent like 13 or 5.5 (0 to 100).", "请按 13 或 5.5 的格式输入税率百分比（0 至 100）。"),
    ("bad_warranty", "Enter the warranty in whole months, 0 to 240.", "请输入保修月数（0 至 240 的整数）。"),
    ("bad_currency", "Enter a currency code the tills know, like CNY.", "请输入收银机支持的币种代码，例如 CNY。"),
    ("not_saved", "Nothing was saved. Fix the fields below and save again.", "未保存任何更改。请修改以下字段后重新保存。"),
    ("done_created", "The product is added.", "商品已添加。"),
    ("done_updated", "The product is saved.", "商品已保存。"),
    ("done_unchanged", "Nothing changed: the product was already so.", "没有更改：商品原本就是这样。"),
    ("done_deleted", "The product is deleted.", "商品已删除。"),
    ("back", "Back to the catalogue", "返回商品目录"),
    // The import (catalogue_import.rs).
    ("import_title", "Import a catalogue file", "导入商品目录文件"),
    ("import_intro", "The till's catalogue CSV format: a header row naming the columns sku, barcode, name, name_zh, price, tax_rate, tax_inclusive, serialised, active, seller, warranty_months, software (sku, name, price and tax_rate required); prices in major units, tax rates in percent. One file is one change: if any row has an error, nothing is written.", "收银机的商品目录 CSV 格式：首行为列名 sku、barcode、name、name_zh、price、tax_rate、tax_inclusive、serialised、active、seller、warranty_months、software（sku、name、price、tax_rate 必填）；价格以元为单位，税率为百分比。整个文件作为一次更改：任何一行有错误，都不会写入任何内容。"),
    ("csv", "The file's contents (open the CSV file in a text editor, copy all, paste here)", "文件内容（用文本编辑器打开 CSV 文件，全选复制后粘贴到此处）"),
    ("import_limit", "At most {n} MiB and 100,000 rows.", "最多 {n} MiB、100,000 行。"),
    ("import_currency", "Currency of the prices", "价格币种"),
    ("import", "Import", "导入"),
    ("import_refused", "The file was refused; nothing was written. Fix these rows in the file and import it again:", "文件被拒绝，未写入任何内容。请在文件中修改以下各行后重新导入："),
    ("import_done", "The file is imported.", "文件已导入。"),
    ("created", "Added", "新增"),
    ("updated", "Changed", "更改"),
    ("unchanged", "Unchanged", "未变"),
];

/// The catalogue page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalogue", get(list))
        .route("/catalogue/new", get(new_page).post(create))
        .route("/catalogue/products/{sku}", get(edit_page).post(update))
        .route("/catalogue/products/{sku}/delete", get(delete_page).post(delete))
        .merge(super::catalogue_import::routes())
}

pub(super) fn word(lang: Lang, key: &str) -> &str {
    lookup(WORDS, lang, key)
}

/// A tax rate in basis points as a percentage: `13`, `5.5`, `0.25`.
pub(super) fn percent(bp: i64) -> String {
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn product_path(sku: &str) -> String {
    format!("/console/catalogue/products/{}", path_segment(sku))
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
    done: Option<String>,
}

/// `GET /console/catalogue`.
async fn list(
    State(app): State<AppState>,
    admin: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let merchant = admin.merchant_id.clone();
    let search = given(&q.q);
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let wanted = search.clone();
    let (mut rows, count) = read(&app, move |tx| {
        let rows = tx.catalogue_products(&merchant, wanted.as_deref(), PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)?;
        Ok((rows, tx.catalogue_product_count(&merchant)?))
    })
    .await?;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let done = q.done.as_deref().and_then(|d| match d {
        "created" | "updated" | "unchanged" | "deleted" => Some(word(lang, &format!("done_{d}")).to_string()),
        _ => None,
    });
    let body = html! {
        @if let Some(text) = done { div id="done" { (notice(&text, false)) } }
        p class="muted" { (word(lang, "intro")) }
        form class="filters" method="get" action="/console/catalogue" role="search" {
            label for="q" { (word(lang, "search_label"))
                input id="q" name="q" type="search" maxlength="100" value=(search.as_deref().unwrap_or(""));
            }
            button id="apply-search" type="submit" { (t(lang, "search")) }
            a id="add-product" class="button" href="/console/catalogue/new" { (word(lang, "add_title")) }
            a id="import-link" class="button secondary" href="/console/catalogue/import" { (word(lang, "import_link")) }
            span class="muted" id="product-count" { (word(lang, "products").replace("{n}", &count.to_string())) }
        }
        table id="products" {
            thead { tr {
                th { (word(lang, "sku")) } th { (t(lang, "name")) } th class="num" { (word(lang, "price")) }
                th class="num" { (word(lang, "tax_rate")) } th { (word(lang, "barcode")) }
                th { (word(lang, "last_change")) } th { (t(lang, "status")) } th { (t(lang, "actions")) }
            } }
            tbody {
                @for r in &rows { (row(lang, r)) }
                @if rows.is_empty() { tr { td colspan="8" class="muted" id="no-products" { (t(lang, "nothing")) } } }
            }
        }
        (pager(lang, "/console/catalogue", &[("q", search.clone().unwrap_or_default())], page, has_next))
    };
    Ok(layout(lang, &admin, word(lang, "title"), body))
}

fn row(lang: Lang, r: &CatalogueProductRecord) -> Markup {
    html! {
        tr class="product" data-sku=(r.sku) {
            td { code class="sku" { (r.sku) } }
            td class="product-name" { (r.name) @if let Some(zh) = &r.name_zh { br; span class="muted" lang="zh-Hans" { (zh) } } }
            td class="num price" { (money(r.price_minor, &r.currency)) }
            td class="num tax" { (percent(r.tax_rate_bp)) "%" }
            td class="barcode" { (r.barcode.as_deref().unwrap_or("–")) }
            td { (when(r.updated_at)) }
            td { @if r.active { span class="badge" { (word(lang, "active")) } } @else { span class="badge off" { (word(lang, "inactive")) } } }
            td {
                a class="button secondary edit-link" href=(product_path(&r.sku))
                    aria-label=(format!("{} {}", word(lang, "edit"), r.sku)) { (word(lang, "edit")) }
                " "
                a class="button secondary delete-link" href=(format!("{}/delete", product_path(&r.sku)))
                    aria-label=(format!("{} {}", word(lang, "delete"), r.sku)) { (word(lang, "delete")) }
            }
        }
    }
}

/// The product form's fields, all text as the browser sends them (a checkbox is absent when
/// not ticked).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ProductForm {
    sku: Option<String>,
    name: Option<String>,
    name_zh: Option<String>,
    price: Option<String>,
    currency: Option<String>,
    tax_rate: Option<String>,
    barcode: Option<String>,
    tax_inclusive: Option<String>,
    active: Option<String>,
    serialised: Option<String>,
    warranty_months: Option<String>,
    seller: Option<String>,
    software: Option<String>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_string()
}

impl ProductForm {
    /// The form filled with a stored product.
    fn of(p: &CatalogueProduct) -> ProductForm {
        let major = Currency::parse(&p.currency)
            .map(|c| Money::new(p.price_minor, c).major_units())
            .unwrap_or_else(|_| p.price_minor.to_string());
        let on = |b: bool| b.then(|| "on".to_string());
        ProductForm {
            sku: Some(p.sku.clone()),
            name: Some(p.name.clone()),
            name_zh: p.name_zh.clone(),
            price: Some(major),
            currency: Some(p.currency.clone()),
            tax_rate: Some(percent(p.tax_rate_bp)),
            barcode: p.barcode.clone(),
            tax_inclusive: on(p.tax_inclusive),
            active: on(p.active),
            serialised: on(p.serialised),
            warranty_months: Some(p.warranty_months.to_string()),
            seller: p.seller.clone(),
            software: p.software.clone(),
        }
    }

    /// The product the form describes, or the fields that are not in their format (with what
    /// to type). The product's own rules are [`catalogue::check_product`]'s.
    fn product(&self, lang: Lang, sku: &str, currency: &str) -> Result<CatalogueProduct, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let currency = match Currency::parse(currency.trim()) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(("currency", word(lang, "bad_currency").to_string()));
                None
            }
        };
        let price = text(&self.price);
        let price_minor = currency
            .and_then(|c| Money::parse_major(&price, c).ok().filter(|_| !price.starts_with('-')).map(|m| m.minor()));
        if price_minor.is_none() && currency.is_some() {
            errors.push(("price", word(lang, "bad_price").to_string()));
        }
        let tax = percent_bp(text(&self.tax_rate).trim_end_matches('%').trim()).filter(|bp| *bp <= 10_000);
        if tax.is_none() {
            errors.push(("tax_rate", word(lang, "bad_tax").to_string()));
        }
        let warranty = text(&self.warranty_months).parse::<i64>().ok().filter(|m| (0..=240).contains(m));
        if warranty.is_none() {
            errors.push(("warranty_months", word(lang, "bad_warranty").to_string()));
        }
        let opt = |v: &Option<String>| Some(text(v)).filter(|s| !s.is_empty());
        match (currency, price_minor, tax, warranty) {
            (Some(c), Some(price_minor), Some(tax_rate_bp), Some(warranty_months)) if errors.is_empty() => {
                Ok(CatalogueProduct {
                    sku: sku.to_string(),
                    barcode: opt(&self.barcode),
                    name: text(&self.name),
                    name_zh: opt(&self.name_zh),
                    price_minor,
                    currency: c.code().to_string(),
                    tax_rate_bp,
                    tax_inclusive: self.tax_inclusive.is_some(),
                    serialised: self.serialised.is_some(),
                    active: self.active.is_some(),
                    seller: opt(&self.seller),
                    warranty_months,
                    software: opt(&self.software),
                })
            }
            _ => Err(errors),
        }
    }
}

/// The form of a new product (`sku: None`) or of product `sku`, with the errors of the last
/// attempt: each field's beside it (and the field marked invalid), the others above.
fn form_page(
    admin: &SignedIn,
    sku: Option<&str>,
    f: &ProductForm,
    field_errors: &[(&'static str, String)],
    general: Option<&str>,
) -> Html<String> {
    let lang = admin.lang;
    let error_of = |name: &str| field_errors.iter().find(|(n, _)| *n == name).map(|(_, e)| e.clone());
    // The keyboard starts at the first field that needs fixing, else at the first field.
    let first = field_errors.first().map_or(if sku.is_none() { "sku" } else { "name" }, |(n, _)| *n);
    let input = |name: &'static str, label: &str, value: String, attrs: (&str, &str, bool), hint: Option<&str>| {
        let (kind, size, required) = attrs;
        let error = error_of(name);
        let described = match (&error, hint) {
            (Some(_), _) => Some(format!("{name}-error")),
            (None, Some(_)) => Some(format!("{name}-hint")),
            _ => None,
        };
        html! {
            label for=(name) { (label) @if !required { " (" (word(lang, "optional")) ")" }
                input id=(name) name=(name) type=(kind) maxlength=(size) value=(value) required[required] autofocus[name == first]
                    aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described];
                @if let Some(e) = &error { span class="field-error" id=(format!("{name}-error")) { (e) } }
                @else if let Some(h) = hint { span class="muted" id=(format!("{name}-hint")) { (h) } }
            }
        }
    };
    let action = match sku {
        None => "/console/catalogue/new".to_string(),
        Some(s) => product_path(s),
    };
    let title = match sku {
        None => word(lang, "add_title").to_string(),
        Some(s) => word(lang, "edit_title").replace("{sku}", s),
    };
    let body = html! {
        @if !field_errors.is_empty() || general.is_some() {
            div id="form-errors" role="alert" class="notice alert" {
                p { (word(lang, "not_saved")) }
                @if let Some(g) = general { p id="general-error" { (g) } }
            }
        }
        form class="card product-form" method="post" action=(action) {
            (field(admin))
            @if sku.is_none() {
                (input("sku", word(lang, "sku"), text(&f.sku), ("text", "32", true), None))
            }
            (input("name", t(lang, "name"), text(&f.name), ("text", "200", true), None))
            (input("name_zh", word(lang, "name_zh"), text(&f.name_zh), ("text", "200", false), None))
            (input("price", word(lang, "price"), text(&f.price), ("text", "20", true), Some(word(lang, "price_hint"))))
            @if sku.is_none() {
                (input("currency", t(lang, "currency"), text(&f.currency), ("text", "3", true), None))
            } @else {
                p class="muted" { (t(lang, "currency")) " " strong id="currency" { (text(&f.currency)) } }
            }
            (input("tax_rate", word(lang, "tax_rate"), text(&f.tax_rate), ("text", "8", true), None))
            (input("barcode", word(lang, "barcode"), text(&f.barcode), ("text", "14", false), None))
            label class="choice" { input id="tax_inclusive" name="tax_inclusive" type="checkbox" checked[f.tax_inclusive.is_some()]; (word(lang, "tax_inclusive")) }
            label class="choice" { input id="active" name="active" type="checkbox" checked[f.active.is_some()]; (word(lang, "active")) }
            label class="choice" { input id="serialised" name="serialised" type="checkbox" checked[f.serialised.is_some()]; (word(lang, "serialised")) }
            (input("warranty_months", word(lang, "warranty_months"), text(&f.warranty_months), ("number", "3", true), None))
            (input("seller", word(lang, "seller"), text(&f.seller), ("text", "64", false), None))
            (input("software", word(lang, "software"), text(&f.software), ("text", "200", false), None))
            div {
                button id="save" type="submit" { (t(lang, "save")) }
                " "
                a id="cancel" class="button secondary" href="/console/catalogue" { (t(lang, "cancel")) }
            }
        }
    };
    layout(lang, admin, &title, body)
}

/// The form again with what was wrong: 400, nothing written.
fn refused(
    admin: &SignedIn,
    sku: Option<&str>,
    f: &ProductForm,
    field_errors: &[(&'static str, String)],
    general: Option<&str>,
) -> Response {
    (StatusCode::BAD_REQUEST, form_page(admin, sku, f, field_errors, general)).into_response()
}

/// `GET /console/catalogue/new`.
async fn new_page(admin: SignedIn) -> Html<String> {
    let f = ProductForm {
        currency: Some("CNY".into()),
        tax_rate: Some("13".into()),
        tax_inclusive: Some("on".into()),
        active: Some("on".into()),
        warranty_months: Some("12".into()),
        ..ProductForm::default()
    };
    form_page(&admin, None, &f, &[], None)
}

/// The merchant's live product `sku`.
async fn own_product(app: &AppState, admin: &SignedIn, sku: String) -> Result<CatalogueProductRecord, ConsoleError> {
    let merchant = admin.merchant_id.clone();
    read(app, move |tx| Ok(tx.catalogue_product(&merchant, &sku)?))
        .await?
        .filter(|p| !p.deleted)
        .ok_or(ConsoleError::NotFound("product"))
}

/// `GET /console/catalogue/products/{sku}`.
async fn edit_page(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(sku): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let p = own_product(&app, &admin, sku).await?;
    Ok(form_page(&admin, Some(&p.sku), &ProductForm::of(&product_of(&p)), &[], None))
}

/// What changed between two versions of a product, for the audit: `field old -> new; ...`.
fn changes(old: &CatalogueProduct, new: &CatalogueProduct) -> String {
    let (a, b) = (serde_json::to_value(old).unwrap_or_default(), serde_json::to_value(new).unwrap_or_default());
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (k, v) in b {
            let before = a.get(k).cloned().unwrap_or_default();
            if before != *v {
                out.push(format!("{k} {before} -> {v}"));
            }
        }
    }
    out.join("; ")
}

/// `POST /console/catalogue/new`.
async fn create(State(app): State<AppState>, posted: CsrfForm<ProductForm>) -> Result<Response, ConsoleError> {
    let CsrfForm { admin, form } = posted;
    let sku = text(&form.sku).to_ascii_uppercase();
    let product = match form.product(admin.lang, &sku, &text(&form.currency)) {
        Ok(p) => p,
        Err(errors) => return Ok(refused(&admin, None, &form, &errors, None)),
    };
    let actor = admin.clone();
    let done = write(&app, move |tx| {
        if tx.catalogue_product(&actor.merchant_id, &product.sku)?.is_some_and(|p| !p.deleted) {
            return Err(ApiError::InvalidRequest(format!(
                "product {}: the SKU is in the catalogue already",
                product.sku
            ))
            .into());
        }
        let written = catalogue::upsert_product(tx, &actor.merchant_id, &product, actor.now)?;
        let detail = format!("name {}; price {}", product.name, money(product.price_minor, &product.currency));
        audit::record(tx, &actor, "catalogue.create", &product.sku, &detail)?;
        Ok(written)
    })
    .await;
    finish(&admin, None, &form, done)
}

/// `POST /console/catalogue/products/{sku}`.
async fn update(
    State(app): State<AppState>,
    Path(sku): Path<String>,
    posted: CsrfForm<ProductForm>,
) -> Result<Response, ConsoleError> {
    let CsrfForm { admin, form } = posted;
    let old = own_product(&app, &admin, sku).await?;
    let mut shown = form.clone();
    shown.currency = Some(old.currency.clone());
    let product = match form.product(admin.lang, &old.sku, &old.currency) {
        Ok(p) => p,
        Err(errors) => return Ok(refused(&admin, Some(&old.sku), &shown, &errors, None)),
    };
    let actor = admin.clone();
    let done = write(&app, move |tx| {
        // Read again in the change's transaction: the product may have gone since the form.
        let old = tx
            .catalogue_product(&actor.merchant_id, &product.sku)?
            .filter(|p| !p.deleted)
            .ok_or(ConsoleError::NotFound("product"))?;
        let written = catalogue::upsert_product(tx, &actor.merchant_id, &product, actor.now)?;
        if written != Written::Unchanged {
            audit::record(tx, &actor, "catalogue.update", &product.sku, &changes(&product_of(&old), &product))?;
        }
        Ok(written)
    })
    .await;
    finish(&admin, Some(&old.sku), &shown, done)
}

/// The answer to a save: back to the list, or the form with the product's rule it broke.
fn finish(
    admin: &SignedIn,
    sku: Option<&str>,
    f: &ProductForm,
    done: Result<Written, ConsoleError>,
) -> Result<Response, ConsoleError> {
    match done {
        Ok(w) => {
            let done = match w {
                Written::Created => "created",
                Written::Updated => "updated",
                Written::Unchanged => "unchanged",
            };
            Ok(Redirect::to(&format!("/console/catalogue?done={done}")).into_response())
        }
        Err(ConsoleError::Api(ApiError::InvalidRequest(why))) => Ok(refused(admin, sku, f, &[], Some(&why))),
        Err(e) => Err(e),
    }
}

/// `GET /console/catalogue/products/{sku}/delete`: the confirmation.
async fn delete_page(
    State(app): State<AppState>,
    admin: SignedIn,
    Path(sku): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let lang = admin.lang;
    let p = own_product(&app, &admin, sku).await?;
    let title = word(lang, "delete_title").replace("{sku}", &p.sku);
    let body = html! {
        form class="card" method="post" action=(format!("{}/delete", product_path(&p.sku))) {
            (field(&admin))
            p id="question" { (word(lang, "delete_question")) }
            p { code { (p.sku) } " · " strong { (p.name) } " · " (money(p.price_minor, &p.currency)) }
            div {
                button id="confirm" type="submit" class="danger" autofocus { (t(lang, "confirm")) " – " (word(lang, "delete")) }
                " "
                a id="cancel" class="button secondary" href="/console/catalogue" { (t(lang, "cancel")) }
            }
        }
    };
    Ok(layout(lang, &admin, &title, body))
}

/// `POST /console/catalogue/products/{sku}/delete`: a tombstone with a new position, and its
/// audit entry, in one transaction.
async fn delete(
    State(app): State<AppState>,
    Path(sku): Path<String>,
    posted: CsrfForm<super::auth::NoFields>,
) -> Result<Response, ConsoleError> {
    let admin = posted.admin;
    write(&app, move |tx| {
        if !catalogue::delete_product(tx, &admin.merchant_id, &sku, admin.now)? {
            return Err(ConsoleError::NotFound("product"));
        }
        audit::record(tx, &admin, "catalogue.delete", &sku.to_ascii_uppercase(), "")?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/console/catalogue?done=deleted").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_complete() {
        assert_eq!(super::super::i18n::check_table(WORDS), Ok(()));
    }

    #[test]
    fn percentages_and_the_form_read_back() {
        assert_eq!(
            (percent(1300), percent(550), percent(25), percent(0)),
            ("13".into(), "5.5".into(), "0.25".into(), "0".into())
        );
        let f = ProductForm {
            price: Some("12.5".into()),
            tax_rate: Some("13%".into()),
            warranty_months: Some("12".into()),
            name: Some(" Tea ".into()),
            ..Default::default()
        };
        let p = f.product(Lang::En, "TEA", "CNY").unwrap();
        assert_eq!((p.price_minor, p.tax_rate_bp, p.name.as_str(), p.active), (1250, 1300, "Tea", false));
        let bad = ProductForm {
            price: Some("-1".into()),
            tax_rate: Some("101".into()),
            warranty_months: Some("x".into()),
            ..f
        };
        let fields: Vec<&str> = bad.product(Lang::Zh, "TEA", "CNY").unwrap_err().iter().map(|(n, _)| *n).collect();
        assert_eq!(fields, vec!["price", "tax_rate", "warranty_months"]);
    }
}

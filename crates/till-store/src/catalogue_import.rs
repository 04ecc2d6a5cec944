//! Catalogue import from a CSV file: a preview that lists, row by row, what would be created,
//! updated or left alone and every error found, and an apply that writes all of it in one
//! transaction, or nothing when any row has an error.
//!
//! Format: a header row `sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active`
//! (any order, any case; `sku`, `name`, `price` and `tax_rate` are required), UTF-8 with or
//! without a BOM, comma-separated, RFC 4180 quotes, CRLF or LF. `price` in major units
//! ("12.50"), `tax_rate` in percent ("13" or "13.5"), flags as 1/0, true/false or yes/no.
//! An optional `seller` column names the seller a product is sold for (a marketplace or
//! consignment line: its refunds wait for that seller's confirmation); empty is the shop itself.
//! Optional `warranty_months` (0 to 240, 12 when new) and `software` (the package a device ships
//! with; empty: none) are what device services show for a product sold
//! (docs/device-services.md).

use crate::catalogue::{insert_products, NewProduct};
use crate::catalogue_admin::{update_row, validate, ProductInput};
use crate::{audit, Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use till_core::{Currency, Money};
use ts_rs::TS;

/// Rows a file may hold at most.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// What importing a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    /// A new product.
    Create,
    /// An existing product (same SKU) changes.
    Update,
    /// An existing product is already exactly so.
    Unchanged,
}

/// One data row of the file and what importing it would do.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportRowPlan {
    /// The file line the row starts on (1-based; the header is line 1).
    #[ts(type = "number")]
    pub row: i64,
    /// SKU as in the file.
    pub sku: String,
    /// Name as in the file.
    pub name: String,
    /// What it would do; `None` when the row has errors.
    pub action: Option<ImportAction>,
    /// What is wrong with the row, each saying what to fix.
    pub errors: Vec<String>,
}

/// What an import would do.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    /// Every data row, in file order.
    pub rows: Vec<ImportRowPlan>,
    /// Rows that would create a product.
    #[ts(type = "number")]
    pub creates: i64,
    /// Rows that would change one.
    #[ts(type = "number")]
    pub updates: i64,
    /// Rows already matching.
    #[ts(type = "number")]
    pub unchanged: i64,
    /// Rows with errors (the import is refused while any remain).
    #[ts(type = "number")]
    pub error_rows: i64,
}

/// What an applied import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    /// Products created.
    #[ts(type = "number")]
    pub created: i64,
    /// Products changed.
    #[ts(type = "number")]
    pub updated: i64,
    /// Rows that changed nothing.
    #[ts(type = "number")]
    pub unchanged: i64,
}

/// Splits CSV text into records, each with the 1-based line it starts on. RFC 4180: quoted
/// fields may hold commas, doubled quotes and line breaks; CRLF and LF both end a record.
fn records(text: &str) -> std::result::Result<Vec<(i64, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1i64;
    let mut start = 1i64;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
        if out.len() > MAX_IMPORT_ROWS + 1 {
            return Err(format!("the file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files"));
        }
    }
    if quoted {
        return Err(format!("a quoted field starting on line {start} is never closed; check the quotes"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    Ok(out)
}

/// The columns, by header name.
const COLUMNS: [&str; 12] = [
    "sku",
    "barcode",
    "name",
    "name_zh",
    "price",
    "tax_rate",
    "tax_inclusive",
    "serialised",
    "active",
    "seller",
    "warranty_months",
    "software",
];

/// A product's columns kept beside the catalogue's own: who it is sold for, its warranty and
/// its software package.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Extras {
    seller: Option<String>,
    warranty_months: i64,
    software: Option<String>,
}

/// The extras' cells of a row: `None` without the column (an update keeps the stored value);
/// for `seller` and `software`, `Some(None)` is an empty cell (none).
#[derive(Debug, Clone, Default)]
struct ExtraCells {
    seller: Option<Option<String>>,
    warranty_months: Option<i64>,
    software: Option<Option<String>>,
}

impl ExtraCells {
    /// The cells over `old` (a new product's defaults when `None`).
    fn over(&self, old: Option<&Extras>) -> Extras {
        Extras {
            seller: self.seller.clone().unwrap_or_else(|| old.and_then(|o| o.seller.clone())),
            warranty_months: self.warranty_months.unwrap_or_else(|| old.map_or(12, |o| o.warranty_months)),
            software: self.software.clone().unwrap_or_else(|| old.and_then(|o| o.software.clone())),
        }
    }
}
const REQUIRED: [&str; 4] = ["sku", "name", "price", "tax_rate"];

/// A row read from the file: the typed product and its `active` flag, or its errors.
struct ParsedRow {
    row: i64,
    sku: String,
    name: String,
    product: Option<NewProduct>,
    // tax_inclusive, serialised, active as given; `None` for an empty cell or no column, which
    // keeps an existing product's value (and takes the default for a new one).
    tax_inclusive: Option<bool>,
    serialised: Option<bool>,
    active: Option<bool>,
    extras: ExtraCells,
    // Which columns the file has, so an update leaves a missing column's value as it is.
    has: [bool; COLUMNS.len()],
    errors: Vec<String>,
}

fn flag(text: &str, column: &str, errors: &mut Vec<String>) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "1" | "true" | "yes" | "y" => Some(true),
        "0" | "false" | "no" | "n" => Some(false),
        other => {
            errors.push(format!("{column} \"{other}\" is not yes/no; use 1 or 0"));
            None
        }
    }
}

/// A percentage with up to two decimals ("13", "13.5") as basis points.
fn percent_bp(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 6 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(w * 100 + f)
}

fn parse_rows(bytes: &[u8], currency: Currency) -> Result<Vec<ParsedRow>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        StoreError::Invalid(format!(
            "the file is not UTF-8 (bad bytes at position {}); in Excel or WPS save it as \"CSV UTF-8\" and import that",
            e.valid_up_to()
        ))
    })?;
    let mut recs = records(text).map_err(StoreError::Invalid)?.into_iter();
    let (_, header) =
        recs.next().ok_or_else(|| StoreError::Invalid("the file is empty; it needs a header row".into()))?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let mut index = [None; COLUMNS.len()];
    for (i, col) in COLUMNS.iter().enumerate() {
        index[i] = header.iter().position(|h| h == col);
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| COLUMNS.iter().position(|c| c == r).and_then(|i| index[i]).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the header row has no {} column; the first row must name the columns: {}",
            missing.join(", "),
            COLUMNS.join(",")
        )));
    }
    let mut rows = Vec::new();
    for (row, fields) in recs {
        // A blank line (or one of only commas) is not a product.
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_IMPORT_ROWS {
            return Err(StoreError::Invalid(format!(
                "the file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files"
            )));
        }
        let get = |col: usize| index[col].and_then(|i| fields.get(i)).map(|s| s.trim()).unwrap_or("");
        let mut errors = Vec::new();
        let price_text = get(4);
        let price_minor = if price_text.is_empty() {
            errors.push("price is empty; enter a price like 12.50".to_string());
            None
        } else if price_text.starts_with('-') {
            errors.push(format!("price {price_text} is negative; enter 0 or more"));
            None
        } else {
            match Money::parse_major(price_text, currency) {
                Ok(m) => Some(m.minor()),
                Err(_) => {
                    errors.push(format!(
                        "price \"{price_text}\" is not a number like 12.50 (at most {} decimals)",
                        currency.minor_digits()
                    ));
                    None
                }
            }
        };
        let tax_text = get(5);
        let tax_bp = match percent_bp(tax_text) {
            Some(bp) if bp <= 10_000 => Some(bp),
            Some(_) => {
                errors.push(format!("tax rate {tax_text} is out of range; use a percentage from 0 to 100"));
                None
            }
            None => {
                errors.push(format!("tax rate \"{tax_text}\" is not a percentage like 13 or 13.5"));
                None
            }
        };
        let tax_inclusive = flag(get(6), "tax_inclusive", &mut errors);
        let serialised = flag(get(7), "serialised", &mut errors);
        let active = flag(get(8), "active", &mut errors);
        let seller = index[9].map(|_| get(9)).map(|t| (!t.is_empty()).then(|| t.to_string()));
        let warranty_months =
            index[10].map(|_| get(10)).filter(|t| !t.is_empty()).and_then(|t| match t.parse::<i64>() {
                Ok(m) if (0..=240).contains(&m) => Some(m),
                _ => {
                    errors.push(format!("warranty_months \"{t}\" is not a number of months from 0 to 240"));
                    None
                }
            });
        let software = index[11].map(|_| get(11)).map(|t| (!t.is_empty()).then(|| t.to_string()));
        if let Some(Some(package)) = &software {
            if package.chars().count() > 200 || package.chars().any(char::is_control) {
                errors.push(format!("software \"{package}\" is not a package name (up to 200 characters)"));
            }
        }
        if let Some(Some(name)) = &seller {
            if name.chars().count() > 64 || !name.chars().all(|c| c.is_alphanumeric() || "-_. ".contains(c)) {
                errors.push(format!(
                    "seller \"{name}\" is not a seller's name (up to 64 letters, digits, - _ . and spaces)"
                ));
            }
        }
        let input = ProductInput {
            sku: get(0).to_string(),
            barcode: Some(get(1).to_string()),
            name: get(2).to_string(),
            name_zh: Some(get(3).to_string()),
            // Placeholders when unparsable: the price/tax errors are already listed, and
            // `validate` still reports the other fields.
            price_minor: price_minor.unwrap_or(0),
            tax_rate_bp: tax_bp.unwrap_or(0),
            tax_inclusive: tax_inclusive.unwrap_or(true),
            serialised: serialised.unwrap_or(false),
        };
        let product = match validate(&input, currency) {
            Ok(p) if errors.is_empty() => Some(p),
            Ok(_) => None,
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let mut has = [false; COLUMNS.len()];
        for (i, h) in has.iter_mut().enumerate() {
            *h = index[i].is_some();
        }
        rows.push(ParsedRow {
            row,
            sku: input.sku,
            name: input.name,
            product,
            tax_inclusive,
            serialised,
            active,
            extras: ExtraCells { seller, warranty_months, software },
            has,
            errors,
        });
    }
    Ok(rows)
}

/// An existing product as the import compares it.
struct Existing {
    id: i64,
    product: NewProduct,
    active: bool,
    extras: Extras,
}

fn existing_by_sku(c: &Connection, sku: &str) -> Result<Option<Existing>> {
    let Some(v) = crate::catalogue_admin::load_by(c, "sku", sku)? else { return Ok(None) };
    let id = v.id;
    let input = ProductInput {
        sku: v.sku,
        barcode: v.barcode,
        name: v.name,
        name_zh: v.name_zh,
        price_minor: v.price.minor(),
        tax_rate_bp: v.tax_rate_bp,
        tax_inclusive: v.tax_inclusive,
        serialised: v.serialised,
    };
    let product = validate(&input, v.price.currency())
        .map_err(|e| StoreError::Corrupt(format!("product {id}: {}", e.join("; "))))?;
    let extras = c
        .prepare_cached("SELECT seller, warranty_months, software FROM products WHERE id = ?1")?
        .query_row([id], |r| Ok(Extras { seller: r.get(0)?, warranty_months: r.get(1)?, software: r.get(2)? }))?;
    Ok(Some(Existing { id, product, active: v.active, extras }))
}

fn same(a: &NewProduct, b: &NewProduct) -> bool {
    a.sku == b.sku
        && a.barcode == b.barcode
        && a.name == b.name
        && a.name_zh == b.name_zh
        && a.price == b.price
        && a.tax_rate == b.tax_rate
        && a.tax_inclusive == b.tax_inclusive
        && a.serialised == b.serialised
}

/// A row's planned write.
enum Write {
    Create(NewProduct, bool, Extras),
    Update(i64, NewProduct, bool, Extras),
}

/// Checks every row against the file and the database; the plan (with each row's writes) is
/// computed on `c`, which for an apply is the write transaction itself, so nothing can change
/// between the check and the write.
fn plan(c: &Connection, bytes: &[u8], currency: Currency) -> Result<(ImportPreview, Vec<Write>)> {
    let rows = parse_rows(bytes, currency)?;
    let mut seen_sku: HashMap<String, i64> = HashMap::new();
    let mut seen_barcode: HashMap<String, i64> = HashMap::new();
    let mut barcode_owner = c.prepare_cached("SELECT sku, name FROM products WHERE barcode = ?1")?;
    let mut preview =
        ImportPreview { rows: Vec::with_capacity(rows.len()), creates: 0, updates: 0, unchanged: 0, error_rows: 0 };
    let mut writes = Vec::new();
    for mut r in rows {
        let mut action = None;
        if let Some(p) = r.product.take() {
            if let Some(first) = seen_sku.insert(p.sku.as_str().to_string(), r.row) {
                r.errors.push(format!("SKU {} is also on row {first}; keep one row per SKU", p.sku));
                seen_sku.insert(p.sku.as_str().to_string(), first);
            }
            if let Some(b) = &p.barcode {
                if let Some(first) = seen_barcode.insert(b.as_str().to_string(), r.row) {
                    r.errors.push(format!("barcode {b} is also on row {first}; each barcode belongs to one product"));
                    seen_barcode.insert(b.as_str().to_string(), first);
                }
                let owner: Option<(String, String)> =
                    barcode_owner.query_row([b.as_str()], |x| Ok((x.get(0)?, x.get(1)?))).optional()?;
                if let Some((sku, name)) = owner.filter(|(sku, _)| sku != p.sku.as_str()) {
                    r.errors.push(format!("barcode {b} is already used by {sku} \"{name}\"; remove it there first"));
                }
            }
            if r.errors.is_empty() {
                match existing_by_sku(c, p.sku.as_str())? {
                    None => {
                        action = Some(ImportAction::Create);
                        writes.push(Write::Create(p, r.active.unwrap_or(true), r.extras.over(None)));
                    }
                    Some(old) => {
                        // A column the file does not have, or an empty flag cell, keeps the stored
                        // value; an empty barcode or Chinese name cell clears it.
                        let merged = NewProduct {
                            barcode: if r.has[1] { p.barcode.clone() } else { old.product.barcode.clone() },
                            name_zh: if r.has[3] { p.name_zh.clone() } else { old.product.name_zh.clone() },
                            tax_inclusive: r.tax_inclusive.unwrap_or(old.product.tax_inclusive),
                            serialised: r.serialised.unwrap_or(old.product.serialised),
                            ..p
                        };
                        let active = r.active.unwrap_or(old.active);
                        let extras = r.extras.over(Some(&old.extras));
                        if same(&merged, &old.product) && active == old.active && extras == old.extras {
                            action = Some(ImportAction::Unchanged);
                        } else {
                            action = Some(ImportAction::Update);
                            writes.push(Write::Update(old.id, merged, active, extras));
                        }
                    }
                }
            }
        }
        match action {
            Some(ImportAction::Create) => preview.creates += 1,
            Some(ImportAction::Update) => preview.updates += 1,
            Some(ImportAction::Unchanged) => preview.unchanged += 1,
            None => preview.error_rows += 1,
        }
        preview.rows.push(ImportRowPlan { row: r.row, sku: r.sku, name: r.name, action, errors: r.errors });
    }
    Ok((preview, writes))
}

impl Store {
    /// What importing `csv_bytes` would do, row by row. Writes nothing.
    pub fn catalogue_import_preview(&self, csv_bytes: &[u8], currency: Currency) -> Result<ImportPreview> {
        self.read(|c| Ok(plan(c, csv_bytes, currency)?.0))
    }

    /// Imports `csv_bytes` in one transaction with one `catalogue.imported` audit entry, or
    /// refuses with [`StoreError::Invalid`] (writing nothing) when any row has an error.
    pub fn catalogue_import_apply(
        &self,
        csv_bytes: &[u8],
        currency: Currency,
        actor_id: i64,
        now_ms: i64,
    ) -> Result<ImportOutcome> {
        self.write(|tx| {
            let (preview, writes) = plan(tx, csv_bytes, currency)?;
            if preview.error_rows > 0 {
                let first = preview
                    .rows
                    .iter()
                    .find(|r| !r.errors.is_empty())
                    .map(|r| format!(" (row {}: {})", r.row, r.errors.join("; ")))
                    .unwrap_or_default();
                return Err(StoreError::Invalid(format!(
                    "{} rows have errors{first}; fix them in the file and import it again",
                    preview.error_rows
                )));
            }
            let mut set_state = tx.prepare_cached(
                "UPDATE products SET active = ?2, seller = ?3, warranty_months = ?4, software = ?5 WHERE id = ?1",
            )?;
            for w in &writes {
                match w {
                    Write::Create(p, active, x) => {
                        for id in insert_products(tx, std::slice::from_ref(p))? {
                            set_state.execute(params![id.0, active, x.seller, x.warranty_months, x.software])?;
                        }
                    }
                    Write::Update(id, p, active, x) => {
                        update_row(tx, *id, p)?;
                        set_state.execute(params![id, active, x.seller, x.warranty_months, x.software])?;
                    }
                }
            }
            let outcome =
                ImportOutcome { created: preview.creates, updated: preview.updates, unchanged: preview.unchanged };
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                "catalogue.imported",
                &json!({ "rows": preview.rows.len(), "created": outcome.created, "updated": outcome.updated,
                         "unchanged": outcome.unchanged }),
            )?;
            Ok(outcome)
        })
    }
}

//! Catalogue import from a CSV file: a preview that lists, row by row, what would be created,
//! updated or left alone and every error found, and an apply that writes all of it in one
//! transaction, or nothing when any row has an error.
//!
//! The file is read by till-core's [`till_core::catalogue_csv`] (the server's import reads the
//! same dialect). Format: a header row `sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active`
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
use till_core::catalogue_csv::{self, col, COLUMNS};
use till_core::Currency;

pub use till_core::catalogue_csv::MAX_IMPORT_ROWS;
use ts_rs::TS;

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

fn parse_rows(bytes: &[u8], currency: Currency) -> Result<Vec<ParsedRow>> {
    let rows = catalogue_csv::read_rows(bytes, currency).map_err(StoreError::Invalid)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut errors = r.errors.clone();
            let input = ProductInput {
                sku: r.text(col::SKU).to_string(),
                barcode: Some(r.text(col::BARCODE).to_string()),
                name: r.text(col::NAME).to_string(),
                name_zh: Some(r.text(col::NAME_ZH).to_string()),
                // Placeholders when unparsable: the price/tax errors are already listed, and
                // `validate` still reports the other fields.
                price_minor: r.price_minor.unwrap_or(0),
                tax_rate_bp: r.tax_rate_bp.unwrap_or(0),
                tax_inclusive: r.tax_inclusive.unwrap_or(true),
                serialised: r.serialised.unwrap_or(false),
            };
            let product = match validate(&input, currency) {
                Ok(p) if errors.is_empty() => Some(p),
                Ok(_) => None,
                Err(e) => {
                    errors.extend(e);
                    None
                }
            };
            let has: [bool; COLUMNS.len()] = std::array::from_fn(|c| r.has(c));
            ParsedRow {
                row: r.row,
                sku: input.sku,
                name: input.name,
                product,
                tax_inclusive: r.tax_inclusive,
                serialised: r.serialised,
                active: r.active,
                extras: ExtraCells {
                    seller: r.seller.clone(),
                    warranty_months: r.warranty_months,
                    software: r.software.clone(),
                },
                has,
                errors,
            }
        })
        .collect())
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

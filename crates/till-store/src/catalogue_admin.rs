//! The manager's catalogue: list, create, edit, deactivate. Every change is validated with a
//! message that says what to fix, keeps the search index in step and is audited in the same
//! transaction. Orders already recorded are unaffected: their lines hold copies of the name,
//! price and tax rate at the time of sale.

use crate::catalogue::{index_text, NewProduct};
use crate::{audit, Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use till_core::{Barcode, Currency, Money, Sku, TaxRate};
use ts_rs::TS;

/// Products a page lists at most.
pub const MAX_ADMIN_PAGE: u32 = 500;

/// A product as the back office shows it (inactive ones too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductAdminView {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// SKU.
    pub sku: String,
    /// Barcode, if any.
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Unit price.
    pub price: Money,
    /// Tax rate in basis points (1300 = 13%).
    #[ts(type = "number")]
    pub tax_rate_bp: i64,
    /// Whether the price includes tax.
    pub tax_inclusive: bool,
    /// Whether units carry a serial number.
    pub serialised: bool,
    /// Whether it can be sold.
    pub active: bool,
    /// Whether HQ sent it (docs/catalogue-from-hq.md): a change made here lasts until HQ's next
    /// change of the product.
    pub managed_by_hq: bool,
}

/// A product as the manager typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    /// SKU.
    pub sku: String,
    /// Barcode (empty or absent for none).
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Unit price in minor units.
    #[ts(type = "number")]
    pub price_minor: i64,
    /// Tax rate in basis points.
    #[ts(type = "number")]
    pub tax_rate_bp: i64,
    /// Whether the price includes tax.
    pub tax_inclusive: bool,
    /// Whether units carry a serial number.
    pub serialised: bool,
}

/// Checks `input`, returning the product to store or every problem found, each saying what
/// to fix. Shared with the CSV import so both refuse the same things in the same words.
pub(crate) fn validate(input: &ProductInput, currency: Currency) -> std::result::Result<NewProduct, Vec<String>> {
    let mut errors = Vec::new();
    let sku_text = input.sku.trim();
    let sku = if sku_text.is_empty() {
        errors.push("SKU is empty; give each product a SKU".to_string());
        None
    } else if sku_text.chars().count() > 64 {
        errors.push("SKU is longer than 64 characters; shorten it".to_string());
        None
    } else {
        match Sku::parse(sku_text) {
            Ok(s) => Some(s),
            Err(_) => {
                errors.push(format!("SKU \"{sku_text}\" is not allowed; use 1 to 32 letters, digits, '-', '_' or '.'"));
                None
            }
        }
    };
    let name = input.name.trim();
    if name.is_empty() {
        errors.push("name is empty; give the product a name".to_string());
    }
    let barcode = match input.barcode.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => match Barcode::parse(b) {
            Ok(code) => Some(code),
            Err(till_core::CoreError::BarcodeCheckDigit { expected, .. }) => {
                errors.push(format!(
                    "barcode {b} has a wrong check digit (the last digit should be {expected}); check the number"
                ));
                None
            }
            Err(_) => {
                errors.push(format!(
                    "barcode \"{b}\" is not an EAN-13, EAN-8 or UPC-A number; check it or leave it empty"
                ));
                None
            }
        },
    };
    if input.price_minor < 0 {
        errors.push("price is negative; enter 0 or more".to_string());
    }
    let tax = TaxRate::from_basis_points(input.tax_rate_bp).ok();
    if tax.is_none() {
        errors
            .push(format!("tax rate {} basis points is out of range; use 0 to 10000 (0% to 100%)", input.tax_rate_bp));
    }
    match (sku, tax, errors.is_empty()) {
        (Some(sku), Some(tax_rate), true) => Ok(NewProduct {
            sku,
            barcode,
            name: name.to_string(),
            name_zh: input.name_zh.as_deref().map(str::trim).filter(|z| !z.is_empty()).map(str::to_string),
            price: Money::new(input.price_minor, currency),
            tax_rate,
            tax_inclusive: input.tax_inclusive,
            serialised: input.serialised,
        }),
        _ => Err(errors),
    }
}

const VIEW_COLUMNS: &str = "id, sku, barcode, name, name_zh, price_minor, currency, tax_rate_bp, tax_inclusive, \
     serialised, active, hq_seq IS NOT NULL";

fn view_from_row(r: &Row<'_>) -> rusqlite::Result<(ProductAdminView, String)> {
    let currency: String = r.get(6)?;
    Ok((
        ProductAdminView {
            id: r.get(0)?,
            sku: r.get(1)?,
            barcode: r.get(2)?,
            name: r.get(3)?,
            name_zh: r.get(4)?,
            // Filled in by `finish` once the currency is parsed.
            price: Money::new(r.get(5)?, Currency::CNY),
            tax_rate_bp: r.get(7)?,
            tax_inclusive: r.get(8)?,
            serialised: r.get(9)?,
            active: r.get(10)?,
            managed_by_hq: r.get(11)?,
        },
        currency,
    ))
}

fn finish((mut v, currency): (ProductAdminView, String)) -> Result<ProductAdminView> {
    let cur = Currency::parse(&currency).map_err(|e| StoreError::Corrupt(format!("product {}: {e}", v.id)))?;
    v.price = Money::new(v.price.minor(), cur);
    Ok(v)
}

/// One product by id, active or not.
pub(crate) fn load(c: &Connection, id: i64) -> Result<ProductAdminView> {
    load_by(c, "id", id)?.ok_or(StoreError::NotFound("product"))
}

/// The product whose unique column `col` (`id` or `sku`) is `value`, active or not.
pub(crate) fn load_by(c: &Connection, col: &str, value: impl rusqlite::ToSql) -> Result<Option<ProductAdminView>> {
    // Cached: the import looks up every row of a file this way.
    let row = c
        .prepare_cached(&format!("SELECT {VIEW_COLUMNS} FROM products WHERE {col} = ?1"))?
        .query_row([value], view_from_row)
        .optional()?;
    row.map(finish).transpose()
}

/// Refuses a SKU or barcode already used by another product than `except`, naming it.
pub(crate) fn conflict(c: &Connection, p: &NewProduct, except: Option<i64>) -> Result<()> {
    let other = |col: &str, value: &str| -> Result<Option<(String, String)>> {
        Ok(c.query_row(
            &format!("SELECT sku, name FROM products WHERE {col} = ?1 AND id IS NOT ?2"),
            params![value, except],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
    };
    if let Some((sku, name)) = other("sku", p.sku.as_str())? {
        return Err(StoreError::Conflict(format!("SKU {sku} is already used by \"{name}\"; choose another SKU")));
    }
    if let Some(b) = &p.barcode {
        if let Some((sku, name)) = other("barcode", b.as_str())? {
            return Err(StoreError::Conflict(format!(
                "barcode {b} is already used by {sku} \"{name}\"; remove it there first or check the number"
            )));
        }
    }
    Ok(())
}

/// Rewrites a product's row and its search document (contentless FTS: delete, then insert).
pub(crate) fn update_row(tx: &Transaction<'_>, id: i64, p: &NewProduct) -> Result<()> {
    tx.prepare_cached(
        "UPDATE products SET sku = ?2, barcode = ?3, name = ?4, name_zh = ?5, price_minor = ?6, currency = ?7,
                tax_rate_bp = ?8, tax_inclusive = ?9, serialised = ?10 WHERE id = ?1",
    )?
    .execute(params![
        id,
        p.sku.as_str(),
        p.barcode.as_ref().map(|b| b.as_str()),
        p.name,
        p.name_zh,
        p.price.minor(),
        p.price.currency().code(),
        p.tax_rate.basis_points(),
        p.tax_inclusive,
        p.serialised
    ])?;
    tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?.execute([id])?;
    tx.prepare_cached("INSERT INTO product_search (rowid, terms) VALUES (?1, ?2)")?
        .execute(params![id, index_text(p)])?;
    Ok(())
}

fn invalid(errors: Vec<String>) -> StoreError {
    StoreError::Invalid(errors.join("; "))
}

fn view_json(v: &ProductAdminView) -> serde_json::Value {
    json!({ "sku": v.sku, "barcode": v.barcode, "name": v.name, "price": v.price.minor(),
            "currency": v.price.currency().code(), "tax_rate_bp": v.tax_rate_bp,
            "tax_inclusive": v.tax_inclusive, "serialised": v.serialised, "active": v.active })
}

/// `text` with LIKE's wildcards escaped (by `\`), so a typed `%` or `_` is literal.
fn like_prefix(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

impl Store {
    /// Products whose SKU, barcode, name or Chinese name starts with `query` (all when it is
    /// blank), by SKU, `limit` (at most [`MAX_ADMIN_PAGE`]) from `offset`.
    pub fn products_admin(
        &self,
        query: &str,
        include_inactive: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<ProductAdminView>> {
        let q = query.trim();
        let pattern = like_prefix(q);
        let limit = limit.clamp(1, MAX_ADMIN_PAGE);
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM products
                 WHERE (?1 = '' OR sku LIKE ?2 ESCAPE '\\' OR barcode LIKE ?2 ESCAPE '\\'
                        OR name LIKE ?2 ESCAPE '\\' OR name_zh LIKE ?2 ESCAPE '\\')
                   AND (?3 OR active = 1)
                 ORDER BY sku LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = stmt.query_map(params![q, pattern, include_inactive, limit, offset], view_from_row)?;
            rows.map(|r| finish(r?)).collect()
        })
    }

    /// Adds a product (audited as `product.created`).
    pub fn product_create(
        &self,
        input: &ProductInput,
        currency: Currency,
        actor_id: i64,
        now_ms: i64,
    ) -> Result<ProductAdminView> {
        let p = validate(input, currency).map_err(invalid)?;
        self.write(|tx| {
            conflict(tx, &p, None)?;
            let ids = crate::catalogue::insert_products(tx, std::slice::from_ref(&p))?;
            let id = ids.first().map(|i| i.0).ok_or(StoreError::NotFound("product"))?;
            let v = load(tx, id)?;
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                "product.created",
                &json!({ "product_id": id, "after": view_json(&v) }),
            )?;
            Ok(v)
        })
    }

    /// Changes a product (audited as `product.updated`, before and after). Orders already
    /// recorded keep the name and price they were sold at.
    pub fn product_update(
        &self,
        id: i64,
        input: &ProductInput,
        currency: Currency,
        actor_id: i64,
        now_ms: i64,
    ) -> Result<ProductAdminView> {
        let p = validate(input, currency).map_err(invalid)?;
        self.write(|tx| {
            let before = load(tx, id)?;
            conflict(tx, &p, Some(id))?;
            update_row(tx, id, &p)?;
            let after = load(tx, id)?;
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                "product.updated",
                &json!({ "product_id": id, "before": view_json(&before), "after": view_json(&after) }),
            )?;
            Ok(after)
        })
    }

    /// Deactivates (hides from sale) or reactivates a product (audited as
    /// `product.deactivated` / `product.activated`). The search document stays: search
    /// filters on `active`, and reactivating needs no re-index.
    pub fn product_set_active(&self, id: i64, active: bool, actor_id: i64, now_ms: i64) -> Result<ProductAdminView> {
        self.write(|tx| {
            let before = load(tx, id)?;
            tx.execute("UPDATE products SET active = ?2 WHERE id = ?1", params![id, active])?;
            let action = if active { "product.activated" } else { "product.deactivated" };
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                action,
                &json!({ "product_id": id, "sku": before.sku, "was_active": before.active }),
            )?;
            load(tx, id)
        })
    }
}

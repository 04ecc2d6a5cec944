//! The catalogue from HQ (docs/catalogue-from-hq.md): each merchant's products kept centrally,
//! every change given the merchant's next position so a till follows them all with one cursor
//! (`GET /v1/catalogue/changes`, routes/catalogue.rs), deletions kept as tombstones.
//!
//! These functions take an open transaction and a merchant, so the command line
//! (`till-server catalogue import`, `set-price`), the console's catalogue page and the tests
//! change the catalogue the same way. Writing a product exactly as it is stored is no change:
//! it gets no new position, so importing the same file twice tells the tills nothing new.

pub mod import;

use crate::error::ApiError;
use crate::repo::{CatalogueProductRecord, Repository, Tx};
use till_api::catalogue::{CatalogueChange, CatalogueChangeKind, CatalogueChangesPage, CatalogueProduct};
use till_core::{Barcode, Currency, Money, Sku, TaxRate};

/// What writing a product did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Written {
    /// A new product (or one deleted before, back again): a new position.
    Created,
    /// A changed product: a new position.
    Updated,
    /// Already exactly so: no new position.
    Unchanged,
}

/// Checks a merchant id as given on the command line or by the console.
pub fn check_merchant(merchant_id: &str) -> Result<(), ApiError> {
    crate::wire::check_text("merchant", merchant_id, 64)
}

/// Checks a product as HQ would store it, normalising its SKU and barcode; every problem is
/// named with what to fix.
pub fn check_product(p: &CatalogueProduct) -> Result<CatalogueProduct, ApiError> {
    let mut errors = Vec::new();
    let sku = Sku::parse(&p.sku).map_err(|_| {
        errors.push(format!("SKU \"{}\" is not allowed; use 1 to 32 letters, digits, '-', '_' or '.'", p.sku))
    });
    let barcode = match p.barcode.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => match Barcode::parse(b) {
            Ok(code) => Some(code.as_str().to_string()),
            Err(_) => {
                errors.push(format!("barcode \"{b}\" is not an EAN-13, EAN-8 or UPC-A number with its check digit"));
                None
            }
        },
    };
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.push("name must be 1 to 200 characters".to_string());
    }
    let name_zh = p.name_zh.as_deref().map(str::trim).filter(|z| !z.is_empty()).map(str::to_string);
    if name_zh.as_ref().is_some_and(|z| z.chars().count() > 200 || z.chars().any(char::is_control)) {
        errors.push("Chinese name must be up to 200 characters".to_string());
    }
    if p.price_minor < 0 {
        errors.push("price is negative; enter 0 or more".to_string());
    }
    let currency =
        Currency::parse(&p.currency).map_err(|_| errors.push(format!("currency {:?} is unknown", p.currency)));
    if TaxRate::from_basis_points(p.tax_rate_bp).is_err() {
        errors.push(format!("tax rate {} basis points is out of range; use 0 to 10000", p.tax_rate_bp));
    }
    if !(0..=240).contains(&p.warranty_months) {
        errors.push(format!("warranty_months {} is not 0 to 240", p.warranty_months));
    }
    let text = |v: &Option<String>, what: &str, max: usize, errors: &mut Vec<String>| {
        let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if v.as_ref().is_some_and(|s| s.chars().count() > max || s.chars().any(char::is_control)) {
            errors.push(format!("{what} must be up to {max} characters"));
        }
        v
    };
    let seller = text(&p.seller, "seller", 64, &mut errors);
    let software = text(&p.software, "software", 200, &mut errors);
    match (sku, currency) {
        (Ok(sku), Ok(currency)) if errors.is_empty() => Ok(CatalogueProduct {
            sku: sku.as_str().to_string(),
            barcode,
            name: name.to_string(),
            name_zh,
            price_minor: p.price_minor,
            currency: currency.code().to_string(),
            tax_rate_bp: p.tax_rate_bp,
            tax_inclusive: p.tax_inclusive,
            serialised: p.serialised,
            active: p.active,
            seller,
            warranty_months: p.warranty_months,
            software,
        }),
        _ => Err(ApiError::InvalidRequest(format!("product {}: {}", p.sku.trim(), errors.join("; ")))),
    }
}

/// The product of a stored record.
pub fn product_of(r: &CatalogueProductRecord) -> CatalogueProduct {
    CatalogueProduct {
        sku: r.sku.clone(),
        barcode: r.barcode.clone(),
        name: r.name.clone(),
        name_zh: r.name_zh.clone(),
        price_minor: r.price_minor,
        currency: r.currency.clone(),
        tax_rate_bp: r.tax_rate_bp,
        tax_inclusive: r.tax_inclusive,
        serialised: r.serialised,
        active: r.active,
        seller: r.seller.clone(),
        warranty_months: r.warranty_months,
        software: r.software.clone(),
    }
}

fn record_of(merchant_id: &str, p: CatalogueProduct, seq: i64, now: i64) -> CatalogueProductRecord {
    CatalogueProductRecord {
        merchant_id: merchant_id.to_string(),
        sku: p.sku,
        barcode: p.barcode,
        name: p.name,
        name_zh: p.name_zh,
        price_minor: p.price_minor,
        currency: p.currency,
        tax_rate_bp: p.tax_rate_bp,
        tax_inclusive: p.tax_inclusive,
        serialised: p.serialised,
        active: p.active,
        seller: p.seller,
        warranty_months: p.warranty_months,
        software: p.software,
        deleted: false,
        seq,
        updated_at: now,
    }
}

/// Creates or changes a merchant's product (checked first); a product written exactly as stored
/// is [`Written::Unchanged`] and gets no new position. A barcode another live product of the
/// merchant has is refused.
pub fn upsert_product(
    tx: &mut dyn Tx,
    merchant_id: &str,
    product: &CatalogueProduct,
    now: i64,
) -> Result<Written, ApiError> {
    check_merchant(merchant_id)?;
    let p = check_product(product)?;
    let old = tx.catalogue_product(merchant_id, &p.sku)?;
    if let Some(o) = old.as_ref().filter(|o| !o.deleted) {
        if product_of(o) == p {
            return Ok(Written::Unchanged);
        }
    }
    if let Some(b) = &p.barcode {
        if let Some(owner) = tx.catalogue_sku_by_barcode(merchant_id, b)?.filter(|s| *s != p.sku) {
            return Err(ApiError::InvalidRequest(format!(
                "product {}: barcode {b} is already used by {owner}; remove it there first",
                p.sku
            )));
        }
    }
    let written = if old.as_ref().is_some_and(|o| !o.deleted) { Written::Updated } else { Written::Created };
    let seq = tx.next_catalogue_seq(merchant_id)?;
    tx.put_catalogue_product(&record_of(merchant_id, p, seq, now))?;
    Ok(written)
}

/// Deletes a merchant's product: its row stays as a tombstone with a new position, so every
/// till following the merchant takes it off sale. False when there is no such live product.
pub fn delete_product(tx: &mut dyn Tx, merchant_id: &str, sku: &str, now: i64) -> Result<bool, ApiError> {
    let sku = Sku::parse(sku).map_err(|_| ApiError::InvalidRequest(format!("SKU {sku:?} is not a SKU")))?;
    let Some(mut old) = tx.catalogue_product(merchant_id, sku.as_str())?.filter(|o| !o.deleted) else {
        return Ok(false);
    };
    old.deleted = true;
    old.barcode = None;
    old.seq = tx.next_catalogue_seq(merchant_id)?;
    old.updated_at = now;
    tx.put_catalogue_product(&old)?;
    Ok(true)
}

/// The merchant's live products by SKU (the console's list), `search` matching SKU or name.
pub fn list_products(
    tx: &mut dyn Tx,
    merchant_id: &str,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<CatalogueProduct>, ApiError> {
    Ok(tx
        .catalogue_products(merchant_id, search, limit.clamp(1, 1000), offset.max(0))?
        .iter()
        .map(product_of)
        .collect())
}

/// Sets one product's price (`till-server catalogue set-price`): `price` in major units
/// ("12.50") of the product's currency. Returns the product as stored now.
pub fn set_price(
    repo: &dyn Repository,
    merchant_id: &str,
    sku: &str,
    price: &str,
    now: i64,
) -> Result<(CatalogueProduct, Written), ApiError> {
    let sku = Sku::parse(sku).map_err(|_| ApiError::InvalidRequest(format!("SKU {sku:?} is not a SKU")))?;
    let mut tx = repo.begin()?;
    let old =
        tx.catalogue_product(merchant_id, sku.as_str())?.filter(|o| !o.deleted).ok_or(ApiError::NotFound("product"))?;
    let currency = Currency::parse(&old.currency).map_err(|e| ApiError::Internal(e.to_string()))?;
    let text = price.trim();
    let minor = Money::parse_major(text, currency)
        .ok()
        .filter(|_| !text.starts_with('-'))
        .ok_or_else(|| ApiError::InvalidRequest(format!("price {text:?} is not an amount like 12.50")))?
        .minor();
    let product = CatalogueProduct { price_minor: minor, ..product_of(&old) };
    let written = upsert_product(&mut *tx, merchant_id, &product, now)?;
    tx.commit()?;
    Ok((product, written))
}

/// The page of the merchant's changes after `since`: at most `limit`, oldest first, with the
/// cursor for the next call and whether more wait.
pub fn changes_page(
    tx: &mut dyn Tx,
    merchant_id: &str,
    since: i64,
    limit: i64,
) -> Result<CatalogueChangesPage, ApiError> {
    let mut rows = tx.catalogue_changes(merchant_id, since, limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let cursor = rows.last().map_or(since, |r| r.seq);
    let changes = rows
        .iter()
        .map(|r| CatalogueChange {
            seq: r.seq,
            kind: CatalogueChangeKind::Product,
            sku: r.sku.clone(),
            deleted: r.deleted,
            product: (!r.deleted).then(|| product_of(r)),
        })
        .collect();
    Ok(CatalogueChangesPage { changes, cursor: cursor.to_string(), more })
}

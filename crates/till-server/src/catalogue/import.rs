//! `till-server catalogue import FILE --merchant M`: the till's catalogue CSV (read by
//! till-core's [`till_core::catalogue_csv`], the same columns and words) into a merchant's
//! central catalogue, in one transaction: every row is checked first and any error refuses the
//! whole file, writing nothing. A column the file lacks keeps a stored product's value; an
//! empty barcode or Chinese name cell clears it. A row equal to what is stored is no change
//! (no new position), so importing a file again tells the tills nothing new.

use super::{check_merchant, product_of, upsert_product, Written};
use crate::error::ApiError;
use crate::repo::{Repository, Tx};
use std::collections::HashMap;
use till_api::catalogue::CatalogueProduct;
use till_core::catalogue_csv::{self, col, CsvRow};
use till_core::Currency;

/// Rows' errors told at most, the count says the rest.
const ERRORS_TOLD: usize = 10;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Products created.
    pub created: i64,
    /// Products changed.
    pub updated: i64,
    /// Rows equal to what was stored.
    pub unchanged: i64,
}

/// The product a row makes over `old` (a new product's defaults when `None`).
fn merged(r: &CsvRow, old: Option<&CatalogueProduct>, currency: Currency) -> CatalogueProduct {
    let cell = |c: usize| r.has(c).then(|| r.text(c).to_string()).filter(|t| !t.is_empty());
    CatalogueProduct {
        sku: r.text(col::SKU).to_string(),
        barcode: if r.has(col::BARCODE) { cell(col::BARCODE) } else { old.and_then(|o| o.barcode.clone()) },
        name: r.text(col::NAME).to_string(),
        name_zh: if r.has(col::NAME_ZH) { cell(col::NAME_ZH) } else { old.and_then(|o| o.name_zh.clone()) },
        price_minor: r.price_minor.unwrap_or(0),
        currency: currency.code().to_string(),
        tax_rate_bp: r.tax_rate_bp.unwrap_or(0),
        tax_inclusive: r.tax_inclusive.or(old.map(|o| o.tax_inclusive)).unwrap_or(true),
        serialised: r.serialised.or(old.map(|o| o.serialised)).unwrap_or(false),
        active: r.active.or(old.map(|o| o.active)).unwrap_or(true),
        seller: r.seller.clone().unwrap_or_else(|| old.and_then(|o| o.seller.clone())),
        warranty_months: r.warranty_months.or(old.map(|o| o.warranty_months)).unwrap_or(12),
        software: r.software.clone().unwrap_or_else(|| old.and_then(|o| o.software.clone())),
    }
}

/// Imports `csv` into `merchant_id`'s catalogue, prices in `currency`, in one transaction.
pub fn import_csv(
    repo: &dyn Repository,
    merchant_id: &str,
    csv: &[u8],
    currency: Currency,
    now: i64,
) -> Result<ImportSummary, ApiError> {
    check_merchant(merchant_id)?;
    // Every row is checked before the transaction opens: a refused file never takes the lock.
    let rows = checked_rows(csv, currency)?;
    let mut tx = repo.begin()?;
    let summary = write_rows(&mut *tx, merchant_id, &rows, currency, now)?;
    tx.commit()?;
    Ok(summary)
}

/// [`import_csv`] inside the caller's open transaction `tx` (the console's, with its audit
/// entry): nothing is written when the file is refused, and the caller's rollback undoes the
/// rest when a row fails on what is stored.
pub fn import_csv_in(
    tx: &mut dyn Tx,
    merchant_id: &str,
    csv: &[u8],
    currency: Currency,
    now: i64,
) -> Result<ImportSummary, ApiError> {
    check_merchant(merchant_id)?;
    let rows = checked_rows(csv, currency)?;
    write_rows(tx, merchant_id, &rows, currency, now)
}

/// The file's rows, every one checked; the file refused with its rows' errors otherwise.
fn checked_rows(csv: &[u8], currency: Currency) -> Result<Vec<CsvRow>, ApiError> {
    let rows = catalogue_csv::read_rows(csv, currency).map_err(ApiError::InvalidRequest)?;
    let mut errors: Vec<String> = Vec::new();
    let mut error_rows = 0usize;
    let mut seen_sku: HashMap<String, i64> = HashMap::new();
    let mut seen_barcode: HashMap<String, i64> = HashMap::new();
    for r in &rows {
        let mut row_errors = r.errors.clone();
        match super::check_product(&merged(r, None, currency)) {
            Ok(p) => {
                if let Some(first) = seen_sku.insert(p.sku.clone(), r.row) {
                    row_errors.push(format!("SKU {} is also on row {first}; keep one row per SKU", p.sku));
                }
                if let Some(b) = &p.barcode {
                    if let Some(first) = seen_barcode.insert(b.clone(), r.row) {
                        row_errors
                            .push(format!("barcode {b} is also on row {first}; each barcode belongs to one product"));
                    }
                }
            }
            Err(e) => row_errors.push(e.to_string()),
        }
        if !row_errors.is_empty() {
            error_rows += 1;
            if errors.len() < ERRORS_TOLD {
                errors.push(format!("row {}: {}", r.row, row_errors.join("; ")));
            }
        }
    }
    if error_rows > 0 {
        return Err(ApiError::InvalidRequest(format!(
            "{error_rows} rows have errors, nothing was imported; fix them in the file and import it again: {}",
            errors.join(" | ")
        )));
    }
    Ok(rows)
}

/// Writes checked rows through [`upsert_product`].
fn write_rows(
    tx: &mut dyn Tx,
    merchant_id: &str,
    checked: &[CsvRow],
    currency: Currency,
    now: i64,
) -> Result<ImportSummary, ApiError> {
    let mut summary = ImportSummary::default();
    for r in checked {
        let sku = r.text(col::SKU).trim().to_ascii_uppercase();
        let old = tx.catalogue_product(merchant_id, &sku)?.filter(|o| !o.deleted).map(|o| product_of(&o));
        let product = merged(r, old.as_ref(), currency);
        let written = upsert_product(tx, merchant_id, &product, now)
            .map_err(|e| ApiError::InvalidRequest(format!("row {}: {e}; nothing was imported", r.row)))?;
        match written {
            Written::Created => summary.created += 1,
            Written::Updated => summary.updated += 1,
            Written::Unchanged => summary.unchanged += 1,
        }
    }
    Ok(summary)
}

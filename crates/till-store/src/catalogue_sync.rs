//! The catalogue from HQ at the till (docs/catalogue-from-hq.md): the sync worker hands each
//! page of the server's changes here, and the page is applied with the cursor after it in one
//! IMMEDIATE transaction of the normal write path, so a page is all or nothing and the cursor
//! never runs ahead of what was applied. Pages are small (1000 changes by default): a checkout
//! waits at most one page's transaction for the write lock.
//!
//! Rules:
//! - A product is matched by SKU. HQ's version replaces the till's (name, price, tax, barcode,
//!   flags, extras) and marks it managed by HQ (`hq_seq`); a product with the SKU of a till's own
//!   product is taken over the same way. A change older than the one applied (`seq`) is skipped.
//! - A local edit of a managed product stands until HQ's next change of that product.
//! - A deletion (tombstone) takes the product off sale (`active = 0`); its row stays for the
//!   sales that name it. A tombstone of a product this till never had changes nothing.
//! - A barcode HQ gives a product is taken off any other product here (HQ wins).
//! - Products of the till's own that HQ never sent stay as they are.

use crate::catalogue::{index_text, insert_products, NewProduct};
use crate::catalogue_admin::update_row;
use crate::{Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use till_core::{Barcode, Currency, Money, Sku, TaxRate};

/// A product as HQ sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HqProduct {
    /// SKU.
    pub sku: String,
    /// Barcode, if any.
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Tax rate in basis points.
    pub tax_rate_bp: i64,
    /// Whether the price includes tax.
    pub tax_inclusive: bool,
    /// Whether units carry a device identifier.
    pub serialised: bool,
    /// Whether it can be sold.
    pub active: bool,
    /// The seller it is sold for, if not the shop.
    pub seller: Option<String>,
    /// Warranty in months.
    pub warranty_months: i64,
    /// Software package, if any.
    pub software: Option<String>,
}

/// One change of HQ's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HqChange {
    /// Its position.
    pub seq: i64,
    /// The product's SKU.
    pub sku: String,
    /// The product now; `None` when HQ deleted it.
    pub product: Option<HqProduct>,
}

/// What applying a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HqApplied {
    /// Products new here.
    pub created: usize,
    /// Products changed (or taken over from the till's own).
    pub updated: usize,
    /// Products taken off sale by a tombstone.
    pub deleted: usize,
    /// Changes that changed nothing here (older than applied, or a tombstone of nothing).
    pub skipped: usize,
}

/// The catalogue from HQ at this till, for the status line and the back office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HqCatalogueStatus {
    /// The cursor after the last page applied (none before the first).
    pub cursor: Option<String>,
    /// When the last page was applied.
    pub synced_at_ms: Option<i64>,
    /// Products managed by HQ.
    pub managed: i64,
}

fn checked(p: &HqProduct) -> std::result::Result<NewProduct, String> {
    let bad = |what: &str| format!("HQ product {}: {what}", p.sku);
    Ok(NewProduct {
        sku: Sku::parse(&p.sku).map_err(|e| bad(&e.to_string()))?,
        barcode: p.barcode.as_deref().map(Barcode::parse).transpose().map_err(|e| bad(&e.to_string()))?,
        name: p.name.clone(),
        name_zh: p.name_zh.clone(),
        price: Money::new(
            (p.price_minor >= 0).then_some(p.price_minor).ok_or_else(|| bad("negative price"))?,
            Currency::parse(&p.currency).map_err(|e| bad(&e.to_string()))?,
        ),
        tax_rate: TaxRate::from_basis_points(p.tax_rate_bp).map_err(|e| bad(&e.to_string()))?,
        tax_inclusive: p.tax_inclusive,
        serialised: p.serialised,
    })
}

/// Takes `barcode` off every product but `sku`'s, keeping their search entries in step.
fn free_barcode(tx: &Transaction<'_>, barcode: &str, sku: &str) -> Result<()> {
    let holder: Option<i64> = tx
        .prepare_cached("SELECT id FROM products WHERE barcode = ?1 AND sku <> ?2")?
        .query_row(params![barcode, sku], |r| r.get(0))
        .optional()?;
    if let Some(id) = holder {
        tx.prepare_cached("UPDATE products SET barcode = NULL WHERE id = ?1")?.execute([id])?;
        if let Some(p) = crate::catalogue_admin::load_by(tx, "id", id)? {
            let np = NewProduct {
                sku: Sku::parse(&p.sku).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                barcode: None,
                name: p.name,
                name_zh: p.name_zh,
                price: p.price,
                tax_rate: TaxRate::from_basis_points(p.tax_rate_bp).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                tax_inclusive: p.tax_inclusive,
                serialised: p.serialised,
            };
            tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?.execute([id])?;
            tx.prepare_cached("INSERT INTO product_search (rowid, terms) VALUES (?1, ?2)")?
                .execute(params![id, index_text(&np)])?;
        }
    }
    Ok(())
}

fn apply_one(tx: &Transaction<'_>, c: &HqChange, out: &mut HqApplied) -> Result<()> {
    let sku = Sku::parse(&c.sku).map_err(|e| StoreError::Invalid(format!("HQ change {}: {e}", c.seq)))?;
    let existing: Option<(i64, Option<i64>)> = tx
        .prepare_cached("SELECT id, hq_seq FROM products WHERE sku = ?1")?
        .query_row([sku.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if existing.is_some_and(|(_, applied)| applied.is_some_and(|a| a >= c.seq)) {
        out.skipped += 1;
        return Ok(());
    }
    let Some(p) = &c.product else {
        match existing {
            Some((id, _)) => {
                tx.prepare_cached("UPDATE products SET active = 0, hq_seq = ?2 WHERE id = ?1")?
                    .execute(params![id, c.seq])?;
                out.deleted += 1;
            }
            None => out.skipped += 1,
        }
        return Ok(());
    };
    let np = checked(p).map_err(StoreError::Invalid)?;
    if np.sku != sku {
        return Err(StoreError::Invalid(format!("HQ change {} names {} but carries {}", c.seq, c.sku, p.sku)));
    }
    if let Some(b) = &np.barcode {
        free_barcode(tx, b.as_str(), sku.as_str())?;
    }
    let id = match existing {
        Some((id, _)) => {
            update_row(tx, id, &np)?;
            out.updated += 1;
            id
        }
        None => {
            out.created += 1;
            insert_products(tx, std::slice::from_ref(&np))?
                .first()
                .map(|i| i.0)
                .ok_or_else(|| StoreError::Corrupt(format!("product {} was not inserted", np.sku)))?
        }
    };
    tx.prepare_cached(
        "UPDATE products SET active = ?2, seller = ?3, warranty_months = ?4, software = ?5, hq_seq = ?6 WHERE id = ?1",
    )?
    .execute(params![id, p.active, p.seller, p.warranty_months, p.software, c.seq])?;
    Ok(())
}

impl Store {
    /// The cursor after the last page of HQ's catalogue applied here (none before the first).
    pub fn hq_catalogue_cursor(&self) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT cursor FROM hq_catalogue WHERE id = 1")?
                .query_row([], |r| r.get(0))
                .optional()?)
        })
    }

    /// Applies one page of HQ's changes and stores the cursor after it, in one transaction:
    /// all of it, or (on any error) nothing, the cursor unchanged.
    pub fn hq_catalogue_apply_page(&self, changes: &[HqChange], cursor: &str, now_ms: i64) -> Result<HqApplied> {
        let applied = self.write(|tx| {
            let mut out = HqApplied::default();
            for c in changes {
                apply_one(tx, c, &mut out)?;
            }
            tx.prepare_cached(
                "INSERT INTO hq_catalogue (id, cursor, synced_at_ms) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, synced_at_ms = excluded.synced_at_ms",
            )?
            .execute(params![cursor, now_ms])?;
            Ok(out)
        })?;
        // The pages' frames are copied into the database here, on the sync worker's own
        // connection, not by whichever commit next crosses the WAL's threshold: otherwise a
        // cashier's scan could be the one paying for a checkpoint of a first sync's pages.
        // Passive: it takes no lock a checkout waits for, and what it cannot copy now waits.
        let conn = Self::lock(&self.writer);
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(applied)
    }

    /// Where the catalogue from HQ stands here.
    pub fn hq_catalogue_status(&self) -> Result<HqCatalogueStatus> {
        self.read(|c| {
            let row: Option<(String, i64)> = c
                .prepare_cached("SELECT cursor, synced_at_ms FROM hq_catalogue WHERE id = 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let managed: i64 =
                c.query_row("SELECT count(*) FROM products WHERE hq_seq IS NOT NULL AND active = 1", [], |r| r.get(0))?;
            Ok(HqCatalogueStatus { cursor: row.as_ref().map(|r| r.0.clone()), synced_at_ms: row.map(|r| r.1), managed })
        })
    }
}

#[cfg(test)]
#[path = "catalogue_sync_tests.rs"]
mod tests;

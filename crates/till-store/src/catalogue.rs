//! The product catalogue and its search-as-you-type index.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, Row, Transaction};
use till_core::{Barcode, Currency, Money, Product, ProductId, Sku, TaxRate};

/// A product to add to the catalogue.
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// Stock-keeping unit (unique).
    pub sku: Sku,
    /// Barcode (unique), if any.
    pub barcode: Option<Barcode>,
    /// English name.
    pub name: String,
    /// Simplified Chinese name.
    pub name_zh: Option<String>,
    /// Unit price.
    pub price: Money,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Whether the price includes tax.
    pub tax_inclusive: bool,
    /// Whether units carry a device identifier.
    pub serialised: bool,
}

const COLUMNS: &str =
    "p.id, p.sku, p.barcode, p.name, p.name_zh, p.price_minor, p.currency, p.tax_rate_bp, p.tax_inclusive, p.serialised";

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// Splits text into index tokens: runs of letters/digits, and each CJK character on its own
/// (Chinese has no spaces, so characters are the unit that lets "绿茶" find "有机绿茶").
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if is_cjk(c) {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            run.extend(c.to_lowercase());
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

pub(crate) fn index_text(p: &NewProduct) -> String {
    let mut t = tokens(&p.name);
    t.extend(tokens(p.sku.as_str()));
    if let Some(b) = &p.barcode {
        t.push(b.as_str().to_string());
    }
    if let Some(zh) = &p.name_zh {
        t.extend(tokens(zh));
    }
    t.join(" ")
}

/// Builds the FTS5 query for what the cashier typed: every word must match, a word's tokens
/// as a phrase, its last token as a prefix. `None` when nothing searchable was typed.
pub fn match_expression(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(tokens)
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{}\" *", t.join(" ")))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" AND "))
    }
}

fn product_from_row(r: &Row<'_>) -> rusqlite::Result<std::result::Result<Product, till_core::CoreError>> {
    let sku: String = r.get(1)?;
    let barcode: Option<String> = r.get(2)?;
    let currency: String = r.get(6)?;
    let bp: i64 = r.get(7)?;
    let price: i64 = r.get(5)?;
    let (id, name, name_zh, incl, ser): (i64, String, Option<String>, bool, bool) =
        (r.get(0)?, r.get(3)?, r.get(4)?, r.get(8)?, r.get(9)?);
    Ok((|| {
        Ok(Product {
            id: ProductId(id),
            sku: Sku::parse(&sku)?,
            barcode: barcode.as_deref().map(Barcode::parse).transpose()?,
            name,
            name_zh,
            price: Money::new(price, Currency::parse(&currency)?),
            tax_rate: TaxRate::from_basis_points(bp)?,
            tax_inclusive: incl,
            serialised: ser,
        })
    })())
}

fn query_products(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Product>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, product_from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?.map_err(|e| StoreError::Corrupt(format!("product row: {e}")))?);
    }
    Ok(out)
}

/// Inserts products inside an open transaction, keeping the search index in step.
pub fn insert_products(tx: &Transaction<'_>, products: &[NewProduct]) -> Result<Vec<ProductId>> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO products (sku, barcode, name, name_zh, price_minor, currency, tax_rate_bp, tax_inclusive, serialised)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut idx = tx.prepare_cached("INSERT INTO product_search (rowid, terms) VALUES (?1, ?2)")?;
    let mut ids = Vec::with_capacity(products.len());
    for p in products {
        ins.execute(params![
            p.sku.as_str(),
            p.barcode.as_ref().map(|b| b.as_str()),
            p.name,
            p.name_zh,
            p.price.minor(),
            p.price.currency().code(),
            p.tax_rate.basis_points(),
            p.tax_inclusive,
            p.serialised
        ])
        .map_err(|e| {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                StoreError::Conflict(format!("SKU {} or its barcode is already in the catalogue", p.sku))
            } else {
                e
            }
        })?;
        let id = tx.last_insert_rowid();
        idx.execute(params![id, index_text(p)])?;
        ids.push(ProductId(id));
    }
    Ok(ids)
}

impl Store {
    /// Adds products to the catalogue in one transaction.
    pub fn add_products(&self, products: &[NewProduct]) -> Result<Vec<ProductId>> {
        self.write(|tx| insert_products(tx, products))
    }

    /// Number of active products.
    pub fn product_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM products WHERE active = 1", [], |r| r.get(0))?))
    }

    /// The active product with this barcode.
    pub fn product_by_barcode(&self, code: &Barcode) -> Result<Option<Product>> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.barcode = ?1 AND p.active = 1");
        self.read(|c| Ok(query_products(c, &sql, [code.as_str()])?.into_iter().next()))
    }

    /// The active product with this SKU.
    pub fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.sku = ?1 AND p.active = 1");
        self.read(|c| Ok(query_products(c, &sql, [sku.as_str()])?.into_iter().next()))
    }

    /// The active product with this id.
    pub fn product_by_id(&self, id: ProductId) -> Result<Option<Product>> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = ?1 AND p.active = 1");
        self.read(|c| Ok(query_products(c, &sql, [id.0])?.into_iter().next()))
    }

    /// Search-as-you-type: up to `limit` active products whose name, Chinese name, SKU or
    /// barcode contain every typed word (words match at their start; Chinese anywhere).
    pub fn search_products(&self, query: &str, limit: u32) -> Result<Vec<Product>> {
        let Some(expr) = match_expression(query) else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {COLUMNS} FROM product_search s JOIN products p ON p.id = s.rowid
             WHERE product_search MATCH ?1 AND p.active = 1 LIMIT ?2"
        );
        self.read(|c| query_products(c, &sql, params![expr, limit]))
    }

    /// Whether the catalogue has any product at all (first start seeds the demo catalogue).
    pub fn catalogue_is_empty(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT NOT EXISTS (SELECT 1 FROM products)", [], |r| r.get(0))?))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn product(sku: &str, barcode: Option<&str>, name: &str, zh: Option<&str>, price: i64) -> NewProduct {
        NewProduct {
            sku: Sku::parse(sku).unwrap(),
            barcode: barcode.map(|b| Barcode::parse(b).unwrap()),
            name: name.into(),
            name_zh: zh.map(Into::into),
            price: Money::new(price, Currency::parse("CNY").unwrap()),
            tax_rate: TaxRate::from_basis_points(1300).unwrap(),
            tax_inclusive: true,
            serialised: false,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        s.add_products(&[
            product("TEA-01", Some("6901234567892"), "Organic green tea 250g", Some("有机绿茶"), 3800),
            product("TEA-02", None, "Jasmine tea", Some("茉莉花茶"), 2900),
            product("PHONE-X", Some("4006381333931"), "Phone X 128GB", Some("手机"), 399_900),
        ])
        .unwrap();
        (dir, s)
    }

    fn names(v: Vec<Product>) -> Vec<String> {
        let mut n: Vec<String> = v.into_iter().map(|p| p.sku.as_str().to_string()).collect();
        n.sort();
        n
    }

    #[test]
    fn finds_by_word_prefix_sku_barcode_and_chinese() {
        let (_d, s) = store();
        assert_eq!(names(s.search_products("gre", 10).unwrap()), ["TEA-01"]);
        assert_eq!(names(s.search_products("tea", 10).unwrap()), ["TEA-01", "TEA-02"]);
        assert_eq!(names(s.search_products("jas TE", 10).unwrap()), ["TEA-02"]);
        assert_eq!(names(s.search_products("tea-0", 10).unwrap()), ["TEA-01", "TEA-02"]);
        assert_eq!(names(s.search_products("69012345", 10).unwrap()), ["TEA-01"]);
        assert_eq!(names(s.search_products("绿茶", 10).unwrap()), ["TEA-01"]);
        assert_eq!(names(s.search_products("茶", 10).unwrap()), ["TEA-01", "TEA-02"]);
        assert!(s.search_products("coffee", 10).unwrap().is_empty());
        // FTS syntax typed by a user is text, not a query operator.
        assert!(s.search_products("\" OR * NEAR(", 10).unwrap().is_empty());
        assert!(s.search_products("   ", 10).unwrap().is_empty());
    }

    #[test]
    fn looks_up_by_barcode_and_sku() {
        let (_d, s) = store();
        let b = Barcode::parse("4006381333931").unwrap();
        assert_eq!(s.product_by_barcode(&b).unwrap().unwrap().sku.as_str(), "PHONE-X");
        assert_eq!(s.product_by_sku(&Sku::parse("tea-02").unwrap()).unwrap().unwrap().name, "Jasmine tea");
        assert!(s.product_by_barcode(&Barcode::parse("96385074").unwrap()).unwrap().is_none());
    }

    #[test]
    fn a_duplicate_sku_is_a_conflict_and_adds_nothing() {
        let (_d, s) = store();
        let r = s.add_products(&[product("NEW-1", None, "New", None, 1), product("TEA-01", None, "Dup", None, 1)]);
        assert!(matches!(r, Err(StoreError::Conflict(_))));
        assert_eq!(s.product_count().unwrap(), 3);
        assert!(s.search_products("new", 10).unwrap().is_empty());
    }
}

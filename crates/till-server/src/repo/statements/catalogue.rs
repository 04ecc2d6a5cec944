//! The statements behind the catalogue from HQ (schema version 13), written once for SQLite and
//! PostgreSQL ([`super::super::sql`]).

use super::super::sql::{Row, SqlConn, SqlConnExt};
use super::super::{CatalogueProductRecord, RepoResult};
use crate::args;

/// Schema version 13: products per merchant keyed by SKU, the position of each one's latest
/// change, and one counter row per merchant handing out the positions (no rowid: PostgreSQL
/// has none, and the positions must be per merchant).
pub(in crate::repo) const MIGRATION_13: &str = "
CREATE TABLE IF NOT EXISTS catalogue_seq (
    merchant_id TEXT PRIMARY KEY,
    last_seq    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalogue_products (
    merchant_id     TEXT NOT NULL,
    sku             TEXT NOT NULL,
    barcode         TEXT,
    name            TEXT NOT NULL,
    name_zh         TEXT,
    price_minor     BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    tax_rate_bp     BIGINT NOT NULL,
    tax_inclusive   BIGINT NOT NULL,
    serialised      BIGINT NOT NULL,
    active          BIGINT NOT NULL,
    seller          TEXT,
    warranty_months BIGINT NOT NULL,
    software        TEXT,
    deleted         BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, sku)
);
CREATE UNIQUE INDEX IF NOT EXISTS catalogue_products_by_seq ON catalogue_products (merchant_id, seq);
CREATE INDEX IF NOT EXISTS catalogue_products_by_barcode ON catalogue_products (merchant_id, barcode);
";

const COLUMNS: &str = "merchant_id, sku, barcode, name, name_zh, price_minor, currency, tax_rate_bp, \
     tax_inclusive, serialised, active, seller, warranty_months, software, deleted, seq, updated_at";

fn record(r: &Row) -> RepoResult<CatalogueProductRecord> {
    Ok(CatalogueProductRecord {
        merchant_id: r.text(0)?,
        sku: r.text(1)?,
        barcode: r.opt_text(2)?,
        name: r.text(3)?,
        name_zh: r.opt_text(4)?,
        price_minor: r.int(5)?,
        currency: r.text(6)?,
        tax_rate_bp: r.int(7)?,
        tax_inclusive: r.flag(8)?,
        serialised: r.flag(9)?,
        active: r.flag(10)?,
        seller: r.opt_text(11)?,
        warranty_months: r.int(12)?,
        software: r.opt_text(13)?,
        deleted: r.flag(14)?,
        seq: r.int(15)?,
        updated_at: r.int(16)?,
    })
}

/// The merchant's next position.
pub(super) fn next_seq(conn: &mut dyn SqlConn, merchant_id: &str) -> RepoResult<i64> {
    conn.execute(
        "INSERT INTO catalogue_seq (merchant_id, last_seq) VALUES (?1, 1) \
         ON CONFLICT (merchant_id) DO UPDATE SET last_seq = catalogue_seq.last_seq + 1",
        args![merchant_id],
    )?;
    conn.query_int("SELECT last_seq FROM catalogue_seq WHERE merchant_id = ?1", args![merchant_id])?
        .ok_or_else(|| crate::error::RepoError::Corrupt(format!("no catalogue counter for {merchant_id}")))
}

/// A product by SKU.
pub(super) fn by_sku(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    sku: &str,
) -> RepoResult<Option<CatalogueProductRecord>> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM catalogue_products WHERE merchant_id = ?1 AND sku = ?2"),
        args![merchant_id, sku],
        record,
    )
}

/// The SKU of the live product with this barcode.
pub(super) fn sku_by_barcode(conn: &mut dyn SqlConn, merchant_id: &str, barcode: &str) -> RepoResult<Option<String>> {
    conn.query_opt(
        "SELECT sku FROM catalogue_products WHERE merchant_id = ?1 AND barcode = ?2 AND deleted = 0",
        args![merchant_id, barcode],
        |r| r.text(0),
    )
}

/// Inserts or replaces a product.
pub(super) fn put(conn: &mut dyn SqlConn, p: &CatalogueProductRecord) -> RepoResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO catalogue_products ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
             ON CONFLICT (merchant_id, sku) DO UPDATE SET barcode = excluded.barcode, name = excluded.name, \
             name_zh = excluded.name_zh, price_minor = excluded.price_minor, currency = excluded.currency, \
             tax_rate_bp = excluded.tax_rate_bp, tax_inclusive = excluded.tax_inclusive, \
             serialised = excluded.serialised, active = excluded.active, seller = excluded.seller, \
             warranty_months = excluded.warranty_months, software = excluded.software, \
             deleted = excluded.deleted, seq = excluded.seq, updated_at = excluded.updated_at"
        ),
        args![
            p.merchant_id,
            p.sku,
            p.barcode,
            p.name,
            p.name_zh,
            p.price_minor,
            p.currency,
            p.tax_rate_bp,
            p.tax_inclusive,
            p.serialised,
            p.active,
            p.seller,
            p.warranty_months,
            p.software,
            p.deleted,
            p.seq,
            p.updated_at
        ],
    )?;
    Ok(())
}

/// Changes after a position, oldest first.
pub(super) fn changes(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    after_seq: i64,
    limit: i64,
) -> RepoResult<Vec<CatalogueProductRecord>> {
    conn.query_map(
        &format!("SELECT {COLUMNS} FROM catalogue_products WHERE merchant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"),
        args![merchant_id, after_seq, limit],
        record,
    )
}

/// Live products by SKU, optionally searched.
pub(super) fn list(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> RepoResult<Vec<CatalogueProductRecord>> {
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        None => conn.query_map(
            &format!(
                "SELECT {COLUMNS} FROM catalogue_products WHERE merchant_id = ?1 AND deleted = 0 \
                 ORDER BY sku LIMIT ?2 OFFSET ?3"
            ),
            args![merchant_id, limit, offset],
            record,
        ),
        Some(s) => {
            // LIKE's own wildcards in what was typed are text.
            let escaped: String =
                s.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
            let pattern = format!("%{escaped}%");
            conn.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM catalogue_products WHERE merchant_id = ?1 AND deleted = 0 \
                     AND (LOWER(sku) LIKE LOWER(?2) ESCAPE '\\' OR LOWER(name) LIKE LOWER(?2) ESCAPE '\\') \
                     ORDER BY sku LIMIT ?3 OFFSET ?4"
                ),
                args![merchant_id, pattern, limit, offset],
                record,
            )
        }
    }
}

/// How many live products.
pub(super) fn count(conn: &mut dyn SqlConn, merchant_id: &str) -> RepoResult<i64> {
    Ok(conn
        .query_int(
            "SELECT COUNT(*) FROM catalogue_products WHERE merchant_id = ?1 AND deleted = 0",
            args![merchant_id],
        )?
        .unwrap_or(0))
}

impl super::super::CatalogueTx for super::super::sql_tx::SqlTx<'_> {
    fn next_catalogue_seq(&mut self, merchant_id: &str) -> RepoResult<i64> {
        next_seq(self.sql(), merchant_id)
    }

    fn catalogue_product(&mut self, merchant_id: &str, sku: &str) -> RepoResult<Option<CatalogueProductRecord>> {
        by_sku(self.sql(), merchant_id, sku)
    }

    fn catalogue_sku_by_barcode(&mut self, merchant_id: &str, barcode: &str) -> RepoResult<Option<String>> {
        sku_by_barcode(self.sql(), merchant_id, barcode)
    }

    fn put_catalogue_product(&mut self, p: &CatalogueProductRecord) -> RepoResult<()> {
        put(self.sql(), p)
    }

    fn catalogue_changes(
        &mut self,
        merchant_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> RepoResult<Vec<CatalogueProductRecord>> {
        changes(self.sql(), merchant_id, after_seq, limit)
    }

    fn catalogue_products(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<CatalogueProductRecord>> {
        list(self.sql(), merchant_id, search, limit, offset)
    }

    fn catalogue_product_count(&mut self, merchant_id: &str) -> RepoResult<i64> {
        count(self.sql(), merchant_id)
    }
}

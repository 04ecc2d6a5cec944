//! What the server keeps of the catalogue from HQ (schema version 13): each merchant's products
//! by SKU, every change stamped with the merchant's next position (`seq`, from one counter row
//! per merchant), a deletion kept as a tombstone so the tills following the merchant learn it;
//! and the statements a [`super::Tx`] offers for them ([`CatalogueTx`]).

use super::RepoResult;

/// The statements of the catalogue from HQ, part of every [`super::Tx`].
pub trait CatalogueTx {
    /// The merchant's next change position (one more than the last it handed out). The counter's
    /// row stays locked until the transaction ends, so positions commit in their order.
    fn next_catalogue_seq(&mut self, merchant_id: &str) -> RepoResult<i64>;
    /// The merchant's product with this SKU, tombstone or not.
    fn catalogue_product(&mut self, merchant_id: &str, sku: &str) -> RepoResult<Option<CatalogueProductRecord>>;
    /// The SKU of the merchant's live product with this barcode, if any.
    fn catalogue_sku_by_barcode(&mut self, merchant_id: &str, barcode: &str) -> RepoResult<Option<String>>;
    /// Writes a product (new, changed, or its tombstone), keyed by merchant and SKU.
    fn put_catalogue_product(&mut self, p: &CatalogueProductRecord) -> RepoResult<()>;
    /// The merchant's products whose latest change is after `after_seq`, oldest change first,
    /// at most `limit`; tombstones included.
    fn catalogue_changes(
        &mut self,
        merchant_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> RepoResult<Vec<CatalogueProductRecord>>;
    /// The merchant's live products by SKU, those whose SKU or name contains `search` when
    /// given, at most `limit` from `offset`.
    fn catalogue_products(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<CatalogueProductRecord>>;
    /// How many live products the merchant has.
    fn catalogue_product_count(&mut self, merchant_id: &str) -> RepoResult<i64>;
}

/// A product of a merchant's central catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueProductRecord {
    /// The merchant it belongs to.
    pub merchant_id: String,
    /// SKU, upper-case (the product's key within the merchant).
    pub sku: String,
    /// Normalised barcode, if any.
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Simplified Chinese name.
    pub name_zh: Option<String>,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Tax rate in basis points.
    pub tax_rate_bp: i64,
    /// Whether the price includes the tax.
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
    /// Whether HQ deleted it (a tombstone: the other fields are its last version).
    pub deleted: bool,
    /// The position of its latest change.
    pub seq: i64,
    /// When it last changed, unix seconds.
    pub updated_at: i64,
}

//! The catalogue from HQ (docs/catalogue-from-hq.md): a merchant's products are kept centrally
//! and every change is given a position (`seq`) in one increasing order per merchant, so each
//! till follows them with one cursor: `GET /v1/catalogue/changes?since=CURSOR&limit=N` (signed)
//! answers the changes after the cursor, oldest first, each product in its latest version or as
//! a tombstone when HQ deleted it.

use serde::{Deserialize, Serialize};

/// Changes per page unless the till asks otherwise.
pub const DEFAULT_CHANGES_PAGE: i64 = 1000;
/// The most changes per page.
pub const MAX_CHANGES_PAGE: i64 = 5000;

/// A product as HQ keeps it: the fields of the till's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueProduct {
    /// Stock-keeping unit: 1 to 32 of `A-Z 0-9 - _ .`, upper-case (the product's key).
    pub sku: String,
    /// EAN-13, EAN-8 or UPC-A (normalised), if the product has one.
    #[serde(default)]
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Simplified Chinese name.
    #[serde(default)]
    pub name_zh: Option<String>,
    /// Unit price in minor units (gross when `tax_inclusive`).
    pub price_minor: i64,
    /// ISO 4217 code of the price.
    pub currency: String,
    /// Tax rate in basis points (1300 = 13 %).
    pub tax_rate_bp: i64,
    /// Whether the price includes the tax.
    pub tax_inclusive: bool,
    /// Whether each unit carries a device identifier (IMEI, serial number).
    pub serialised: bool,
    /// Whether it can be sold (a product HQ stops selling for now, kept for its history).
    pub active: bool,
    /// The seller it is sold for (marketplace or consignment); none for the shop itself.
    #[serde(default)]
    pub seller: Option<String>,
    /// Warranty in months (0 to 240).
    pub warranty_months: i64,
    /// The software package a device ships with, if any.
    #[serde(default)]
    pub software: Option<String>,
}

/// What a change is about. Only products today; a till that meets a kind it does not know
/// refuses the page (and keeps its cursor) rather than skip a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CatalogueChangeKind {
    /// A product, keyed by its SKU.
    Product,
}

/// One change: a product's latest version, or its tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueChange {
    /// Its position in the merchant's changes (increasing, never reused).
    pub seq: i64,
    /// What it is about.
    pub kind: CatalogueChangeKind,
    /// The product's SKU.
    pub sku: String,
    /// Whether HQ deleted the product (then `product` is absent).
    pub deleted: bool,
    /// The product as it is now, unless deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<CatalogueProduct>,
}

/// The answer of `GET /v1/catalogue/changes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueChangesPage {
    /// The changes after `since`, oldest first; one per product (its latest).
    pub changes: Vec<CatalogueChange>,
    /// What to send as `since` next time (unchanged when nothing changed).
    pub cursor: String,
    /// Whether more changes wait beyond this page (ask again at once with the new cursor).
    pub more: bool,
}

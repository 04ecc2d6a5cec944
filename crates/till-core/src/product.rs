//! Catalogue products and their identifiers.

use crate::{Barcode, CoreError, Money, TaxRate};
use std::fmt;

/// The database id of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(pub i64);

/// A stock-keeping unit: 1 to 32 of `A-Z 0-9 - _ .`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    /// Parses a SKU as typed (case-insensitive, surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let t = text.trim().to_ascii_uppercase();
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Sku(t))
        } else {
            Err(CoreError::InvalidSku(text.to_string()))
        }
    }

    /// The SKU text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product that can be sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Database id.
    pub id: ProductId,
    /// Stock-keeping unit.
    pub sku: Sku,
    /// Its barcode, when it has one.
    pub barcode: Option<Barcode>,
    /// English name.
    pub name: String,
    /// Simplified Chinese name, when known.
    pub name_zh: Option<String>,
    /// Unit price (gross when `tax_inclusive`, else net).
    pub price: Money,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Whether `price` already includes the tax.
    pub tax_inclusive: bool,
    /// Whether each unit carries a device identifier (IMEI, serial number).
    pub serialised: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_is_normalised_and_checked() {
        assert_eq!(Sku::parse(" tea-01 ").unwrap().as_str(), "TEA-01");
        for bad in ["", " ", "a b", "x/y", &"A".repeat(33)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }
}

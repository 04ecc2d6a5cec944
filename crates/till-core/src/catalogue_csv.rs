//! The catalogue's CSV file, read into typed cells: one dialect for the till's import and the
//! server's (`till-server catalogue import`), so a file that one takes the other takes too.
//!
//! Format: a header row `sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active`
//! (any order, any case; `sku`, `name`, `price` and `tax_rate` are required), UTF-8 with or
//! without a BOM, comma-separated, RFC 4180 quotes, CRLF or LF. `price` in major units
//! ("12.50"), `tax_rate` in percent ("13" or "13.5"), flags as 1/0, true/false or yes/no.
//! Optional `seller`, `warranty_months` (0 to 240) and `software`.
//!
//! This module reads and checks cells only; what a row means for a catalogue (a SKU's and a
//! barcode's rules, what is already stored) is the caller's.

use crate::{Currency, Money};

/// Rows a file may hold at most.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// The columns, by header name; [`CsvRow::cells`] follows this order.
pub const COLUMNS: [&str; 12] = [
    "sku",
    "barcode",
    "name",
    "name_zh",
    "price",
    "tax_rate",
    "tax_inclusive",
    "serialised",
    "active",
    "seller",
    "warranty_months",
    "software",
];

/// The index of each column in [`COLUMNS`].
pub mod col {
    /// `sku`.
    pub const SKU: usize = 0;
    /// `barcode`.
    pub const BARCODE: usize = 1;
    /// `name`.
    pub const NAME: usize = 2;
    /// `name_zh`.
    pub const NAME_ZH: usize = 3;
    /// `price`.
    pub const PRICE: usize = 4;
    /// `tax_rate`.
    pub const TAX_RATE: usize = 5;
    /// `tax_inclusive`.
    pub const TAX_INCLUSIVE: usize = 6;
    /// `serialised`.
    pub const SERIALISED: usize = 7;
    /// `active`.
    pub const ACTIVE: usize = 8;
    /// `seller`.
    pub const SELLER: usize = 9;
    /// `warranty_months`.
    pub const WARRANTY_MONTHS: usize = 10;
    /// `software`.
    pub const SOFTWARE: usize = 11;
}

const REQUIRED: [&str; 4] = ["sku", "name", "price", "tax_rate"];

/// One data row with its cells read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The file line the row starts on (1-based; the header is line 1).
    pub row: i64,
    /// Each column's cell, trimmed, in [`COLUMNS`] order; `None` when the file has no such
    /// column (an update then keeps the stored value).
    pub cells: [Option<String>; COLUMNS.len()],
    /// The price in minor units, when the cell is a price.
    pub price_minor: Option<i64>,
    /// The tax rate in basis points, when the cell is a percentage from 0 to 100.
    pub tax_rate_bp: Option<i64>,
    /// `tax_inclusive` as given (`None`: empty cell or no column).
    pub tax_inclusive: Option<bool>,
    /// `serialised` as given.
    pub serialised: Option<bool>,
    /// `active` as given.
    pub active: Option<bool>,
    /// `seller`: `None` without the column, `Some(None)` for an empty cell (the shop itself).
    pub seller: Option<Option<String>>,
    /// `warranty_months` (0 to 240) when given.
    pub warranty_months: Option<i64>,
    /// `software`: `None` without the column, `Some(None)` for an empty cell (none).
    pub software: Option<Option<String>>,
    /// What is wrong with the row's cells, each saying what to fix.
    pub errors: Vec<String>,
}

impl CsvRow {
    /// A cell's text ("" when empty or without the column).
    pub fn text(&self, col: usize) -> &str {
        self.cells.get(col).and_then(|c| c.as_deref()).unwrap_or("")
    }

    /// Whether the file has the column.
    pub fn has(&self, col: usize) -> bool {
        self.cells.get(col).is_some_and(Option::is_some)
    }
}

/// Splits CSV text into records, each with the 1-based line it starts on. RFC 4180: quoted
/// fields may hold commas, doubled quotes and line breaks; CRLF and LF both end a record.
pub fn records(text: &str) -> Result<Vec<(i64, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1i64;
    let mut start = 1i64;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
        if out.len() > MAX_IMPORT_ROWS + 1 {
            return Err(format!("the file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files"));
        }
    }
    if quoted {
        return Err(format!("a quoted field starting on line {start} is never closed; check the quotes"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    Ok(out)
}

/// A yes/no cell: `None` when empty; an error pushed when it is neither.
pub fn flag(text: &str, column: &str, errors: &mut Vec<String>) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "1" | "true" | "yes" | "y" => Some(true),
        "0" | "false" | "no" | "n" => Some(false),
        other => {
            errors.push(format!("{column} \"{other}\" is not yes/no; use 1 or 0"));
            None
        }
    }
}

/// A percentage with up to two decimals ("13", "13.5") as basis points.
pub fn percent_bp(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 6 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(w * 100 + f)
}

/// Reads a file's rows (blank lines skipped), prices in `currency`. Refuses the whole file, with
/// what to fix, when it is not UTF-8, has no header row or lacks a required column, or holds
/// more than [`MAX_IMPORT_ROWS`] rows; a row's own problems are in its [`CsvRow::errors`].
pub fn read_rows(bytes: &[u8], currency: Currency) -> Result<Vec<CsvRow>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 (bad bytes at position {}); in Excel or WPS save it as \"CSV UTF-8\" and import that",
            e.valid_up_to()
        )
    })?;
    let mut recs = records(text)?.into_iter();
    let (_, header) = recs.next().ok_or_else(|| "the file is empty; it needs a header row".to_string())?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let index: Vec<Option<usize>> = COLUMNS.iter().map(|c| header.iter().position(|h| h == c)).collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| COLUMNS.iter().position(|c| c == r).and_then(|i| index[i]).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header row has no {} column; the first row must name the columns: {}",
            missing.join(", "),
            COLUMNS.join(",")
        ));
    }
    let mut rows = Vec::new();
    for (row, fields) in recs {
        // A blank line (or one of only commas) is not a product.
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_IMPORT_ROWS {
            return Err(format!("the file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files"));
        }
        let cells: [Option<String>; COLUMNS.len()] =
            std::array::from_fn(|c| index[c].map(|i| fields.get(i).map(|s| s.trim().to_string()).unwrap_or_default()));
        rows.push(read_row(row, cells, currency));
    }
    Ok(rows)
}

fn read_row(row: i64, cells: [Option<String>; COLUMNS.len()], currency: Currency) -> CsvRow {
    let get = |c: usize| cells[c].as_deref().unwrap_or("");
    let mut errors = Vec::new();
    let price_text = get(col::PRICE);
    let price_minor = if price_text.is_empty() {
        errors.push("price is empty; enter a price like 12.50".to_string());
        None
    } else if price_text.starts_with('-') {
        errors.push(format!("price {price_text} is negative; enter 0 or more"));
        None
    } else {
        match Money::parse_major(price_text, currency) {
            Ok(m) => Some(m.minor()),
            Err(_) => {
                errors.push(format!(
                    "price \"{price_text}\" is not a number like 12.50 (at most {} decimals)",
                    currency.minor_digits()
                ));
                None
            }
        }
    };
    let tax_text = get(col::TAX_RATE);
    let tax_rate_bp = match percent_bp(tax_text) {
        Some(bp) if bp <= 10_000 => Some(bp),
        Some(_) => {
            errors.push(format!("tax rate {tax_text} is out of range; use a percentage from 0 to 100"));
            None
        }
        None => {
            errors.push(format!("tax rate \"{tax_text}\" is not a percentage like 13 or 13.5"));
            None
        }
    };
    let tax_inclusive = flag(get(col::TAX_INCLUSIVE), "tax_inclusive", &mut errors);
    let serialised = flag(get(col::SERIALISED), "serialised", &mut errors);
    let active = flag(get(col::ACTIVE), "active", &mut errors);
    let optional = |c: usize| cells[c].as_deref().map(|t| (!t.is_empty()).then(|| t.to_string()));
    let seller = optional(col::SELLER);
    let warranty_months =
        cells[col::WARRANTY_MONTHS].as_deref().filter(|t| !t.is_empty()).and_then(|t| match t.parse::<i64>() {
            Ok(m) if (0..=240).contains(&m) => Some(m),
            _ => {
                errors.push(format!("warranty_months \"{t}\" is not a number of months from 0 to 240"));
                None
            }
        });
    let software = optional(col::SOFTWARE);
    if let Some(Some(package)) = &software {
        if package.chars().count() > 200 || package.chars().any(char::is_control) {
            errors.push(format!("software \"{package}\" is not a package name (up to 200 characters)"));
        }
    }
    if let Some(Some(name)) = &seller {
        if name.chars().count() > 64 || !name.chars().all(|c| c.is_alphanumeric() || "-_. ".contains(c)) {
            errors
                .push(format!("seller \"{name}\" is not a seller's name (up to 64 letters, digits, - _ . and spaces)"));
        }
    }
    CsvRow {
        row,
        cells,
        price_minor,
        tax_rate_bp,
        tax_inclusive,
        serialised,
        active,
        seller,
        warranty_months,
        software,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cells_quotes_and_missing_columns() {
        let csv = "\u{feff}SKU,Name,price,tax_rate,serialised\r\nTEA-1,\"Tea, green\",12.5,13,yes\n\n,,,,\nX,\"a \"\"b\"\"\",-1,101,maybe\n";
        let rows = read_rows(csv.as_bytes(), Currency::CNY).unwrap();
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!((a.row, a.text(col::SKU), a.text(col::NAME)), (2, "TEA-1", "Tea, green"));
        assert_eq!((a.price_minor, a.tax_rate_bp, a.serialised), (Some(1250), Some(1300), Some(true)));
        assert!(!a.has(col::BARCODE) && a.seller.is_none() && a.errors.is_empty());
        let b = &rows[1];
        assert_eq!(b.row, 5);
        assert_eq!(b.text(col::NAME), "a \"b\"");
        assert_eq!(b.errors.len(), 3, "{:?}", b.errors);
    }

    #[test]
    fn refuses_a_file_without_required_columns_or_not_utf8() {
        assert!(read_rows(b"sku,name\nA,B\n", Currency::CNY).unwrap_err().contains("price, tax_rate"));
        assert!(read_rows(b"sku,name,price,tax_rate\n\xff,B,1,1\n", Currency::CNY).unwrap_err().contains("UTF-8"));
        assert!(read_rows(b"", Currency::CNY).unwrap_err().contains("empty"));
    }
}

//! The shop profile: the name, address, tax id and receipt lines that receipts, reports and PDFs
//! carry, the currency and tax rates the shop sells with, and the till's time zone and name.
//!
//! It is one JSON value in the settings table, written with its audit entry in one transaction.
//! The currency is fixed once the till has sold anything: every stored amount is in it.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::setup::{ShopProfile, TaxRateEntry};
use crate::Pos;
use serde_json::json;
use till_core::{Currency, SessionToken};
use till_store::{audit, settings};

/// The settings key of the profile.
pub(crate) const SETTING: &str = "shop.profile";

/// Longest shop name.
const MAX_NAME: usize = 60;
/// Longest address, receipt header or footer.
const MAX_BLOCK: usize = 300;
/// Most lines in the address, header or footer.
const MAX_LINES: usize = 6;
/// Most tax rates.
const MAX_RATES: usize = 8;

/// Trims `value` and checks it is 1 to `max` characters (or may be empty) without control
/// characters other than line breaks where `lines` allows more than one.
fn text(field: &str, value: &str, max: usize, required: bool, lines: usize) -> Result<String> {
    let value = value.trim().replace("\r\n", "\n");
    let count = value.chars().count();
    let bad_char = value.chars().any(|c| c.is_control() && !(c == '\n' && lines > 1));
    if (required && count == 0) || count > max || bad_char || value.lines().count() > lines {
        let need = if required { "1" } else { "0" };
        let lines = if lines > 1 { format!(", at most {lines} lines") } else { String::new() };
        return Err(PosError::InvalidInput(format!("the {field} is {need} to {max} characters{lines}")));
    }
    Ok(value)
}

/// An IANA zone name such as `Asia/Shanghai` or `UTC`: letters, digits, `_+-/`.
fn time_zone(value: &str) -> Result<String> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && !value.starts_with('/')
        && !value.contains("..")
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "_+-/".contains(c));
    if !ok {
        return Err(PosError::InvalidInput(format!("{value:?} is not a time zone name such as Asia/Shanghai")));
    }
    Ok(value.to_string())
}

fn tax_rates(rates: &[TaxRateEntry], default: u32) -> Result<Vec<TaxRateEntry>> {
    if rates.is_empty() || rates.len() > MAX_RATES {
        return Err(PosError::InvalidInput(format!("the shop has 1 to {MAX_RATES} tax rates")));
    }
    let mut out = Vec::with_capacity(rates.len());
    for r in rates {
        let name = text("tax rate's name", &r.name, 30, true, 1)?;
        if r.rate_bp > 10_000 {
            return Err(PosError::InvalidInput(format!("the tax rate {name} is above 100 %")));
        }
        if out.iter().any(|o: &TaxRateEntry| o.name == name) {
            return Err(PosError::InvalidInput(format!("two tax rates are called {name}")));
        }
        out.push(TaxRateEntry { name, rate_bp: r.rate_bp });
    }
    if default as usize >= out.len() {
        return Err(PosError::InvalidInput("the default tax rate is not one of the shop's rates".into()));
    }
    Ok(out)
}

/// Checks every field and returns the profile as it is stored (trimmed).
pub fn validate(p: &ShopProfile) -> Result<ShopProfile> {
    let currency = Currency::parse(p.currency.trim())
        .map_err(|_| PosError::InvalidInput(format!("{:?} is not a currency this till sells in", p.currency)))?;
    Ok(ShopProfile {
        name: text("shop's name", &p.name, MAX_NAME, true, 1)?,
        address: text("address", &p.address, MAX_BLOCK, true, MAX_LINES)?,
        tax_id: text("tax id", &p.tax_id, 40, false, 1)?,
        currency: currency.code().to_string(),
        tax_rates: tax_rates(&p.tax_rates, p.default_tax_rate)?,
        default_tax_rate: p.default_tax_rate,
        receipt_header: text("receipt header", &p.receipt_header, MAX_BLOCK, false, MAX_LINES)?,
        receipt_footer: text("receipt footer", &p.receipt_footer, MAX_BLOCK, false, MAX_LINES)?,
        time_zone: time_zone(&p.time_zone)?,
        till_name: text("till's name", &p.till_name, 40, true, 1)?,
    })
}

/// The shop profile stored in a till's database, once saved (for tools that read a till's files
/// without opening the till, such as `tillctl printer test`).
pub fn stored_profile(store: &till_store::Store) -> Result<Option<ShopProfile>> {
    match store.setting(SETTING)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| PosError::Internal(format!("the stored shop profile does not read: {e}"))),
    }
}

impl Pos {
    /// The shop profile, once saved.
    pub(crate) fn shop_profile(&self) -> Result<Option<ShopProfile>> {
        stored_profile(&self.store)
    }

    /// The shop's lines at the head of a report or a PDF: name, address, tax id, receipt header
    /// and the till's name, then a blank line; nothing on a till without a profile (demo).
    pub(crate) fn shop_heading(&self) -> Result<Vec<String>> {
        let Some(p) = self.shop_profile()? else { return Ok(Vec::new()) };
        let mut lines = vec![p.name.clone()];
        lines.extend(p.address.lines().map(str::to_string));
        if !p.tax_id.is_empty() {
            lines.push(format!("Tax id {}", p.tax_id));
        }
        lines.extend(p.receipt_header.lines().map(str::to_string));
        lines.push(p.till_name.clone());
        lines.push(String::new());
        Ok(lines)
    }

    /// Saves the shop profile (owners and installers). Bad input changes nothing; the currency
    /// cannot change once the till has sold anything.
    pub fn shop_profile_set(&self, token: &SessionToken, profile: ShopProfile) -> Result<ShopProfile> {
        let s = self.authorize(token, Command::ShopProfileSet)?;
        self.save_shop_profile(Some(s.user_id), profile)
    }

    /// The setup's first step: saves the shop profile with no session, while the till has no
    /// users yet (outside demo mode).
    pub fn setup_shop_save(&self, profile: ShopProfile) -> Result<ShopProfile> {
        self.check_bootstrap_open()?;
        self.save_shop_profile(None, profile)
    }

    fn save_shop_profile(&self, actor: Option<i64>, profile: ShopProfile) -> Result<ShopProfile> {
        let profile = validate(&profile)?;
        let currency = Currency::parse(&profile.currency).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        let text = serde_json::to_string(&profile).map_err(|e| PosError::Internal(e.to_string()))?;
        let now = self.now_ms();
        self.store.write(|tx| {
            let sold: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM orders)", [], |r| r.get(0))
                .map_err(till_store::StoreError::from)?;
            if sold && currency != self.currency() {
                return Err(till_store::StoreError::Conflict(format!(
                    "the till has sold in {}; its currency cannot change",
                    self.currency().code()
                )));
            }
            settings::put(tx, SETTING, &text)?;
            audit::append(
                tx,
                now,
                actor,
                "shop.profile_saved",
                &json!({ "name": profile.name, "currency": profile.currency }),
            )
        })?;
        self.set_currency(currency);
        tracing::info!(shop = %profile.name, till = %profile.till_name, "shop profile saved");
        Ok(profile)
    }
}

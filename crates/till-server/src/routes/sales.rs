//! `POST /v1/sales`: a completed order with its line codes (CN102982479A) and the identifiers of
//! the devices sold on its lines, which become the sold-data list (CN103310370A).

use super::line_origins::{self, LineOriginsRecorded, OriginLine};
use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{LineRecord, OrderRecord, PaymentRecord, SoldDeviceRecord, Tx};
use crate::scope::Scope;
use crate::state::Ctx;
use crate::wire::{check_text, is_masked_pan, AmountCheck};
use std::collections::HashSet;
use till_core::{Currency, LineCode, LineOrigin, Money};

/// Most lines one order may have.
pub const MAX_LINES: usize = 1_000;

// The request and answer bodies are till-api's, shared with the till's sync worker.
pub use till_api::sales::{DeviceIn, DeviceKind, SaleLine, SalePayment, SaleRecorded, SaleRequest, TenderKind};

/// Normalises a device identifier: upper case, without spaces and hyphens; checks its form.
pub fn normalise_identifier(kind: DeviceKind, raw: &str) -> Result<String, ApiError> {
    let id: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect::<String>().to_ascii_uppercase();
    let digits = |n: std::ops::RangeInclusive<usize>| n.contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    let hexes = |n: usize| id.len() == n && id.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = match kind {
        DeviceKind::Imei => digits(14..=16),
        DeviceKind::Meid => hexes(14),
        DeviceKind::Esn => hexes(8) || digits(11..=11),
        DeviceKind::Sn => {
            (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
        }
    };
    if ok {
        Ok(id)
    } else {
        Err(ApiError::InvalidRequest(format!("{raw:?} is not a valid {} identifier", kind.name())))
    }
}

struct Checked {
    currency: Currency,
    total: Money,
    lines: Vec<(LineCode, Money, Money)>,
    origins: Vec<Option<LineOrigin>>,
    devices: Vec<Vec<String>>,
    payments: Vec<Money>,
}

fn check(req: &SaleRequest) -> Result<Checked, ApiError> {
    check_text("order_id", &req.order_id, 64)?;
    check_text("store", &req.store, 64)?;
    if let Some(c) = &req.customer_id {
        check_text("customer_id", c, 64)?;
    }
    if let Some(k) = &req.checkout_key {
        if k.len() != 32 || !k.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::InvalidRequest("checkout_key is 32 hex digits".into()));
        }
    }
    let currency = Currency::parse(&req.currency)?;
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(ApiError::InvalidRequest(format!("an order has 1 to {MAX_LINES} lines")));
    }
    let same = |m: Money| {
        if m.currency() == currency {
            Ok(m)
        } else {
            Err(ApiError::CurrencyMismatch(format!("{} in an order in {}", m.currency(), currency)))
        }
    };
    let mut codes = HashSet::new();
    let mut identifiers = HashSet::new();
    let mut lines = Vec::with_capacity(req.lines.len());
    let mut origins = Vec::with_capacity(req.lines.len());
    let mut devices = Vec::with_capacity(req.lines.len());
    for line in &req.lines {
        let code = LineCode::parse(&line.line_code)?;
        if !codes.insert(code.clone()) {
            return Err(ApiError::InvalidRequest(format!("line code {code} appears twice")));
        }
        check_text("sku", &line.sku, 64)?;
        check_text("name", &line.name, 200)?;
        if let Some(s) = &line.seller {
            check_text("seller", s, 64)?;
        }
        if !(1..=1_000_000).contains(&line.quantity) {
            return Err(ApiError::InvalidRequest(format!("quantity {} is not 1 to 1000000", line.quantity)));
        }
        let unit = same(line.unit_price.to_money()?)?;
        let total = same(line.total.to_money()?)?;
        unit.checked_mul(line.quantity)?;
        if line.devices.len() as i64 > line.quantity {
            return Err(ApiError::InvalidRequest(format!("line {code} lists more devices than its quantity")));
        }
        let mut ids = Vec::with_capacity(line.devices.len());
        for d in &line.devices {
            // The identifier never travels in clear: its blind names it, its sealed form is
            // opened (and its form checked) in `record`, where the key is at hand.
            super::device_services::check_blind(&d.blind)?;
            check_text("sealed", &d.sealed, 200)?;
            if let Some(s) = &d.software {
                check_text("software", s, 200)?;
            }
            if let Some(m) = d.warranty_months {
                if !(0..=240).contains(&m) {
                    return Err(ApiError::InvalidRequest("warranty_months is 0 to 240".into()));
                }
            }
            if !identifiers.insert(d.blind.clone()) {
                return Err(ApiError::InvalidRequest(format!("device {} appears twice", d.blind)));
            }
            ids.push(d.blind.clone());
        }
        let origin = line
            .origin
            .as_ref()
            .map(|o| LineOrigin::parse(&o.kind, &o.reference))
            .transpose()
            .map_err(|e| ApiError::InvalidRequest(format!("line {code}: {e}")))?;
        lines.push((code, unit, total));
        origins.push(origin);
        devices.push(ids);
    }
    let mut payments = Vec::with_capacity(req.payments.len());
    let mut payment_ids = HashSet::new();
    for p in &req.payments {
        let amount = same(p.amount.to_money()?)?;
        match (&p.masked_pan, p.tender) {
            (Some(m), _) if !is_masked_pan(m) => return Err(ApiError::PanNotMasked),
            (None, TenderKind::Card) => {
                return Err(ApiError::InvalidRequest("a card payment needs its masked_pan".into()));
            }
            _ => {}
        }
        check_payment_code(p)?;
        if let Some(a) = &p.auth_code {
            check_text("auth_code", a, 32)?;
        }
        if let Some(id) = &p.payment_id {
            if !matches!(p.tender, TenderKind::Card | TenderKind::PaymentCode) {
                return Err(ApiError::InvalidRequest(
                    "payment_id goes with card and payment-code payments only".into(),
                ));
            }
            till_core::PaymentId::parse(id).map_err(|_| {
                ApiError::InvalidRequest("payment_id must be 1 to 64 characters without control characters".into())
            })?;
            if !payment_ids.insert(id.as_str()) {
                return Err(ApiError::InvalidRequest(format!("payment {id} appears twice")));
            }
        }
        payments.push(amount);
    }
    let total = Money::sum(currency, lines.iter().map(|l| l.2))?;
    let paid = Money::sum(currency, payments.iter().copied())?;
    if paid != total {
        return Err(ApiError::InvalidRequest(format!(
            "payments add up to {} minor units but the lines to {}",
            paid.minor(),
            total.minor()
        )));
    }
    Ok(Checked { currency, total, lines, origins, devices, payments })
}

/// A payment-code payment names its wallet and its code masked (first four and last four digits
/// at most) and the payment id it was charged under; no other tender carries them.
fn check_payment_code(p: &SalePayment) -> Result<(), ApiError> {
    let is_code = p.tender == TenderKind::PaymentCode;
    if !is_code {
        return match (&p.wallet, &p.masked_code) {
            (None, None) => Ok(()),
            _ => Err(ApiError::InvalidRequest("wallet and masked_code go with payment_code payments only".into())),
        };
    }
    let (Some(wallet), Some(masked), Some(_)) = (&p.wallet, &p.masked_code, &p.payment_id) else {
        return Err(ApiError::InvalidRequest(
            "a payment_code payment needs its wallet, masked_code and payment_id".into(),
        ));
    };
    till_core::Wallet::parse(wallet).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let clear = masked.bytes().filter(u8::is_ascii_digit).count();
    if !(16..=24).contains(&masked.len()) || clear > 8 || !masked.bytes().all(|b| b.is_ascii_digit() || b == b'*') {
        return Err(ApiError::InvalidRequest("masked_code shows at most its first four and last four digits".into()));
    }
    Ok(())
}

/// Checks a sale without touching storage.
pub fn validate(req: &SaleRequest) -> Result<(), ApiError> {
    check(req).map(|_| ())
}

/// Stores the sale: order, lines, payments and sold devices, all or nothing.
pub fn record(tx: &mut dyn Tx, ctx: &Ctx, req: &SaleRequest) -> Result<Reply, ApiError> {
    let c = check(req)?;
    let terminal = ctx.terminal_id.as_str();
    if tx.order_exists(terminal, &req.order_id)? {
        return Err(ApiError::OrderExists(req.order_id.clone()));
    }
    for (code, _, _) in &c.lines {
        if tx.line(code.as_str())?.is_some() {
            return Err(ApiError::LineCodeExists(code.to_string()));
        }
    }
    // Each sealed identifier must open under the platform's key and be the device its blind
    // names, in the form of its kind (what the clear identifier was checked for before).
    let key = if c.devices.iter().any(|d| !d.is_empty()) { Some(tx.device_identifier_key()?) } else { None };
    // The sold-data list is the merchant's: another merchant may have sold the same device.
    let scope = Scope::of_terminal(tx, terminal)?;
    for (line, blinds) in req.lines.iter().zip(&c.devices) {
        for (d, blind) in line.devices.iter().zip(blinds) {
            if let Some(key) = &key {
                super::device_services::open_checked(key, d.kind, &d.sealed, blind)?;
            }
            if scope.sold_device(tx, blind)?.is_some_and(|d| !d.refunded) {
                return Err(ApiError::DeviceAlreadySold(blind.clone()));
            }
        }
    }
    // One authorisation backs one sale's payment: two sales naming it could be refunded twice.
    for id in req.payments.iter().filter_map(|p| p.payment_id.as_ref()) {
        if tx.payment_id_recorded(terminal, id)? {
            return Err(ApiError::PaymentRecorded(id.clone()));
        }
    }
    // The paying account of a device: the card that paid (masked), else the main tender.
    let paying_account = req
        .payments
        .iter()
        .find_map(|p| p.masked_pan.clone())
        .or_else(|| {
            req.payments
                .iter()
                .zip(&c.payments)
                .max_by_key(|(_, m)| m.minor())
                .map(|(p, _)| p.tender.name().to_string())
        })
        .unwrap_or_else(|| "none".to_string());
    let currency = c.currency.code().to_string();
    tx.insert_order(&OrderRecord {
        terminal_id: terminal.to_string(),
        order_id: req.order_id.clone(),
        store: req.store.clone(),
        currency: currency.clone(),
        total_minor: c.total.minor(),
        customer_id: req.customer_id.clone(),
        checkout_key: req.checkout_key.as_ref().map(|k| k.to_ascii_lowercase()),
        created_at: req.created_at,
        recorded_at: ctx.now,
    })?;
    scope.order_recorded(tx, terminal, &req.order_id)?;
    let mut device_count = 0;
    for (i, ((line, (code, unit, total)), ids)) in req.lines.iter().zip(&c.lines).zip(&c.devices).enumerate() {
        tx.insert_line(&LineRecord {
            line_code: code.as_str().to_string(),
            terminal_id: terminal.to_string(),
            order_id: req.order_id.clone(),
            line_no: i as i64 + 1,
            sku: line.sku.clone(),
            name: line.name.clone(),
            quantity: line.quantity,
            unit_price_minor: unit.minor(),
            total_minor: total.minor(),
            currency: currency.clone(),
            seller: line.seller.clone(),
            refunded_minor: 0,
        })?;
        // A device's price is its share of what the line paid: the unit price, but never more
        // than the line total (a discounted line refunds at most what was paid).
        let price = unit.minor().min(total.minor());
        for (device, id) in line.devices.iter().zip(ids) {
            scope.insert_sold_device(
                tx,
                &SoldDeviceRecord {
                    blind: id.clone(),
                    identifier_sealed: device.sealed.clone(),
                    warranty_months: device.warranty_months,
                    kind: device.kind.name().to_string(),
                    line_code: code.as_str().to_string(),
                    terminal_id: terminal.to_string(),
                    order_id: req.order_id.clone(),
                    store: req.store.clone(),
                    price_minor: price,
                    currency: currency.clone(),
                    paying_account: paying_account.clone(),
                    software: device.software.clone(),
                    sold_at: req.created_at,
                    refunded: false,
                },
            )?;
            device_count += 1;
        }
    }
    for (i, (p, amount)) in req.payments.iter().zip(&c.payments).enumerate() {
        tx.insert_payment(&PaymentRecord {
            terminal_id: terminal.to_string(),
            order_id: req.order_id.clone(),
            seq: i as i64 + 1,
            tender: p.tender.name().to_string(),
            amount_minor: amount.minor(),
            currency: currency.clone(),
            // A payment code's masked form stands where a card's masked number does: the account
            // a refund goes back to.
            masked_pan: p.masked_pan.clone().or_else(|| p.masked_code.clone()),
            auth_code: p.auth_code.clone(),
            payment_id: p.payment_id.clone(),
        })?;
    }
    let origin_lines: Vec<OriginLine> = c
        .lines
        .iter()
        .zip(&c.origins)
        .filter_map(|((code, _, total), origin)| {
            origin.clone().map(|origin| OriginLine {
                line_code: code.as_str().to_string(),
                origin,
                total_minor: total.minor(),
                currency: currency.clone(),
            })
        })
        .collect();
    if !origin_lines.is_empty() {
        line_origins::recorded(
            tx,
            &LineOriginsRecorded {
                terminal_id: terminal.to_string(),
                order_id: req.order_id.clone(),
                store: req.store.clone(),
                lines: origin_lines,
                now: ctx.now,
            },
        )?;
    }
    Reply::json(
        201,
        &SaleRecorded {
            order_id: req.order_id.clone(),
            lines: c.lines.len(),
            devices: device_count,
            total: c.total.into(),
            recorded_at: ctx.now,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_normalised_and_checked() {
        assert_eq!(normalise_identifier(DeviceKind::Imei, "35-209900-176148-1").unwrap(), "352099001761481");
        assert!(normalise_identifier(DeviceKind::Imei, "35209900").is_err());
        assert_eq!(normalise_identifier(DeviceKind::Meid, "a0000000002329").unwrap(), "A0000000002329");
        assert!(normalise_identifier(DeviceKind::Esn, "zz").is_err());
        assert_eq!(normalise_identifier(DeviceKind::Sn, "c02xk1 abjg5h").unwrap(), "C02XK1ABJG5H");
        assert!(normalise_identifier(DeviceKind::Sn, "").is_err());
    }
}

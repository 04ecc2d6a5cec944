//! One generated customer: a cart rung up and paid as at the counter, written by the till's own
//! checkout ([`crate::checkout::write_sale`]), and now and then brought back and refunded by the
//! till's own refund code ([`crate::refunds::write_refund`]).

use super::calendar::{DAY_MS, HOUR_MS};
use super::GenerateReport;
use crate::checkout::{write_sale, PointsChange, SaleLoyalty};
use crate::refunds::{write_refund, NewRefund};
use crate::Result;
use rand::rngs::StdRng;
use rand::Rng;
use rusqlite::Transaction;
use sha2::{Digest, Sha256};
use till_core::{
    CardBrand, CardPayment, Cart, CashPayment, Currency, DeviceIdentifier, MaskedPan, Money, NewOrder, Payment,
    PaymentId, Product,
};

const REASONS: &[&str] = &["damaged", "wrong size", "changed mind", "faulty", "expired", "duplicate sale"];
/// First six digits of the cards customers pay with.
const BINS: &[&str] = &["622202", "411111", "555555"];

/// What every sale of a run shares.
pub(super) struct Ctx<'a> {
    pub currency: Currency,
    pub serialised: &'a [Product],
    pub plain: &'a [Product],
    pub cashiers: &'a [i64],
    pub customers: u64,
    /// No refund is dated after this (the end of the generated period).
    pub end_ms: i64,
    /// The till's keyed hash of a card number.
    pub pan_hash: &'a dyn Fn(&str) -> String,
}

/// 16 random bytes, hex: the till's event ids, cart ids and refund keys look like this.
fn random_hex(rng: &mut StdRng) -> String {
    format!("{:016x}{:016x}", rng.gen::<u64>(), rng.gen::<u64>())
}

fn imei(rng: &mut StdRng) -> String {
    let payload = format!("35{:012}", rng.gen_range(0..1_000_000_000_000u64));
    with_check_digit(payload)
}

/// A loyalty account as the points server names it (32 hex digits), one of `customers`.
fn customer_ref(rng: &mut StdRng, customers: u64) -> String {
    let n = rng.gen_range(1..=customers);
    let digest = Sha256::digest(n.to_be_bytes());
    hex::encode(&digest[..16])
}

/// A card payment as the till stores it: the number is made up, masked and hashed, and dropped.
fn card(ctx: &Ctx<'_>, rng: &mut StdRng) -> Result<CardPayment> {
    let body = format!("{}{:09}", BINS[rng.gen_range(0..BINS.len())], rng.gen_range(0..1_000_000_000u64));
    let pan = with_check_digit(body);
    let small = rng.gen_bool(0.2);
    Ok(CardPayment {
        masked_pan: MaskedPan::from_pan(&pan)?,
        pan_hash: (ctx.pan_hash)(&pan),
        brand: CardBrand::from_bin(&pan),
        auth_code: format!("{:06}", rng.gen_range(0..1_000_000)),
        // Named after the checkout key once it is drawn (see `sell`).
        payment_id: None,
        reader: "sim://card-reader".into(),
        entry_mode: "magstripe".into(),
        cvm: if small { "none" } else { "pin" }.into(),
        signature_svg: None,
    })
}

fn cart(ctx: &Ctx<'_>, rng: &mut StdRng) -> Result<Cart> {
    let mut cart = Cart::new(ctx.currency);
    let n_lines = match rng.gen_range(0..100) {
        0..=34 => 1,
        35..=64 => 2,
        65..=82 => 3,
        83..=92 => 4,
        _ => 5,
    };
    for _ in 0..n_lines {
        let serial = !ctx.serialised.is_empty() && (ctx.plain.is_empty() || rng.gen_bool(0.01));
        if serial {
            let p = &ctx.serialised[rng.gen_range(0..ctx.serialised.len())];
            let line = cart.add(p, 1)?;
            // A made-up IMEI may, rarely, already be in the cart; the next draw is as good.
            let mut tries = 0;
            while let Err(e) = cart.set_device(line, DeviceIdentifier::parse(&imei(rng))?) {
                tries += 1;
                if tries > 3 {
                    return Err(e.into());
                }
            }
        } else {
            // Skewed: the first products of the list sell far more often than the last.
            let u: f64 = rng.gen();
            let p = &ctx.plain[((u * u) * ctx.plain.len() as f64) as usize % ctx.plain.len()];
            let qty = match rng.gen_range(0..10) {
                0..=6 => 1,
                7 | 8 => 2,
                _ => 3,
            };
            cart.add(p, qty)?;
        }
    }
    Ok(cart)
}

/// Rings up, pays and records one sale at `at`; about 3 % are refunded, in part or whole.
pub(super) fn sell(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    rng: &mut StdRng,
    at: i64,
    r: &mut GenerateReport,
) -> Result<()> {
    let cashier = ctx.cashiers[rng.gen_range(0..ctx.cashiers.len())];
    let customer = rng.gen_bool(0.35).then(|| customer_ref(rng, ctx.customers));
    let cart = cart(ctx, rng)?;
    let total = cart.totals()?.total;
    // Points pay a fifth of some loyalty customers' orders; the rest is cash or card.
    let points_paid = match &customer {
        Some(_) if total.minor() >= 1_000 && rng.gen_bool(0.08) => total.minor() / 5,
        _ => 0,
    };
    let due = Money::new(total.minor() - points_paid, ctx.currency);
    let mut payment = if rng.gen_bool(0.55) {
        Payment::Card(card(ctx, rng)?)
    } else {
        // Customers hand over round notes more often than the exact amount.
        let tendered = if rng.gen_bool(0.3) { due.minor() } else { (due.minor() + 999) / 1_000 * 1_000 };
        Payment::Cash(CashPayment::take(due, Money::new(tendered, ctx.currency))?)
    };
    let checkout_key = random_hex(rng);
    // A payment id like a till's, from the checkout key so the generated history stays the
    // same for a seed. No platform authorised it: a server refuses its card refunds unless it
    // holds an approved authorisation of that id (the sync test gives it one).
    if let Payment::Card(c) = &mut payment {
        c.payment_id = Some(PaymentId::parse(&format!("pay-{checkout_key}"))?);
    }
    let order = NewOrder::from_cart(&cart, payment, checkout_key, cashier, at, rng)?;
    // The account is on the order and its events, but no points move: a points change needs a
    // loyalty token the points server can check, which a generated customer's phone never
    // made, so a redemption is a points tender of zero points (nothing for the ledger).
    let loyalty = customer.map(|customer_ref| SaleLoyalty {
        customer_ref,
        redeem: (points_paid > 0).then(|| {
            let none = PointsChange { event_id: String::new(), points: 0, token_hex: String::new() };
            (none, Money::new(points_paid, ctx.currency))
        }),
        earn: None,
        redeem_first: true,
    });
    let event_id = random_hex(rng);
    let sale = write_sale(tx, &order, &event_id, None, loyalty.as_ref(), false, &|_| Ok(()))?;
    r.orders += 1;
    r.lines += order.lines.len() as u64;
    r.payments += 1 + u64::from(points_paid > 0);
    r.events += 1;

    if rng.gen_bool(0.03) {
        refund(tx, ctx, rng, sale.order_id, &order, r)?;
    }
    Ok(())
}

/// Brings some of `order` back: every line (40 %), else a random choice of lines and units.
fn refund(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    rng: &mut StdRng,
    order_id: i64,
    order: &NewOrder,
    r: &mut GenerateReport,
) -> Result<()> {
    let ids: Vec<i64> = tx
        .prepare_cached("SELECT id FROM order_lines WHERE order_id = ?1 ORDER BY line_no")?
        .query_map([order_id], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let whole = rng.gen_bool(0.4);
    let last = ids.len().saturating_sub(1);
    let mut lines = Vec::with_capacity(ids.len());
    for (i, (id, line)) in ids.iter().zip(&order.lines).enumerate() {
        if whole || rng.gen_bool(0.5) || (lines.is_empty() && i == last) {
            let q = if whole { line.quantity } else { rng.gen_range(1..=line.quantity) };
            lines.push((*id, q));
        }
    }
    let later = order.created_at_ms + rng.gen_range(HOUR_MS..10 * DAY_MS);
    let refund = NewRefund {
        order_id,
        event_ids: (0..lines.len() + 2).map(|_| random_hex(rng)).collect(),
        lines,
        reason: REASONS[rng.gen_range(0..REASONS.len())].into(),
        evidence_sha256: None,
        photo: None,
        cashier_id: ctx.cashiers[rng.gen_range(0..ctx.cashiers.len())],
        approved_by: None,
        approval: "policy".into(),
        customer_ref: None,
        key: random_hex(rng),
        decisions: Vec::new(),
        decided_offline: false,
        now_ms: later.min(ctx.end_ms).max(order.created_at_ms),
    };
    let recorded = write_refund(tx, &refund)?;
    r.refunds += 1;
    r.events += refund.lines.len() as u64;
    debug_assert_eq!(recorded.points_reversed + recorded.points_returned, 0);
    Ok(())
}

/// `digits` (ASCII digits, as generated here) followed by their Luhn check digit.
fn with_check_digit(digits: String) -> String {
    let values: Vec<u8> = digits.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    let check = till_core::luhn::check_digit(&values);
    format!("{digits}{check}")
}

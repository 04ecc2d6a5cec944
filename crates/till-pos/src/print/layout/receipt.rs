//! A sale's receipt as a printout.

use super::labels::Lang;
use super::{head, line_name, rate, shop_footer, time};
use crate::ipc::setup::ShopProfile;
use crate::ipc::views::{Receipt, Tender};
use till_devices::printer::{Align, PaperWidth, PrintDoc, TextSize};

/// The receipt `r` of the shop `shop` in `lang` on `width` paper; `reprint` puts the reprint
/// banner at the top and the bottom.
pub fn receipt(r: &Receipt, shop: Option<&ShopProfile>, lang: Lang, width: PaperWidth, reprint: bool) -> PrintDoc {
    let l = lang.labels();
    let mut doc = head(shop, l, width, reprint);
    doc.pair(l.order, &r.order_no, true);
    doc.pair(l.time, &time(r.created_at_ms, shop), false);
    doc.pair(l.cashier, &r.cashier_name, false);
    if let Some(till) = shop.map(|s| s.till_name.trim()).filter(|t| !t.is_empty()) {
        doc.pair(l.till, till, false);
    }
    doc.rule();
    for line in &r.lines {
        doc.text(line_name(lang, &line.name, line.name_zh.as_deref()), Align::Left);
        doc.pair(
            &format!("{} x {}", line.quantity, line.unit_price.major_units()),
            &line.line_total.major_units(),
            false,
        );
        if let Some(device) = &line.device {
            doc.text(&format!("{} {device}", l.device), Align::Left);
        }
        doc.text(&format!("{} {}", l.line_code, line.line_code), Align::Left);
        doc.qr(&line.line_code);
    }
    doc.rule();
    for t in &r.tax_lines {
        doc.pair(
            &format!("{} {}  {} {}", l.tax, rate(t.rate_bp), l.net, t.net.major_units()),
            &t.tax.major_units(),
            false,
        );
    }
    doc.pair(l.subtotal, &r.subtotal.major_units(), false);
    doc.pair(l.tax, &r.tax.major_units(), false);
    doc.pair(l.total, &r.total.to_string(), true);
    doc.rule();
    let p = &r.payment;
    match p.tender {
        Tender::Cash => {
            doc.pair(l.cash, &p.amount.major_units(), false);
            if let Some(t) = p.tendered {
                doc.pair(l.tendered, &t.major_units(), false);
            }
            if let Some(c) = p.change {
                doc.pair(l.change, &c.major_units(), false);
            }
        }
        Tender::Card => {
            let brand = p.card_brand.as_deref().unwrap_or_default();
            doc.pair(format!("{} {brand}", l.card).trim(), &p.amount.major_units(), false);
            if let Some(masked) = &p.card_masked {
                doc.text(masked, Align::Left);
            }
            if let Some(code) = &p.auth_code {
                doc.pair(l.approval, code, false);
            }
            if p.offline_approval {
                doc.styled(l.offline_approval, Align::Left, true, TextSize::Normal);
            }
        }
        Tender::Points => {
            doc.pair(l.points_paid, &p.amount.major_units(), false);
        }
        // The method by name (the wallet), the code masked, the platform's reference.
        Tender::PaymentCode => {
            let brand = p.card_brand.as_deref().unwrap_or_default();
            doc.pair(super::wallet(l, brand).unwrap_or(brand), &p.amount.major_units(), false);
            if let Some(masked) = &p.card_masked {
                doc.text(masked, Align::Left);
            }
            if let Some(reference) = &p.auth_code {
                doc.pair(l.platform_ref, reference, false);
            }
        }
    }
    if let Some(points) = r.points_paid.filter(|_| p.tender != Tender::Points) {
        doc.pair(l.points_paid, &points.major_units(), false);
    }
    if let Some(pts) = &r.points {
        doc.rule();
        doc.pair(l.member, &pts.account_short, false);
        if pts.earned != 0 {
            doc.pair(l.earned, &pts.earned.to_string(), false);
        }
        if pts.redeemed != 0 {
            doc.pair(l.redeemed, &pts.redeemed.to_string(), false);
        }
        match pts.balance {
            Some(b) => doc.pair(l.balance, &b.to_string(), false),
            None => doc.pair(l.balance, l.pending, false),
        };
        if let Some(level) = &pts.level {
            doc.pair(l.level, level, false);
        }
        for promo in &pts.promotions {
            doc.text(promo, Align::Left);
        }
    }
    shop_footer(&mut doc, shop);
    if reprint {
        doc.styled(l.reprint, Align::Centre, true, TextSize::Normal);
        doc.feed(1);
    }
    doc
}

//! A refund's receipt as a printout.

use super::labels::Lang;
use super::{head, line_name, shop_footer, tender, time};
use crate::ipc::refund::RefundReceipt;
use crate::ipc::setup::ShopProfile;
use till_devices::printer::{Align, PaperWidth, PrintDoc, TextSize};

/// The refund receipt `r` in `lang` on `width` paper; `reprint` adds the reprint banner.
pub fn refund(r: &RefundReceipt, shop: Option<&ShopProfile>, lang: Lang, width: PaperWidth, reprint: bool) -> PrintDoc {
    let l = lang.labels();
    let mut doc = head(shop, l, width, reprint);
    doc.styled(l.refund, Align::Centre, true, TextSize::Double);
    doc.pair(l.refund_no, &r.refund_no, true);
    doc.pair(l.sale, &r.order_no, false);
    doc.pair(l.time, &time(r.created_at_ms, shop), false);
    doc.rule();
    for line in &r.lines {
        doc.text(line_name(lang, &line.name, line.name_zh.as_deref()), Align::Left);
        doc.pair(&format!("{} x", line.quantity), &format!("-{}", line.amount.major_units()), false);
        if let Some(device) = &line.device {
            doc.text(&format!("{} {device}", l.device), Align::Left);
        }
        match line.state.status.as_str() {
            "awaiting_seller" => {
                doc.text(l.awaiting_seller, Align::Left);
            }
            "refused" => {
                doc.text(l.line_refused, Align::Left);
            }
            _ => {}
        }
    }
    doc.rule();
    doc.pair(l.tax, &format!("-{}", r.tax.major_units()), false);
    // What went back is what the decision approved; what waits for the seller is apart.
    let approved: i64 = r.lines.iter().filter(|x| x.state.status == "approved").map(|x| x.amount.minor()).sum();
    let approved = till_core::Money::new(approved, r.amount.currency());
    doc.pair(l.paid_back, &format!("{} -{}", r.amount.currency(), approved.major_units()), true);
    if r.awaiting_seller.minor() > 0 {
        doc.pair(l.awaiting_total, &format!("-{}", r.awaiting_seller.major_units()), false);
    }
    if r.to_pay_out.minor() > 0 {
        doc.pair(l.to_pay_out, &format!("-{}", r.to_pay_out.major_units()), false);
    }
    let back_to = match r.tender.as_str() {
        "card" => format!("{} {}", l.card, r.card_masked.as_deref().unwrap_or_default()).trim().to_string(),
        "payment_code" => r.card_masked.clone().unwrap_or_default(),
        other => tender(l, other).to_string(),
    };
    doc.pair(l.back_to, &back_to, false);
    doc.pair(l.reason, &r.reason, false);
    if let Some(by) = &r.approved_by {
        doc.pair(l.approved_by, by, false);
    }
    if r.decided_offline {
        doc.text(l.decided_offline, Align::Left);
    }
    // A slip printed after a pay-out: every cash line approved has left the drawer now.
    if paid_out(r) {
        doc.styled(l.paid_out, Align::Centre, true, TextSize::Normal);
    }
    if r.points_reversed != 0 {
        doc.pair(l.points_reversed, &r.points_reversed.to_string(), false);
    }
    if r.points_returned != 0 {
        doc.pair(l.points_returned, &r.points_returned.to_string(), false);
    }
    shop_footer(&mut doc, shop);
    if reprint {
        doc.styled(l.reprint, Align::Centre, true, TextSize::Normal);
        doc.feed(1);
    }
    doc
}

/// Whether the refund was paid out after the seller confirmed it (a line decided by the seller
/// is paid, and nothing is left to pay out).
fn paid_out(r: &RefundReceipt) -> bool {
    r.tender == "cash"
        && r.to_pay_out.minor() == 0
        && r.lines.iter().any(|x| x.state.decision.as_deref() == Some("seller") && x.state.paid)
}

//! X and Z reports as printouts: the same figures as the back office's report and its PDF
//! (`till_store::reports`), in the cashier's language.

use super::labels::Lang;
use super::{rate, shop_header, tender, time};
use crate::ipc::setup::ShopProfile;
use till_devices::printer::{Align, PaperWidth, PrintDoc, TextSize};
use till_store::{DayReport, ReportKind};

/// The report `r` in `lang` on `width` paper.
pub fn report(r: &DayReport, shop: Option<&ShopProfile>, lang: Lang, width: PaperWidth) -> PrintDoc {
    let l = lang.labels();
    let mut doc = PrintDoc::new(width);
    shop_header(&mut doc, shop, l);
    doc.rule();
    let title = match r.kind {
        ReportKind::X => l.x_report,
        ReportKind::Z => l.z_report,
    };
    doc.styled(title, Align::Centre, true, TextSize::Double);
    if let Some(date) = &r.business_date {
        doc.pair(l.business_date, date, true);
    }
    if let Some(id) = r.close_id {
        doc.pair(l.close_no, &id.to_string(), false);
    }
    doc.pair(l.from, &time(r.from_ms, shop), false);
    doc.pair(l.to, &time(r.to_ms, shop), false);
    doc.pair(l.made, &time(r.generated_at_ms, shop), false);
    if let Some(by) = &r.closed_by {
        doc.pair(l.closed_by, by, false);
    }
    doc.rule();
    doc.pair(l.orders, &r.orders.to_string(), false);
    doc.pair(l.sales, &r.sales.major_units(), false);
    doc.pair(&format!("{} ({})", l.refunds, r.refunds_count), &r.refunds.major_units(), false);
    doc.pair(l.net_total, &r.net.to_string(), true);
    doc.rule();
    doc.text(l.by_tender, Align::Left);
    for t in &r.tenders {
        let name = tender(l, &t.tender);
        doc.pair(&format!("{name} ({})", t.count), &t.sales.major_units(), false);
        doc.pair(&format!("{name} {}", l.refunds_part), &t.refunds.major_units(), false);
        doc.pair(&format!("{name} {}", l.net), &t.net.major_units(), false);
    }
    doc.text(l.by_tax, Align::Left);
    for t in &r.taxes {
        let r = rate(t.rate_bp);
        doc.pair(&format!("{r} {}", l.net), &t.net.major_units(), false);
        doc.pair(&format!("{r} {}", l.tax), &t.tax.major_units(), false);
        doc.pair(&format!("{r} {}", l.gross), &t.gross.major_units(), false);
        doc.pair(&format!("{r} {}", l.tax_refunded), &t.refunds_tax.major_units(), false);
    }
    doc.text(l.by_cashier, Align::Left);
    for c in &r.cashiers {
        doc.pair(&format!("{} ({})", c.name, c.orders), &c.sales.major_units(), false);
        doc.pair(&format!("{} {}", c.name, l.refunds_part), &c.refunds.major_units(), false);
    }
    doc.rule();
    doc.pair(l.points_issued, &r.points_issued.to_string(), false);
    doc.pair(l.points_redeemed, &r.points_redeemed.to_string(), false);
    doc.pair(l.cash_expected, &r.cash_expected.major_units(), false);
    if let Some(counted) = r.cash_counted {
        doc.pair(l.cash_counted, &counted.major_units(), false);
    }
    if let Some(diff) = r.cash_difference {
        doc.pair(l.difference, &diff.major_units(), true);
    }
    if !r.remote_refunds.is_empty() {
        doc.rule();
        doc.text(&format!("{} ({})", l.remote_refunds, l.no_drawer_money), Align::Left);
        for x in &r.remote_refunds {
            doc.pair(&format!("{} {}", x.refund_no, x.identifier), &x.amount.major_units(), false);
            doc.text(&format!("  {}", x.status), Align::Left);
        }
    }
    let zone = shop.map(|s| s.time_zone.as_str()).filter(|z| till_core::calendar::is_time_zone(z));
    doc.text(&format!("{} {}", l.times_in, zone.unwrap_or("UTC")), Align::Left);
    doc.feed(2);
    doc
}

//! Printouts as [`PrintDoc`]s: the sale's receipt, the refund receipt, X and Z reports, the
//! installer's test page, in English or Chinese, for 58 or 80 mm paper. Laid out here once, the
//! encoder turns them into ESC/POS and tests compare their plain text.
//!
//! Times print in the shop's time zone, as the screen shows them (`till_core::calendar::
//! local_minute`, IANA rules bundled); a till without a shop profile prints UTC, marked so.

pub mod labels;
pub mod receipt;
pub mod refund;
pub mod report;
pub mod service_order;
pub mod test_page;

use crate::ipc::setup::ShopProfile;
use labels::Labels;
use till_devices::printer::{Align, PaperWidth, PrintDoc, TextSize};

pub use labels::Lang;

/// A line's name in the printout's language: the Chinese name in Chinese when there is one.
pub(crate) fn line_name<'a>(lang: Lang, name: &'a str, name_zh: Option<&'a str>) -> &'a str {
    match (lang, name_zh) {
        (Lang::Zh, Some(zh)) if !zh.trim().is_empty() => zh,
        _ => name,
    }
}

/// A receipt's top: the reprint banner when it is one, the shop's heading, a rule.
pub(crate) fn head(shop: Option<&ShopProfile>, l: &Labels, width: PaperWidth, reprint: bool) -> PrintDoc {
    let mut doc = PrintDoc::new(width);
    if reprint {
        doc.styled(l.reprint, Align::Centre, true, TextSize::Normal);
    }
    shop_header(&mut doc, shop, l);
    doc.rule();
    doc
}

/// The shop's heading: name (large), address, tax id, the receipt header lines.
pub(crate) fn shop_header(doc: &mut PrintDoc, shop: Option<&ShopProfile>, l: &Labels) {
    let Some(shop) = shop else {
        doc.styled("Till", Align::Centre, true, TextSize::Double);
        return;
    };
    doc.styled(&shop.name, Align::Centre, true, TextSize::Double);
    for line in shop.address.lines().filter(|x| !x.trim().is_empty()) {
        doc.text(line.trim(), Align::Centre);
    }
    if !shop.tax_id.trim().is_empty() {
        doc.text(&format!("{} {}", l.tax_id, shop.tax_id.trim()), Align::Centre);
    }
    for line in shop.receipt_header.lines().filter(|x| !x.trim().is_empty()) {
        doc.text(line.trim(), Align::Centre);
    }
}

/// The shop's footer lines, then room for the tear.
pub(crate) fn shop_footer(doc: &mut PrintDoc, shop: Option<&ShopProfile>) {
    if let Some(shop) = shop {
        let lines: Vec<&str> = shop.receipt_footer.lines().filter(|x| !x.trim().is_empty()).collect();
        if !lines.is_empty() {
            doc.rule();
            for line in lines {
                doc.text(line.trim(), Align::Centre);
            }
        }
    }
    doc.feed(2);
}

/// A tax rate in basis points as `13%` or `6.5%`.
pub(crate) fn rate(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        let text = format!("{}.{:02}", bp / 100, bp % 100);
        format!("{}%", text.trim_end_matches('0'))
    }
}

/// A stored tender name (`cash`, `card`, `points`) in the printout's language.
pub(crate) fn tender<'a>(l: &'a Labels, name: &'a str) -> &'a str {
    match name {
        "cash" => l.cash,
        "card" => l.card,
        "points" => l.points,
        other => wallet(l, other).unwrap_or(other),
    }
}

/// A payment code's wallet (`wechat_pay`, `alipay`, `unionpay`) in the printout's language.
pub(crate) fn wallet<'a>(l: &'a Labels, name: &str) -> Option<&'a str> {
    match till_core::Wallet::parse(name).ok()? {
        till_core::Wallet::WeChatPay => Some(l.wallets[0]),
        till_core::Wallet::Alipay => Some(l.wallets[1]),
        till_core::Wallet::UnionPay => Some(l.wallets[2]),
    }
}

/// A time as the printouts show it: in the shop's time zone (the screen's), or in UTC, marked
/// so, when the till has no shop profile or the zone is unknown.
pub(crate) fn time(ms: i64, shop: Option<&ShopProfile>) -> String {
    shop.and_then(|s| till_core::calendar::local_minute(ms, &s.time_zone))
        .unwrap_or_else(|| till_core::calendar::utc_minute(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_short() {
        assert_eq!(rate(1300), "13%");
        assert_eq!(rate(650), "6.5%");
        assert_eq!(rate(0), "0%");
        assert_eq!(rate(1234), "12.34%");
    }
}

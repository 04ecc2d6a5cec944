//! The installer's test page: the shop's name, the paper and code page, a Chinese line and a
//! QR code, so one look says whether width, Chinese mode and QR codes are right.

use super::labels::Lang;
use super::{shop_header, time};
use crate::ipc::setup::ShopProfile;
use till_devices::printer::{Align, PrintDoc, PrinterSettings, TextSize};

/// What the QR code of the test page encodes.
pub const TEST_QR: &str = "TILL-PRINTER-TEST";

/// The test page for a printer set up as `settings`, made at `now_ms`.
pub fn test_page(shop: Option<&ShopProfile>, lang: Lang, settings: &PrinterSettings, now_ms: i64) -> PrintDoc {
    let l = lang.labels();
    let mut doc = PrintDoc::new(settings.width);
    shop_header(&mut doc, shop, l);
    doc.rule();
    doc.styled(l.printer_test, Align::Centre, true, TextSize::Double);
    doc.pair(l.paper, &format!("{} mm, {}", settings.width.millimetres(), settings.width.columns()), false);
    doc.pair(l.code_page, settings.code_page.as_str(), false);
    doc.pair(l.time, &time(now_ms, shop), false);
    doc.text(l.chinese_sample, Align::Left);
    doc.text(&"1234567890".repeat(settings.width.columns() / 10 + 1)[..settings.width.columns()], Align::Left);
    doc.qr(TEST_QR);
    doc.feed(2);
    doc
}

//! A service order's (repair intake's) receipt as a printout: the number the customer brings
//! back, the device, the fault and its state. Its words are here, not in `labels.rs`: they
//! belong to device services only.

use super::labels::Lang;
use super::{head, shop_footer, time};
use crate::ipc::setup::ShopProfile;
use till_devices::printer::{Align, PaperWidth, PrintDoc, TextSize};
use till_store::device_services::ServiceOrder;

struct Words {
    title: &'static str,
    number: &'static str,
    opened: &'static str,
    device: &'static str,
    product: &'static str,
    fault: &'static str,
    status: &'static str,
    taken_by: &'static str,
    warranty: &'static str,
    in_warranty: &'static str,
    out_of_warranty: &'static str,
    keep: &'static str,
    states: [&'static str; 4],
}

const EN: Words = Words {
    title: "REPAIR INTAKE",
    number: "Service order",
    opened: "Received",
    device: "Device",
    product: "Product",
    fault: "Fault",
    status: "Status",
    taken_by: "Taken by",
    warranty: "Warranty",
    in_warranty: "in warranty until",
    out_of_warranty: "expired on",
    keep: "Keep this receipt to collect your device.",
    states: ["Received", "In repair", "Ready", "Returned"],
};

const ZH: Words = Words {
    title: "维修受理单",
    number: "服务单号",
    opened: "受理时间",
    device: "设备",
    product: "商品",
    fault: "故障描述",
    status: "状态",
    taken_by: "受理人",
    warranty: "保修",
    in_warranty: "保修至",
    out_of_warranty: "已于此日过保",
    keep: "请凭此单取回设备。",
    states: ["已受理", "维修中", "待取机", "已取回"],
};

/// What the receipt says of the device's sale, when the till knows it.
#[derive(Debug, Clone, Default)]
pub struct SaleFacts {
    /// The product's name in the receipt's language.
    pub product: Option<String>,
    /// The warranty's end, ms since the epoch, and whether it is still running.
    pub warranty_end: Option<(i64, bool)>,
}

/// The receipt of service order `o` in `lang` on `width` paper.
pub fn service_order(
    o: &ServiceOrder,
    sale: &SaleFacts,
    shop: Option<&ShopProfile>,
    lang: Lang,
    width: PaperWidth,
) -> PrintDoc {
    let w = match lang {
        Lang::Zh => &ZH,
        _ => &EN,
    };
    let mut doc = head(shop, lang.labels(), width, false);
    doc.styled(w.title, Align::Centre, true, TextSize::Double);
    doc.pair(w.number, &o.service_no, true);
    doc.pair(w.opened, &time(o.opened_at_ms, shop), false);
    doc.rule();
    doc.pair(w.device, &o.identifier, false);
    if let Some(p) = &sale.product {
        doc.pair(w.product, p, false);
    }
    if let Some((end, running)) = sale.warranty_end {
        let day: String = time(end, shop).chars().take(10).collect();
        let words = if running { w.in_warranty } else { w.out_of_warranty };
        doc.pair(w.warranty, &format!("{words} {day}"), false);
    }
    doc.text(&format!("{}:", w.fault), Align::Left);
    doc.text(&o.fault, Align::Left);
    let state = till_store::device_services::STATES
        .iter()
        .position(|s| *s == o.status)
        .map_or(o.status.as_str(), |i| w.states[i]);
    doc.pair(w.status, state, true);
    doc.pair(w.taken_by, &o.opened_by, false);
    doc.rule();
    doc.text(w.keep, Align::Centre);
    shop_footer(&mut doc, shop);
    doc
}

//! Golden printouts: one receipt (a Chinese-named line, a device sold, a card payment approved
//! offline, points) and one cash receipt reprinted, laid out at 58 and 80 mm in English and
//! Chinese, a refund receipt and a Z report, compared line for line with the checked-in text under `tests/golden/`. Every line
//! must fit the paper (32 or 48 columns, a Chinese character counted as two).
//!
//! After a deliberate layout change: `UPDATE_GOLDEN=1 cargo test -p till-pos --test
//! print_golden`, then read the diff of the golden files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use till_core::{Currency, Money};
use till_devices::printer::document::width_of;
use till_devices::printer::PaperWidth;
use till_pos::ipc::loyalty::ReceiptPoints;
use till_pos::ipc::refund::{RefundLineState, RefundReceipt, RefundReceiptLine};
use till_pos::ipc::setup::{ShopProfile, TaxRateEntry};
use till_pos::ipc::views::{PaymentView, Receipt, ReceiptLine, TaxLine, Tender};
use till_pos::print::layout::receipt::receipt;
use till_pos::print::layout::refund::refund;
use till_pos::print::layout::report::report;
use till_pos::print::layout::Lang;
use till_store::reports::{CashierTotals, TaxSummary, TenderTotals};
use till_store::{DayReport, ReportKind};

fn m(minor: i64) -> Money {
    Money::new(minor, Currency::CNY)
}

fn shop() -> ShopProfile {
    ShopProfile {
        name: "Green Leaf Tea House".into(),
        address: "12 Nanjing Road\nShanghai 200001".into(),
        tax_id: "91310000MA1K000000".into(),
        currency: "CNY".into(),
        tax_rates: vec![TaxRateEntry { name: "VAT".into(), rate_bp: 1300 }],
        default_tax_rate: 0,
        receipt_header: "Open 9:00-21:00 · 021-5555 0000".into(),
        receipt_footer: "Returns within 7 days with this receipt.\n谢谢惠顾！".into(),
        time_zone: "Asia/Shanghai".into(),
        till_name: "Counter 1".into(),
    }
}

fn line(code: &str, name: &str, zh: Option<&str>, qty: i64, unit: i64, device: Option<&str>) -> ReceiptLine {
    ReceiptLine {
        line_code: code.into(),
        sku: "SKU".into(),
        name: name.into(),
        name_zh: zh.map(str::to_string),
        quantity: qty,
        unit_price: m(unit),
        line_total: m(unit * qty),
        tax_rate_bp: 1300,
        device: device.map(str::to_string),
        origin: None,
    }
}

fn card_receipt() -> Receipt {
    let lines = vec![
        line(
            "K7QX-2M9D-4TJA-7",
            "Longjing green tea 250 g tin, spring harvest",
            Some("西湖龙井绿茶 250克 春茶"),
            2,
            12_800,
            None,
        ),
        line("P3ZR-8W2N-6HFE-2", "Smartphone X1", Some("智能手机 X1"), 1, 249_900, Some("356938035643809")),
    ];
    Receipt {
        order_id: 42,
        order_no: "00000042".into(),
        created_at_ms: 1_796_126_700_000,
        cashier_name: "Chen Jing".into(),
        lines,
        tax_lines: vec![TaxLine { rate_bp: 1300, net: m(243_805), tax: m(31_695) }],
        subtotal: m(243_805),
        tax: m(31_695),
        total: m(275_500),
        payment: PaymentView {
            tender: Tender::Card,
            amount: m(270_500),
            tendered: None,
            change: None,
            card_masked: Some("**** **** **** 4242".into()),
            card_brand: Some("Visa".into()),
            auth_code: Some("A1B2C3".into()),
            offline_approval: true,
        },
        points_paid: Some(m(5_000)),
        points: Some(ReceiptPoints {
            account_short: "…7781".into(),
            earned: 2_705,
            redeemed: 500,
            balance: None,
            level: Some("Gold".into()),
            promotions: vec!["Double points on Tuesdays".into()],
            status: "pending".into(),
            rejected_reason: None,
        }),
    }
}

fn cash_receipt() -> Receipt {
    Receipt {
        order_id: 43,
        order_no: "00000043".into(),
        created_at_ms: 1_796_127_000_000,
        cashier_name: "Chen Jing".into(),
        lines: vec![line("M5TB-3C8K-9VQW-4", "Jasmine tea", Some("茉莉花茶"), 1, 3_800, None)],
        tax_lines: vec![TaxLine { rate_bp: 1300, net: m(3_363), tax: m(437) }],
        subtotal: m(3_363),
        tax: m(437),
        total: m(3_800),
        payment: PaymentView {
            tender: Tender::Cash,
            amount: m(3_800),
            tendered: Some(m(5_000)),
            change: Some(m(1_200)),
            card_masked: None,
            card_brand: None,
            auth_code: None,
            offline_approval: false,
        },
        points_paid: None,
        points: None,
    }
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn check(name: &str, text: &str, columns: usize) {
    for l in text.lines() {
        assert!(width_of(l) <= columns, "{name}: {l:?} is {} columns wide, more than {columns}", width_of(l));
    }
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(text, expected, "{name} differs from its golden file");
}

#[test]
fn receipts_print_as_their_golden_text_at_both_widths_in_both_languages() {
    let shop = shop();
    for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
        for (lang, tag) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
            let mm = width.millimetres();
            let doc = receipt(&card_receipt(), Some(&shop), lang, width, false);
            check(&format!("receipt-card-{mm}-{tag}.txt"), &doc.plain_text(), width.columns());
            let doc = receipt(&cash_receipt(), Some(&shop), lang, width, true);
            check(&format!("receipt-cash-reprint-{mm}-{tag}.txt"), &doc.plain_text(), width.columns());
        }
    }
}

#[test]
fn the_receipt_carries_each_line_code_as_text_and_as_a_qr_code() {
    let doc = receipt(&card_receipt(), Some(&shop()), Lang::Zh, PaperWidth::Mm58, false);
    let text = doc.plain_text();
    for code in ["K7QX-2M9D-4TJA-7", "P3ZR-8W2N-6HFE-2"] {
        assert!(text.contains(&format!("编码 {code}")), "{text}");
        assert!(text.contains(&format!("[QR {code}]")), "{text}");
    }
    assert!(text.contains("西湖龙井绿茶") && !text.contains("Longjing"), "names in the cashier's language");
    assert!(text.contains("356938035643809"), "the device sold");
    assert!(text.contains("离线授权"), "the offline approval is marked");
    assert!(!text.contains("REPRINT"), "an original is no reprint");
}

fn refund_receipt() -> RefundReceipt {
    RefundReceipt {
        refund_id: 7,
        refund_no: "R0000007".into(),
        order_no: "00000042".into(),
        created_at_ms: 1_796_130_000_000,
        amount: m(12_800),
        tax: m(1_473),
        tender: "cash".into(),
        card_masked: None,
        reason: "defective".into(),
        approval: "manager".into(),
        approved_by: Some("Li Wei".into()),
        status: "confirmed".into(),
        lines: vec![RefundReceiptLine {
            name: "Longjing green tea 250 g tin, spring harvest".into(),
            name_zh: Some("西湖龙井绿茶 250克 春茶".into()),
            quantity: 1,
            amount: m(12_800),
            device: None,
            state: RefundLineState {
                status: "approved".into(),
                decision: Some("shop_manager".into()),
                server_status: None,
                paid: true,
                seller: None,
            },
        }],
        points_reversed: 128,
        points_returned: 0,
        evidence_sha256: None,
        decided_offline: false,
        to_pay_out: m(0),
        awaiting_seller: m(0),
        server_refusal: None,
    }
}

fn z_report() -> DayReport {
    DayReport {
        kind: ReportKind::Z,
        close_id: Some(3),
        business_date: Some("2026-12-01".into()),
        from_ms: 1_796_083_200_000,
        to_ms: 1_796_169_000_000,
        generated_at_ms: 1_796_169_000_000,
        orders: 2,
        refunds_count: 1,
        sales: m(279_300),
        refunds: m(12_800),
        net: m(266_500),
        tenders: vec![
            TenderTotals { tender: "card".into(), sales: m(270_500), refunds: m(0), net: m(270_500), count: 1 },
            TenderTotals { tender: "cash".into(), sales: m(3_800), refunds: m(12_800), net: m(-9_000), count: 1 },
        ],
        taxes: vec![TaxSummary {
            rate_bp: 1300,
            net: m(247_168),
            tax: m(32_132),
            gross: m(279_300),
            refunds_tax: m(1_473),
        }],
        cashiers: vec![CashierTotals {
            cashier_id: 1,
            name: "Chen Jing".into(),
            orders: 2,
            sales: m(279_300),
            refunds: m(12_800),
        }],
        points_issued: 2_705,
        points_redeemed: 500,
        cash_expected: m(-9_000),
        remote_refunds: Vec::new(),
        cash_counted: Some(m(-9_000)),
        cash_difference: Some(m(0)),
        closed_by: Some("Li Wei".into()),
    }
}

#[test]
fn the_refund_receipt_and_the_z_report_print_as_their_golden_text() {
    let shop = shop();
    check(
        "refund-58-zh.txt",
        &refund(&refund_receipt(), Some(&shop), Lang::Zh, PaperWidth::Mm58, false).plain_text(),
        32,
    );
    check(
        "refund-80-en.txt",
        &refund(&refund_receipt(), Some(&shop), Lang::En, PaperWidth::Mm80, true).plain_text(),
        48,
    );
    check("z-report-58-en.txt", &report(&z_report(), Some(&shop), Lang::En, PaperWidth::Mm58).plain_text(), 32);
    check("z-report-80-zh.txt", &report(&z_report(), Some(&shop), Lang::Zh, PaperWidth::Mm80).plain_text(), 48);
}

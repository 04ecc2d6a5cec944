#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `tillctl db check` and `tillctl export` run as the built binary on real databases.

use rand::rngs::StdRng;
use rand::SeedableRng;
use rusqlite::Connection;
use std::path::Path;
use std::process::{Command, Output};
use till_core::{
    Barcode, CardBrand, CardPayment, Cart, CashPayment, Currency, MaskedPan, Money, NewOrder, Payment, Role, Sku,
    TaxRate,
};
use till_store::{NewProduct, Store};

const PAN: &str = "4111111111111111";
// 2026-12-01T00:00:00Z
const T0: i64 = 1_796_083_200_000;

fn tillctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl")).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A till database in `dir` with five sales (cash and card) on 2026-12-01 and 2026-12-02.
fn make_db(dir: &Path) {
    let store = Store::open(&dir.join("till.db")).unwrap();
    let p = |sku: &str, bc: Option<&str>, name: &str, price| NewProduct {
        sku: Sku::parse(sku).unwrap(),
        barcode: bc.map(|b| Barcode::parse(b).unwrap()),
        name: String::from(name),
        name_zh: Some("茶".into()),
        price: Money::new(price, Currency::CNY),
        tax_rate: TaxRate::from_basis_points(1300).unwrap(),
        tax_inclusive: true,
        serialised: false,
    };
    store
        .add_products(&[p("TEA-01", Some("6901234567892"), "Green tea, 250g", 3800), p("SNK-01", None, "Crisps", 1250)])
        .unwrap();
    let user = store.write(|tx| till_store::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
    let products =
        [store.search_products("tea", 1).unwrap().remove(0), store.search_products("crisps", 1).unwrap().remove(0)];
    let mut rng = StdRng::seed_from_u64(1);
    for n in 0..5i64 {
        let mut cart = Cart::new(Currency::CNY);
        cart.add(&products[0], 1 + n).unwrap();
        if n % 2 == 1 {
            cart.add(&products[1], 2).unwrap();
        }
        let total = cart.totals().unwrap().total;
        let payment = if n % 2 == 0 {
            Payment::Cash(CashPayment::take(total, Money::new(total.minor() + 1000, Currency::CNY)).unwrap())
        } else {
            Payment::Card(CardPayment {
                masked_pan: MaskedPan::from_pan(PAN).unwrap(),
                pan_hash: "00aa11bb".into(),
                brand: CardBrand::from_bin(PAN),
                auth_code: "OK1234".into(),
                payment_id: None,
                reader: "sim://card-reader".into(),
                entry_mode: "magstripe".into(),
                cvm: "signature".into(),
                signature_svg: None,
            })
        };
        let at = T0 + n * 12 * 3_600_000;
        let order = NewOrder::from_cart(&cart, payment, format!("cart-{n}"), user, at, &mut rng).unwrap();
        store.record_sale(&order, &format!("evt-{n}")).unwrap();
    }
}

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make_db(dir.path());
    dir
}

#[test]
fn db_check_passes_then_names_a_broken_chain() {
    let dir = data_dir();
    let d = dir.path().to_str().unwrap();
    let out = tillctl(&["db", "check", "--data-dir", d]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for line in [
        "integrity_check: ok",
        "audit chain: ok (5 entries)",
        "order totals: ok",
        "payments: ok",
        "refunds within payments: ok",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in {stdout}");
    }

    let c = Connection::open(dir.path().join("till.db")).unwrap();
    c.execute("UPDATE audit_log SET detail = '{\"total\":1}' WHERE id = 2", []).unwrap();
    drop(c);
    let out = tillctl(&["db", "check", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("audit chain: BROKEN at entry 2"), "{}", text(&out));
}

#[test]
fn db_check_names_an_order_whose_total_was_changed() {
    let dir = data_dir();
    let c = Connection::open(dir.path().join("till.db")).unwrap();
    c.execute("UPDATE orders SET total_minor = total_minor + 1 WHERE id = 3", []).unwrap();
    drop(c);
    let out = tillctl(&["db", "check", "--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("order totals: 1 orders differ from their lines: order 3"), "{t}");
    assert!(t.contains("audit chain: ok (5 entries)"), "{t}");
    assert!(t.contains("check failed: order totals"), "{t}");
}

fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("BOM")).unwrap();
    let mut out = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match (quoted, c) {
            (true, '"') if it.peek() == Some(&'"') => {
                it.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(it.next(), Some('\n'));
                row.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    out
}

#[test]
fn export_writes_the_rows_of_the_database_and_never_the_pan() {
    let dir = data_dir();
    let d = dir.path().to_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_str().unwrap();
    // Only 2026-12-01: orders 1 and 2 (at 00:00 and 12:00).
    let out = tillctl(&["export", "--data-dir", d, "--from", "2026-12-01", "--to", "2026-12-01", "--out", o]);
    assert!(out.status.success(), "{}", text(&out));
    let paths: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(paths.len(), 5, "{paths:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported"));
    let orders = parse_csv(&std::fs::read(&paths[0]).unwrap());
    assert!(paths[0].ends_with("orders-2026-12-01-2026-12-01.csv"));
    let c = Connection::open(dir.path().join("till.db")).unwrap();
    let mut stmt = c.prepare("SELECT order_no, total_minor, line_count FROM orders WHERE id <= 2 ORDER BY id").unwrap();
    let want: Vec<(String, String, String)> = stmt
        .query_map([], |r| {
            let total: i64 = r.get(1)?;
            Ok((r.get(0)?, format!("{}.{:02}", total / 100, total % 100), r.get::<_, i64>(2)?.to_string()))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(orders[0][..3], ["order_no", "created_at", "cashier"]);
    let got: Vec<(String, String, String)> =
        orders[1..].iter().map(|r| (r[0].clone(), r[6].clone(), r[7].clone())).collect();
    assert_eq!(got, want);
    assert_eq!(orders[1][1], "2026-12-01T00:00:00.000Z");
    let lines = parse_csv(&std::fs::read(&paths[1]).unwrap());
    let n_lines: i64 = c
        .query_row("SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.id <= 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(lines.len() as i64 - 1, n_lines);
    assert!(lines.iter().any(|r| r[4] == "Green tea, 250g"));
    let payments = parse_csv(&std::fs::read(&paths[2]).unwrap());
    assert_eq!(payments[2][1..], ["card", &got[1].1, "CNY", "411111******1111", "Visa", "OK1234", "magstripe"]);

    // The whole range, lines only, default folder.
    let out =
        tillctl(&["export", "--data-dir", d, "--from", "2026-12-01", "--to", "2026-12-03", "--kinds", "payments"]);
    assert!(out.status.success(), "{}", text(&out));
    let path = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(Path::new(&path).starts_with(dir.path().join("exports")));
    assert_eq!(parse_csv(&std::fs::read(&path).unwrap()).len(), 6);

    for entry in
        std::fs::read_dir(out_dir.path()).unwrap().chain(std::fs::read_dir(dir.path().join("exports")).unwrap())
    {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let t = String::from_utf8(bytes).unwrap();
        assert!(!t.contains(PAN) && !t.contains("00aa11bb"));
    }
}

#[test]
fn export_refuses_bad_dates_as_usage_errors() {
    let dir = data_dir();
    let d = dir.path().to_str().unwrap();
    for args in [
        ["--from", "2026-12-02", "--to", "2026-12-01"],
        ["--from", "2026-02-30", "--to", "2026-03-01"],
        ["--from", "yesterday", "--to", "2026-12-01"],
    ] {
        let mut all = vec!["export", "--data-dir", d];
        all.extend(args);
        let out = tillctl(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
    let out =
        tillctl(&["export", "--data-dir", d, "--from", "2026-12-01", "--to", "2026-12-01", "--kinds", "orders,cards"]);
    assert_eq!(out.status.code(), Some(2));
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().to_str().unwrap();
    let out = tillctl(&["export", "--data-dir", e, "--from", "2026-12-01", "--to", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no till database"), "{}", text(&out));
    assert!(!empty.path().join("till.db").exists(), "no empty till is created");
}

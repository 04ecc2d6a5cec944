#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Back office store functions on real SQLite files: export, catalogue admin and import, the
//! audit page and the money invariants.

use rand::rngs::StdRng;
use rand::SeedableRng;
use rusqlite::Connection;
use till_core::{
    Barcode, CardBrand, CardPayment, Cart, CashPayment, Currency, MaskedPan, Money, NewOrder, Payment, Role, Sku,
    TaxRate,
};
use till_store::catalogue_admin::ProductInput;
use till_store::catalogue_import::ImportAction;
use till_store::{ExportKind, NewProduct, Store, StoreError};

const PAN: &str = "5555555555554444";
const DAY: i64 = 86_400_000;
// 2026-12-01T00:00:00Z
const T0: i64 = 1_796_083_200_000;

fn cny() -> Currency {
    Currency::CNY
}

fn product(sku: &str, barcode: Option<&str>, name: &str, price: i64) -> NewProduct {
    NewProduct {
        sku: Sku::parse(sku).unwrap(),
        barcode: barcode.map(|b| Barcode::parse(b).unwrap()),
        name: name.into(),
        name_zh: None,
        price: Money::new(price, cny()),
        tax_rate: TaxRate::from_basis_points(1300).unwrap(),
        tax_inclusive: true,
        serialised: false,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    user: i64,
    orders: Vec<i64>,
}

fn db_with(conn_do: impl FnOnce(&Connection)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("till.db")).unwrap();
    store
        .add_products(&[
            product("TEA-01", Some("6901234567892"), "Green tea, \"organic\"", 3800),
            product("SNK-01", None, "=cmd|' /C calc'!A0", 1250),
            product("DRK-01", None, "Cola\nzero", 350),
        ])
        .unwrap();
    let user = store.write(|tx| till_store::users::insert(tx, "Ann", Role::Manager, "h", 0)).unwrap();
    let mut orders = Vec::new();
    let mut rng = StdRng::seed_from_u64(7);
    for n in 0..6i64 {
        let mut cart = Cart::new(cny());
        let all = store.search_products("tea", 5).unwrap().into_iter().chain(store.search_products("snk", 5).unwrap());
        for (i, p) in all.enumerate().take(1 + (n as usize % 2)) {
            cart.add(&p, 1 + i as i64 + n % 3).unwrap();
        }
        if n % 3 == 2 {
            cart.add(&store.search_products("drk", 5).unwrap()[0], 2).unwrap();
        }
        let total = cart.totals().unwrap().total;
        let payment = if n % 2 == 0 {
            Payment::Cash(CashPayment::take(total, Money::new(total.minor() + 500, cny())).unwrap())
        } else {
            Payment::Card(CardPayment {
                masked_pan: MaskedPan::from_pan(PAN).unwrap(),
                pan_hash: "d1c9a7e5b3f1".into(),
                brand: CardBrand::from_bin(PAN),
                auth_code: "A1B2C3".into(),
                payment_id: None,
                reader: "sim://card-reader".into(),
                entry_mode: "magstripe".into(),
                cvm: "signature".into(),
                signature_svg: Some("<svg><path d=\"M0 0L1 1\"/></svg>".into()),
            })
        };
        let order =
            NewOrder::from_cart(&cart, payment, format!("cart-{n}"), user, T0 + n * 3_600_000, &mut rng).unwrap();
        orders.push(store.record_sale(&order, &format!("evt-{n}")).unwrap().order_id);
    }
    let c = Connection::open(store.path()).unwrap();
    c.execute_batch(&format!(
        "INSERT INTO refunds (order_id, created_at_ms, cashier_id, tender, currency, amount_minor, tax_minor, reason, status)
         VALUES ({o1}, {t}, {user}, 'cash', 'CNY', 100, 12, '+damaged, \"box\"', 'confirmed');
         INSERT INTO points_ledger (customer_ref, order_id, kind, points, status, created_at_ms)
         VALUES ('C-001', {o1}, 'earn', 38, 'confirmed', {t}), ('C-001', NULL, 'redeem', -20, 'pending', {t});",
        o1 = orders[0],
        t = T0 + 10 * 3_600_000,
    ))
    .unwrap();
    conn_do(&c);
    Fixture { _dir: dir, store, user, orders }
}

fn db() -> Fixture {
    db_with(|_| {})
}

/// A minimal RFC 4180 reader for checking the files.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
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
                assert_eq!(it.next(), Some('\n'), "records end in CRLF");
                row.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF outside quotes"),
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "file ends with CRLF");
    out
}

fn read_export(path: &std::path::Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    parse_csv(std::str::from_utf8(&bytes[3..]).unwrap())
}

fn money(minor: i64) -> String {
    format!("{}{}.{:02}", if minor < 0 { "-" } else { "" }, minor.abs() / 100, minor.abs() % 100)
}

#[test]
fn export_writes_every_row_as_the_database_has_it() {
    let f = db();
    let out = tempfile::tempdir().unwrap();
    let (from, to) = (T0, T0 + DAY);
    let total = f.store.export_row_count(&ExportKind::ALL, from, to).unwrap();
    let mut calls = Vec::new();
    let files = f
        .store
        .export_csv(&ExportKind::ALL, from, to, out.path(), &mut |w, t| {
            calls.push((w, t));
            true
        })
        .unwrap();
    assert_eq!(files.len(), 5);
    assert_eq!(calls.last(), Some(&(total, total)));
    assert!(files[0].ends_with("orders-2026-12-01-2026-12-01.csv"), "{files:?}");
    let c = Connection::open(f.store.path()).unwrap();

    // orders
    let rows = read_export(&files[0]);
    assert_eq!(rows[0], ExportKind::Orders.columns());
    let mut stmt = c
        .prepare("SELECT order_no, subtotal_minor, tax_minor, total_minor, line_count, status FROM orders ORDER BY id")
        .unwrap();
    let db_rows: Vec<Vec<String>> = stmt
        .query_map([], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                "2026-12-01T".into(),
                "Ann".into(),
                "CNY".into(),
                money(r.get(1)?),
                money(r.get(2)?),
                money(r.get(3)?),
                r.get::<_, i64>(4)?.to_string(),
                r.get::<_, String>(5)?,
                String::new(),
            ])
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len() - 1, db_rows.len());
    for (got, want) in rows[1..].iter().zip(&db_rows) {
        assert!(got[1].starts_with(&want[1]) && got[1].ends_with('Z'), "{got:?}");
        let mut g = got.clone();
        g[1] = want[1].clone();
        assert_eq!(&g, want);
    }

    // lines: names come back exactly, the formula is defused, the line break kept in quotes
    let rows = read_export(&files[1]);
    assert_eq!(rows[0], ExportKind::Lines.columns());
    let mut stmt = c
        .prepare(
            "SELECT o.order_no, l.line_no, l.line_code, l.sku, l.name, l.quantity, l.unit_price_minor, l.tax_rate_bp,
                    l.net_minor, l.tax_minor, l.gross_minor
             FROM order_lines l JOIN orders o ON o.id = l.order_id ORDER BY l.order_id, l.line_no",
        )
        .unwrap();
    let db_lines: Vec<Vec<String>> = stmt
        .query_map([], |r| {
            let name: String = r.get(4)?;
            Ok(vec![
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?.to_string(),
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                if name.starts_with('=') { format!("'{name}") } else { name },
                r.get::<_, i64>(5)?.to_string(),
                money(r.get(6)?),
                r.get::<_, i64>(7)?.to_string(),
                money(r.get(8)?),
                money(r.get(9)?),
                money(r.get(10)?),
                String::new(),
                "0".into(),
                "CNY".into(),
            ])
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[1..], db_lines[..]);
    assert!(rows.iter().any(|r| r[4] == "Green tea, \"organic\""));
    assert!(rows.iter().any(|r| r[4] == "Cola\nzero"));
    assert!(rows.iter().any(|r| r[4] == "'=cmd|' /C calc'!A0"));

    // payments: masked card only
    let rows = read_export(&files[2]);
    assert_eq!(rows[0], ExportKind::Payments.columns());
    assert_eq!(rows.len() - 1, 6);
    for (i, r) in rows[1..].iter().enumerate() {
        let (tender, amount): (String, i64) = c
            .query_row("SELECT tender, amount_minor FROM payments WHERE order_id = ?1", [f.orders[i]], |x| {
                Ok((x.get(0)?, x.get(1)?))
            })
            .unwrap();
        assert_eq!((r[1].as_str(), r[2].as_str(), r[3].as_str()), (tender.as_str(), money(amount).as_str(), "CNY"));
        if tender == "card" {
            assert_eq!(&r[4..], ["555555******4444", "Mastercard", "A1B2C3", "magstripe"]);
        } else {
            assert!(r[4..].iter().all(String::is_empty));
        }
    }

    // refunds and points
    let rows = read_export(&files[3]);
    assert_eq!(rows[1][..2], ["R0000001".to_string(), format!("{:08}", f.orders[0])]);
    assert_eq!(rows[1][3..], ["cash", "1.00", "0.12", "'+damaged, \"box\"", "confirmed", "CNY"]);
    let rows = read_export(&files[4]);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1][1..6],
        ["C-001".to_string(), format!("{:08}", f.orders[0]), "earn".into(), "38".into(), "confirmed".into()]
    );
    assert_eq!(rows[2][2..5], ["", "redeem", "-20"]);

    // Nothing secret anywhere, and no .part left behind.
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let p = entry.unwrap().path();
        assert!(!p.to_string_lossy().ends_with(".part"));
        let text = String::from_utf8(std::fs::read(&p).unwrap()).unwrap();
        assert!(!text.contains(PAN) && !text.contains("d1c9a7e5b3f1") && !text.contains("<svg"), "{p:?}");
    }
}

#[test]
fn export_selects_by_time_and_counts_match() {
    let f = db();
    let out = tempfile::tempdir().unwrap();
    // The first three hours: orders 0, 1, 2; refunds and points are later.
    let to = T0 + 3 * 3_600_000;
    let files =
        f.store.export_csv(&[ExportKind::Orders, ExportKind::Refunds], T0, to, out.path(), &mut |_, _| true).unwrap();
    assert_eq!(read_export(&files[0]).len(), 4);
    assert_eq!(read_export(&files[1]).len(), 1);
    assert_eq!(f.store.export_row_count(&[ExportKind::Orders, ExportKind::Refunds], T0, to).unwrap(), 3);
    assert_eq!(f.store.export_row_count(&[ExportKind::Orders], T0 + DAY, T0 + 2 * DAY).unwrap(), 0);
}

#[test]
fn a_cancelled_export_leaves_no_file_and_progress_comes_every_thousand_rows() {
    let f = db();
    // 2500 more points rows so progress is called mid-file.
    f.store
        .write(|tx| {
            for i in 0..2500 {
                tx.execute(
                    "INSERT INTO points_ledger (customer_ref, kind, points, created_at_ms) VALUES ('C-2', 'earn', 1, ?1)",
                    [T0 + i],
                )?;
            }
            Ok(())
        })
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let r = f.store.export_csv(&ExportKind::ALL, T0, T0 + DAY, out.path(), &mut |w, t| {
        seen.push((w, t));
        w < 2000
    });
    assert!(matches!(r, Err(StoreError::Cancelled)), "{r:?}");
    let total = f.store.export_row_count(&ExportKind::ALL, T0, T0 + DAY).unwrap();
    assert_eq!(seen, [(1000, total), (2000, total)]);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "no files, no .part files");
}

fn input(sku: &str, barcode: Option<&str>, name: &str, price: i64, bp: i64) -> ProductInput {
    ProductInput {
        sku: sku.into(),
        barcode: barcode.map(Into::into),
        name: name.into(),
        name_zh: Some("绿茶".into()),
        price_minor: price,
        tax_rate_bp: bp,
        tax_inclusive: true,
        serialised: false,
    }
}

fn invalid(r: Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn admin_validates_names_conflicts_and_audits() {
    let f = db();
    let s = &f.store;
    let audit_before = s.verify_audit().unwrap().entries;
    assert!(invalid(s.product_create(&input(" ", None, "X", 1, 0), cny(), f.user, 1)).contains("SKU is empty"));
    assert!(invalid(s.product_create(&input(&"A".repeat(65), None, "X", 1, 0), cny(), f.user, 1)).contains("64"));
    assert!(invalid(s.product_create(&input("N-1", None, "  ", 1, 0), cny(), f.user, 1)).contains("name is empty"));
    assert!(invalid(s.product_create(&input("N-1", Some("6901234567891"), "X", 1, 0), cny(), f.user, 1))
        .contains("check digit (the last digit should be 2)"));
    assert!(invalid(s.product_create(&input("N-1", None, "X", -1, 0), cny(), f.user, 1)).contains("negative"));
    assert!(invalid(s.product_create(&input("N-1", None, "X", 1, 10_001), cny(), f.user, 1)).contains("0 to 10000"));
    match s.product_create(&input("N-1", Some("6901234567892"), "X", 1, 0), cny(), f.user, 1) {
        Err(StoreError::Conflict(m)) => assert!(m.contains("6901234567892 is already used by TEA-01"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.product_create(&input("tea-01", None, "X", 1, 0), cny(), f.user, 1),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.verify_audit().unwrap().entries, audit_before, "nothing refused is audited");

    let v = s.product_create(&input("new-1", Some("96385074"), "Oolong", 4200, 900), cny(), f.user, 2).unwrap();
    assert_eq!((v.sku.as_str(), v.price, v.active), ("NEW-1", Money::new(4200, cny()), true));
    assert_eq!(s.search_products("oolong", 5).unwrap().len(), 1);
    let v = s.product_update(v.id, &input("NEW-1", None, "Black tea", 4500, 900), cny(), f.user, 3).unwrap();
    assert_eq!((v.name.as_str(), v.barcode.as_deref()), ("Black tea", None));
    assert!(s.search_products("oolong", 5).unwrap().is_empty(), "the old name is out of the index");
    assert_eq!(s.search_products("black", 5).unwrap().len(), 1);
    let v = s.product_set_active(v.id, false, f.user, 4).unwrap();
    assert!(!v.active);
    assert!(s.search_products("black", 5).unwrap().is_empty());
    assert_eq!(s.products_admin("bla", false, 0, 50).unwrap().len(), 0);
    assert_eq!(s.products_admin("bla", true, 0, 50).unwrap()[0].id, v.id);
    assert_eq!(s.products_admin("", true, 0, 2).unwrap().len(), 2);
    assert_eq!(s.products_admin("690123", false, 0, 10).unwrap()[0].sku, "TEA-01");
    assert_eq!(s.products_admin("50%", true, 0, 10).unwrap().len(), 0, "% is literal");
    let page = s.audit_page(None, 3).unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["product.deactivated", "product.updated", "product.created"]);
    assert!(page.entries.iter().all(|e| e.chain_ok && e.actor.as_deref() == Some("Ann")));
    assert!(page.entries[1].detail.contains("\"before\"") && page.entries[1].detail.contains("4200"));
    assert!(s.verify_audit().unwrap().ok);
    assert!(matches!(
        s.product_update(9999, &input("Z", None, "Z", 1, 0), cny(), f.user, 5),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn a_price_change_leaves_recorded_orders_as_they_were() {
    let f = db();
    let before = f.store.order(f.orders[0]).unwrap();
    let tea = f.store.products_admin("TEA-01", true, 0, 1).unwrap().remove(0);
    let mut changed = input("TEA-01", Some("6901234567892"), "Renamed tea", 99_900, 600);
    changed.name_zh = None;
    f.store.product_update(tea.id, &changed, cny(), f.user, 10).unwrap();
    let after = f.store.order(f.orders[0]).unwrap();
    assert_eq!(before, after);
    assert!(after.lines.iter().any(|l| l.sku == "TEA-01" && l.unit_price.minor() == 3800));
    assert!(f.store.check_invariants().unwrap().is_ok());
}

const HEADER: &str = "sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active";

#[test]
fn import_reports_each_error_on_its_row_and_writes_nothing() {
    let f = db();
    let s = &f.store;
    let file = format!(
        "\u{feff}{HEADER}\r\n\
         NEW-1,,Oolong,乌龙茶,12.50,13,1,0,1\r\n\
         NEW-2,,Bad price,,12.5x,13,1,0,1\r\n\
         NEW-3,,Negative,,-1,13,1,0,1\r\n\
         NEW-4,,Tax,,1,101,1,0,1\r\n\
         NEW-5,6901234567891,Check digit,,1,13,1,0,1\r\n\
         ,,Empty sku,,1,13,1,0,1\r\n\
         NEW-7,,,,1,13,1,0,1\r\n\
         new-1,,Dup sku,,1,13,1,0,1\r\n\
         NEW-9,96385074,First,,1,13,1,0,1\r\n\
         NEW-10,96385074,Dup barcode,,1,13,1,0,1\r\n\
         \"TEA-01\",6901234567892,\"Green tea, \"\"organic\"\"\",,38.00,13,yes,no,1\r\n\
         NEW-11,6901234567892,Taken,,1,13,1,0,1\r\n\
         SNK-01,,\"Snack\r\nline\",,12.50,13.5,1,0,1\r\n"
    );
    let counts_before = s.products_admin("", true, 0, 500).unwrap();
    let audit_before = s.verify_audit().unwrap().entries;
    let p = s.catalogue_import_preview(file.as_bytes(), cny()).unwrap();
    let errs = |row: i64| -> String {
        p.rows.iter().find(|r| r.row == row).map(|r| r.errors.join(" | ")).unwrap_or_else(|| panic!("row {row}"))
    };
    assert_eq!(p.rows[0].action, Some(ImportAction::Create));
    assert!(errs(3).contains("\"12.5x\" is not a number"), "{}", errs(3));
    assert!(errs(4).contains("negative"));
    assert!(errs(5).contains("tax rate 101 is out of range"));
    assert!(errs(6).contains("check digit"));
    assert!(errs(7).contains("SKU is empty"));
    assert!(errs(8).contains("name is empty"));
    assert!(errs(9).contains("SKU NEW-1 is also on row 2"));
    assert_eq!(errs(10), "");
    assert!(errs(11).contains("barcode 96385074 is also on row 10"));
    assert!(errs(13).contains("already used by TEA-01"));
    assert_eq!((p.rows[10].row, p.rows[10].action), (12, Some(ImportAction::Unchanged)), "{:?}", p.rows[10]);
    assert_eq!((p.rows[12].row, p.rows[12].action), (14, Some(ImportAction::Update)), "quoted line break");
    assert_eq!((p.creates, p.updates, p.unchanged, p.error_rows), (2, 1, 1, 9));

    let r = s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 5);
    assert!(invalid(r).contains("9 rows have errors (row 3:"));
    assert_eq!(s.products_admin("", true, 0, 500).unwrap(), counts_before, "nothing written");
    assert_eq!(s.verify_audit().unwrap().entries, audit_before);
}

#[test]
fn import_applies_in_one_go_with_one_audit_entry() {
    let f = db();
    let s = &f.store;
    // LF line ends, columns in another order and case, no optional columns for the update.
    let file = "NAME,Sku,Price,Tax_Rate,active\nOolong,new-1,12.50,13,1\nHidden,NEW-2,1,0,0\nCola zero,DRK-01,4,13,\n";
    let p = s.catalogue_import_preview(file.as_bytes(), cny()).unwrap();
    assert_eq!((p.creates, p.updates, p.unchanged, p.error_rows), (2, 1, 0, 0));
    let out = s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 9).unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (2, 1, 0));
    assert_eq!(s.search_products("oolong", 5).unwrap()[0].price, Money::new(1250, cny()));
    assert!(s.search_products("hidden", 5).unwrap().is_empty());
    assert!(!s.products_admin("NEW-2", true, 0, 1).unwrap()[0].active);
    assert_eq!(s.search_products("cola zero", 5).unwrap()[0].price.minor(), 400);
    // An empty flag cell keeps the stored value: NEW-2 stays inactive.
    let keep = "sku,name,price,tax_rate,active\nNEW-2,Hidden,1,0,\n";
    assert_eq!(s.catalogue_import_preview(keep.as_bytes(), cny()).unwrap().unchanged, 1);
    let page = s.audit_page(None, 1).unwrap();
    assert_eq!(page.entries[0].action, "catalogue.imported");
    assert!(page.entries[0].detail.contains("\"created\":2"));
    // The same file again changes nothing.
    let again = s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 10).unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
}

#[test]
fn import_names_the_seller_a_product_is_sold_for_and_keeps_it_without_the_column() {
    let f = db();
    let s = &f.store;
    let seller = |sku: &str| -> Option<String> {
        s.read(|c| Ok(c.query_row("SELECT seller FROM products WHERE sku = ?1", [sku], |r| r.get(0))?)).unwrap()
    };
    let file = "sku,name,price,tax_rate,seller\nSPK-1,Speaker,199,13,acme-audio\nOWN-1,Own tea,10,9,\n";
    let out = s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 9).unwrap();
    assert_eq!(out.created, 2);
    assert_eq!((seller("SPK-1").as_deref(), seller("OWN-1")), (Some("acme-audio"), None));
    // Without the column a product keeps its seller; an empty cell makes it the shop's own.
    let keep = "sku,name,price,tax_rate\nSPK-1,Speaker,199,13\n";
    assert_eq!(s.catalogue_import_preview(keep.as_bytes(), cny()).unwrap().unchanged, 1);
    let own = "sku,name,price,tax_rate,seller\nSPK-1,Speaker,199,13,\n";
    assert_eq!(s.catalogue_import_apply(own.as_bytes(), cny(), f.user, 10).unwrap().updated, 1);
    assert_eq!(seller("SPK-1"), None);
    // A seller's name is a name, not a formula or markup.
    let bad = "sku,name,price,tax_rate,seller\nSPK-2,Speaker,199,13,=HYPERLINK(x)\n";
    assert_eq!(s.catalogue_import_preview(bad.as_bytes(), cny()).unwrap().error_rows, 1);
}

#[test]
fn import_sets_the_warranty_and_software_device_services_show_and_keeps_them_without_the_columns() {
    let f = db();
    let s = &f.store;
    let extras = |sku: &str| -> (i64, Option<String>) {
        s.read(|c| {
            Ok(c.query_row("SELECT warranty_months, software FROM products WHERE sku = ?1", [sku], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .unwrap()
    };
    let file = "sku,name,price,tax_rate,serialised,warranty_months,software\n\
                PH-9,Phone 9,1999,13,1,24,XOS 15.0\nCAS-1,Case,29,13,0,,\n";
    let out = s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 9).unwrap();
    assert_eq!(out.created, 2);
    assert_eq!(extras("PH-9"), (24, Some("XOS 15.0".into())));
    assert_eq!(extras("CAS-1"), (12, None), "a new product's default warranty is 12 months");
    // Without the columns a product keeps its warranty and software.
    let keep = "sku,name,price,tax_rate\nPH-9,Phone 9,1999,13\n";
    assert_eq!(s.catalogue_import_preview(keep.as_bytes(), cny()).unwrap().unchanged, 1);
    let newer = "sku,name,price,tax_rate,software\nPH-9,Phone 9,1999,13,XOS 15.1\n";
    assert_eq!(s.catalogue_import_apply(newer.as_bytes(), cny(), f.user, 10).unwrap().updated, 1);
    assert_eq!(extras("PH-9"), (24, Some("XOS 15.1".into())));
    // Out of range, or not a number: the row is refused and nothing is written.
    for bad in ["-1", "241", "two"] {
        let file = format!("sku,name,price,tax_rate,warranty_months\nPH-9,Phone 9,1999,13,{bad}\n");
        assert_eq!(s.catalogue_import_preview(file.as_bytes(), cny()).unwrap().error_rows, 1, "{bad}");
        assert!(s.catalogue_import_apply(file.as_bytes(), cny(), f.user, 11).is_err());
    }
    assert_eq!(extras("PH-9"), (24, Some("XOS 15.1".into())));
}

#[test]
fn import_refuses_non_utf8_and_missing_columns() {
    let f = db();
    // "绿茶" in GBK.
    let mut gbk = format!("{HEADER}\nTEA-9,,").into_bytes();
    gbk.extend_from_slice(&[0xC2, 0xCC, 0xB2, 0xE8]);
    gbk.extend_from_slice(b",,1,13,1,0,1\n");
    let m = invalid(f.store.catalogue_import_preview(&gbk, cny()));
    assert!(m.contains("not UTF-8") && m.contains("CSV UTF-8"), "{m}");
    let m = invalid(f.store.catalogue_import_preview(b"sku,name,tax_rate\nA,B,13\n", cny()));
    assert!(m.contains("no price column"), "{m}");
    let m = invalid(f.store.catalogue_import_preview(b"sku,name,price,tax_rate\nA,\"open,1,13\n", cny()));
    assert!(m.contains("line 2 is never closed"), "{m}");
    assert!(invalid(f.store.catalogue_import_apply(&gbk, cny(), f.user, 1)).contains("not UTF-8"));
}

#[test]
fn the_audit_page_marks_a_tampered_entry_and_pages_by_id() {
    let f = db_with(|c| {
        c.execute("UPDATE audit_log SET detail = '{\"total\":1}' WHERE id = 3", []).unwrap();
    });
    let p = f.store.audit_page(None, 4).unwrap();
    assert_eq!((p.total, p.chain_ok, p.first_break_id), (6, false, Some(3)));
    assert_eq!(p.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [6, 5, 4, 3]);
    assert_eq!(p.entries.iter().map(|e| e.chain_ok).collect::<Vec<_>>(), [true, true, true, false]);
    assert_eq!(p.next_before_id, Some(3));
    let p2 = f.store.audit_page(p.next_before_id, 4).unwrap();
    assert_eq!(p2.entries.iter().map(|e| (e.id, e.chain_ok)).collect::<Vec<_>>(), [(2, true), (1, true)]);
    assert_eq!(p2.next_before_id, None);
}

#[test]
fn invariants_name_the_orders_that_do_not_add_up() {
    let f = db();
    let r = f.store.check_invariants().unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.orders, 6);
    let (a, b, c, d) = (f.orders[1], f.orders[2], f.orders[3], f.orders[4]);
    let conn = Connection::open(f.store.path()).unwrap();
    conn.execute("UPDATE orders SET total_minor = total_minor + 1 WHERE id = ?1", [a]).unwrap();
    conn.execute("UPDATE orders SET line_count = 9 WHERE id = ?1", [b]).unwrap();
    conn.execute("UPDATE payments SET change_minor = change_minor + 1 WHERE order_id = ?1", [d]).unwrap();
    // Past the trigger (as a damaged or hand-edited file would be): refunds above the total.
    conn.execute_batch("DROP TRIGGER refunds_within_paid").unwrap();
    conn.execute(
        "INSERT INTO refunds (order_id, created_at_ms, cashier_id, tender, currency, amount_minor, tax_minor, reason)
         SELECT id, 0, cashier_id, 'cash', 'CNY', total_minor + 1, 0, 'x' FROM orders WHERE id = ?1",
        [c],
    )
    .unwrap();
    let r = f.store.check_invariants().unwrap();
    assert!(!r.is_ok());
    assert_eq!((r.totals.count, r.totals.order_ids.clone()), (1, vec![a]));
    assert_eq!(r.line_counts.order_ids, [b]);
    assert_eq!(r.refunds.order_ids, [c]);
    assert_eq!(r.payments.order_ids, [a, d], "a's total no longer matches its payment; d's change is off");
}

#[test]
fn contract_shapes_serialise_as_the_ui_expects() {
    assert_eq!(serde_json::to_string(&ExportKind::Payments).unwrap(), "\"payments\"");
    let k: Vec<ExportKind> = serde_json::from_str("[\"orders\",\"points\"]").unwrap();
    assert_eq!(k, [ExportKind::Orders, ExportKind::Points]);
    let i: ProductInput = serde_json::from_str(
        r#"{"sku":"A","barcode":null,"name":"B","nameZh":null,"priceMinor":1,"taxRateBp":0,"taxInclusive":true,"serialised":false}"#,
    )
    .unwrap();
    assert_eq!(i.price_minor, 1);
    let f = db();
    let page = serde_json::to_value(f.store.audit_page(None, 1).unwrap()).unwrap();
    assert!(page.get("firstBreakId").is_some() && page.get("nextBeforeId").is_some());
    assert!(page["entries"][0].get("chainOk").is_some());
}

#[test]
fn an_import_file_over_a_hundred_thousand_rows_is_refused_whole() {
    let f = db();
    let mut file = String::from(HEADER);
    file.push('\n');
    for i in 0..100_001 {
        file.push_str(&format!("X-{i},,x,,1,0,1,0,1\n"));
    }
    assert!(
        matches!(f.store.catalogue_import_preview(file.as_bytes(), cny()), Err(StoreError::Invalid(m)) if m.contains("100000"))
    );
}

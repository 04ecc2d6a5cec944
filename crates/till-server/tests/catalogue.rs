//! The catalogue from HQ against a real server over HTTP: `GET /v1/catalogue/changes` pages a
//! merchant's changes by cursor (one per product, its latest; deletions as tombstones), is
//! signed both ways, refuses bad cursors and limits, and never shows another merchant's
//! products; the import is one transaction and idempotent; `set-price` moves one product to the
//! end of the changes (on SQLite and on PostgreSQL). The command line does the same through the
//! binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::Value;
use support::*;
use till_api::catalogue::{CatalogueChangesPage, CatalogueProduct};
use till_core::Currency;
use till_server::catalogue::{self, import::import_csv, Written};
use till_server::response_signature::verify_response;

fn product(sku: &str, price: i64) -> CatalogueProduct {
    CatalogueProduct {
        sku: sku.into(),
        barcode: None,
        name: format!("Product {sku}"),
        name_zh: None,
        price_minor: price,
        currency: "CNY".into(),
        tax_rate_bp: 1300,
        tax_inclusive: true,
        serialised: false,
        active: true,
        seller: None,
        warranty_months: 12,
        software: None,
    }
}

fn put(s: &TestServer, merchant: &str, p: &CatalogueProduct) -> Written {
    let mut tx = s.repo.begin().unwrap();
    let w = catalogue::upsert_product(&mut *tx, merchant, p, NOW).unwrap();
    tx.commit().unwrap();
    w
}

fn page(s: &TestServer, since: &str, limit: i64) -> CatalogueChangesPage {
    let a = s.get(&format!("/v1/catalogue/changes?since={since}&limit={limit}"));
    assert_eq!(a.status, 200, "{}", a.text);
    serde_json::from_str(&a.text).unwrap()
}

fn skus(p: &CatalogueChangesPage) -> Vec<String> {
    p.changes.iter().map(|c| c.sku.clone()).collect()
}

fn pages_follow_the_cursor_with_latest_versions_and_tombstones(backend: Backend) {
    let s = TestServer::start_on(backend);
    for (i, sku) in ["A-1", "B-2", "C-3", "D-4", "E-5"].iter().enumerate() {
        assert_eq!(put(&s, "default", &product(sku, 100 + i as i64)), Written::Created);
    }
    let first = page(&s, "0", 2);
    assert_eq!(skus(&first), ["A-1", "B-2"]);
    assert!(first.more);
    let second = page(&s, &first.cursor, 2);
    assert_eq!(skus(&second), ["C-3", "D-4"]);
    let third = page(&s, &second.cursor, 2);
    assert_eq!(skus(&third), ["E-5"]);
    assert!(!third.more);
    // Nothing new: the same cursor back, an empty page.
    let idle = page(&s, &third.cursor, 2);
    assert!(idle.changes.is_empty() && !idle.more);
    assert_eq!(idle.cursor, third.cursor);

    // A price change and a deletion come after the cursor, each product once, as it is now.
    assert_eq!(put(&s, "default", &product("B-2", 999)), Written::Updated);
    assert_eq!(put(&s, "default", &product("B-2", 999)), Written::Unchanged, "the same again is no change");
    let mut tx = s.repo.begin().unwrap();
    assert!(catalogue::delete_product(&mut *tx, "default", "a-1", NOW).unwrap());
    tx.commit().unwrap();
    let after = page(&s, &third.cursor, 10);
    assert_eq!(skus(&after), ["B-2", "A-1"]);
    assert_eq!(after.changes[0].product.as_ref().unwrap().price_minor, 999);
    assert!(after.changes[1].deleted && after.changes[1].product.is_none());
    // From the start a till sees each product once, in its latest version.
    let all = page(&s, "0", 5000);
    assert_eq!(skus(&all), ["C-3", "D-4", "E-5", "B-2", "A-1"]);
    assert_eq!(all.cursor, after.cursor);
}

fn another_merchants_catalogue_is_invisible(backend: Backend) {
    let s = TestServer::start_on(backend);
    put(&s, "default", &product("MINE-1", 100));
    put(&s, "m_other", &product("THEIRS-1", 200));
    put(&s, "m_other", &product("MINE-1", 1));
    let all = page(&s, "0", 100);
    assert_eq!(skus(&all), ["MINE-1"]);
    assert_eq!(all.changes[0].product.as_ref().unwrap().price_minor, 100);
    // The other merchant's positions are its own: they do not move this merchant's cursor.
    assert_eq!(all.cursor, "1");
}

fn the_answer_is_signed_and_an_unsigned_request_is_refused(backend: Backend) {
    let s = TestServer::start_on(backend);
    put(&s, "default", &product("A-1", 100));
    let path = "/v1/catalogue/changes?since=0";
    let nonce = s.next_nonce();
    let h = s.sign_headers("GET", path, NOW, &nonce, b"");
    let a = s.raw("GET", path, b"", None, &h);
    assert_eq!(a.status, 200, "{}", a.text);
    let sig = a.signature.as_deref().expect("signed answer");
    assert!(verify_response(&s.secret, &nonce, 200, a.text.as_bytes(), NOW, sig));
    // The query is part of what is signed: the same headers for another cursor are refused.
    let h = s.sign_headers("GET", path, NOW, &s.next_nonce(), b"");
    let forged = s.raw("GET", "/v1/catalogue/changes?since=1", b"", None, &h);
    assert_eq!(forged.status, 401, "{}", forged.text);
    let unsigned = s.raw("GET", path, b"", None, &[]);
    assert_eq!(unsigned.status, 401);
    assert!(!unsigned.text.contains("A-1"));
}

fn bad_cursors_and_limits_are_refused(backend: Backend) {
    let s = TestServer::start_on(backend);
    for q in ["since=-1", "since=abc", "limit=0", "limit=5001", "limit=x"] {
        let a = s.get(&format!("/v1/catalogue/changes?{q}"));
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert_eq!(a.body["code"], Value::from("invalid_request"), "{q}");
    }
    assert_eq!(s.get("/v1/catalogue/changes?limit=5000").status, 200);
    assert_eq!(s.get("/v1/catalogue/changes").status, 200);
}

const CSV: &str = "sku,barcode,name,name_zh,price,tax_rate\n\
    tea-01,6901234567892,Green tea,绿茶,38.00,13\n\
    TEA-02,,Jasmine tea,,29.5,9\n";

fn import_is_one_transaction_and_idempotent(backend: Backend) {
    let s = TestServer::start_on(backend);
    let first = import_csv(&*s.repo, "default", CSV.as_bytes(), Currency::CNY, NOW).unwrap();
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    let cursor = page(&s, "0", 100).cursor;
    let again = import_csv(&*s.repo, "default", CSV.as_bytes(), Currency::CNY, NOW).unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert!(page(&s, &cursor, 100).changes.is_empty(), "the same file again is no change");
    let tea = page(&s, "0", 100).changes[0].product.clone().unwrap();
    assert_eq!((tea.sku.as_str(), tea.price_minor, tea.name_zh.as_deref()), ("TEA-01", 3800, Some("绿茶")));
    assert_eq!(tea.barcode.as_deref(), Some("6901234567892"));

    // One bad row: nothing of the file is written, and the error names the row.
    let bad = "sku,name,price,tax_rate\nTEA-01,Green tea,40,13\nNEW-1,New,abc,13\n";
    let e = import_csv(&*s.repo, "default", bad.as_bytes(), Currency::CNY, NOW).unwrap_err().to_string();
    assert!(e.contains("row 3"), "{e}");
    assert!(page(&s, &cursor, 100).changes.is_empty());
    // A barcode already on another product is refused as a whole too.
    let clash = "sku,barcode,name,price,tax_rate\nTEA-02,6901234567892,Jasmine,1,13\n";
    assert!(import_csv(&*s.repo, "default", clash.as_bytes(), Currency::CNY, NOW).is_err());
    assert!(page(&s, &cursor, 100).changes.is_empty());
}

fn set_price_moves_the_product_to_the_end_of_the_changes(backend: Backend) {
    let s = TestServer::start_on(backend);
    import_csv(&*s.repo, "default", CSV.as_bytes(), Currency::CNY, NOW).unwrap();
    let cursor = page(&s, "0", 100).cursor;
    let (p, w) = catalogue::set_price(&*s.repo, "default", "tea-01", "41.50", NOW).unwrap();
    assert_eq!((p.price_minor, w), (4150, Written::Updated));
    let after = page(&s, &cursor, 100);
    assert_eq!(skus(&after), ["TEA-01"]);
    assert_eq!(after.changes[0].product.as_ref().unwrap().price_minor, 4150);
    assert!(catalogue::set_price(&*s.repo, "default", "NOPE", "1", NOW).is_err());
    assert!(catalogue::set_price(&*s.repo, "default", "TEA-01", "-1", NOW).is_err());
    assert!(catalogue::set_price(&*s.repo, "m_other", "TEA-01", "1", NOW).is_err(), "another merchant's");
}

#[test]
fn the_command_line_imports_and_sets_a_price() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let csv = dir.path().join("catalogue.csv");
    std::fs::write(&csv, CSV).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
            .args(args)
            .env_remove("TILL_SERVER_KEY_FILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
    };
    let db = db.to_str().unwrap();
    let imported = run(&["catalogue", "import", "--db", db, csv.to_str().unwrap(), "--merchant", "default"]);
    assert_eq!(imported["created"], 2);
    let again = run(&["catalogue", "import", "--db", db, csv.to_str().unwrap()]);
    assert_eq!(again["unchanged"], 2);
    let set = run(&["catalogue", "set-price", "--db", db, "TEA-02", "31.00", "--merchant", "default"]);
    assert_eq!(set["product"]["price_minor"], 3100);
    let list = run(&["catalogue", "list", "--db", db, "--search", "jasmine"]);
    assert_eq!(list[0]["sku"], "TEA-02");
    run(&["catalogue", "delete", "--db", db, "TEA-02"]);
    assert_eq!(run(&["catalogue", "list", "--db", db]).as_array().unwrap().len(), 1);
}

#[test]
fn a_terminal_in_another_merchants_store_pulls_that_merchants_catalogue_only() {
    let s = TestServer::start();
    let db = s.dir.path().join("server.db");
    let db = db.to_str().unwrap();
    let csv = s.dir.path().join("acme.csv");
    std::fs::write(&csv, "sku,name,price,tax_rate\nACME-1,Acme kettle,120.00,13\nTEA-01,Acme's green tea,50.00,13\n")
        .unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
            .args(args)
            .env_remove("TILL_SERVER_KEY_FILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // The default merchant's products, and acme's, each in their own catalogue.
    put(&s, "default", &product("TEA-01", 3800));
    put(&s, "default", &product("MAIN-ONLY", 100));
    cli(&["catalogue", "import", "--db", db, csv.to_str().unwrap(), "--merchant", "acme"]);
    // Before the move, the till is in the default store: the default merchant's catalogue.
    let before = page(&s, "0", 100);
    assert_eq!(skus(&before), ["TEA-01", "MAIN-ONLY"]);

    cli(&["stores", "add", "--db", db, "harbour", "--merchant", "acme", "--name", "Harbour Road"]);
    cli(&["terminals", "set-store", "--db", db, "--id", &s.terminal_id, "--store", "harbour"]);
    let after = page(&s, "0", 100);
    let mut got = skus(&after);
    got.sort();
    assert_eq!(got, ["ACME-1", "TEA-01"], "acme's products only");
    let tea = after.changes.iter().find(|c| c.sku == "TEA-01").unwrap();
    assert_eq!(tea.product.as_ref().unwrap().price_minor, 5000, "acme's price, not the default merchant's");
    assert!(!after.more);
    // Acme's cursor is acme's: positions after it hold nothing of the default merchant's.
    put(&s, "default", &product("MAIN-LATER", 1));
    assert!(page(&s, &after.cursor, 100).changes.is_empty());
}
on_both_backends!(
    pages_follow_the_cursor_with_latest_versions_and_tombstones,
    another_merchants_catalogue_is_invisible,
    the_answer_is_signed_and_an_unsigned_request_is_refused,
    bad_cursors_and_limits_are_refused,
    import_is_one_transaction_and_idempotent,
    set_price_moves_the_product_to_the_end_of_the_changes,
);

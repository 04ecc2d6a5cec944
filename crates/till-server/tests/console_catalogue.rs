//! The console's catalogue page over plain HTTP against a real till-server on 127.0.0.1 with a
//! real SQLite file: an admin adds, edits, deletes and imports their merchant's products, each
//! change audited in its own transaction and seen by the tills' `GET /v1/catalogue/changes`;
//! another merchant's admin neither sees nor changes them; a form without its token, a bad
//! price and a bad file change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::console::{admin, Web, PASSWORD};
use support::{TestServer, NOW};
use till_api::catalogue::{CatalogueChangesPage, CatalogueProduct};
use till_core::Currency;
use till_server::catalogue::import::import_csv;
use till_server::console::catalogue_import::IMPORT_LIMIT;

const CSV: &str = "sku,barcode,name,name_zh,price,tax_rate\n\
    TEA-01,6901234567892,Green tea,绿茶,38.00,13\n\
    TEA-02,,Jasmine tea,,29.50,9\n";

fn signed_in(s: &TestServer, user: &str) -> Web {
    let web = Web::new(s);
    assert_eq!(web.sign_in(user, PASSWORD).status, 303);
    web
}

/// A server with the default merchant's two teas, its admin alice and acme's admin bob.
fn shop() -> TestServer {
    shop_on(TestServer::start())
}

fn shop_on(s: TestServer) -> TestServer {
    import_csv(&*s.repo, "default", CSV.as_bytes(), Currency::CNY, NOW).unwrap();
    admin(&s, "alice", "default");
    admin(&s, "bob", "acme");
    s
}

fn stored(s: &TestServer, merchant: &str, sku: &str) -> Option<CatalogueProduct> {
    let r = s.repo.read().unwrap().catalogue_product(merchant, sku).unwrap()?;
    (!r.deleted).then(|| till_server::catalogue::product_of(&r))
}

/// The till's view: every change of the default merchant's catalogue.
fn till_changes(s: &TestServer) -> CatalogueChangesPage {
    let a = s.get("/v1/catalogue/changes?since=0&limit=100");
    assert_eq!(a.status, 200, "{}", a.text);
    serde_json::from_str(&a.text).unwrap()
}

/// The catalogue's audit entries of `merchant` (not sign-ins), newest first, as `action subject`.
fn audit(s: &TestServer, merchant: &str) -> Vec<String> {
    let all = support::console::audit(s, merchant);
    all.into_iter().filter(|a| a.starts_with("catalogue.")).collect()
}

/// The same with who and the detail: `admin action subject | detail`.
fn audit_details(s: &TestServer, merchant: &str) -> Vec<String> {
    let entries = s.repo.read().unwrap().console_audit(merchant, 100).unwrap();
    entries
        .into_iter()
        .filter(|a| a.entry.action.starts_with("catalogue."))
        .map(|a| format!("{} {} {} | {}", a.entry.admin, a.entry.action, a.entry.subject, a.entry.detail))
        .collect()
}

/// The edit form's fields of TEA-01 with `price`, and the session's token.
fn tea_form(price: &str, csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("name", "Green tea".into()),
        ("name_zh", "绿茶".into()),
        ("price", price.into()),
        ("tax_rate", "13".into()),
        ("barcode", "6901234567892".into()),
        ("tax_inclusive", "on".into()),
        ("active", "on".into()),
        ("warranty_months", "12".into()),
    ]
}

fn post(web: &Web, path: &str, fields: &[(&'static str, String)]) -> support::console::Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    web.post(path, &pairs)
}

#[test]
fn an_admin_edits_a_price_and_the_tills_see_it_with_its_audit_entry() {
    edits_are_seen_by_the_tills_and_audited(shop());
}

/// The same on PostgreSQL (`TILL_TEST_POSTGRES`, docs/postgres.md): the page's changes, their
/// positions and audit entries in one transaction there too.
#[test]
fn on_postgres_an_admin_edits_a_price_and_the_tills_see_it_with_its_audit_entry() {
    edits_are_seen_by_the_tills_and_audited(shop_on(TestServer::start_postgres()));
}

fn edits_are_seen_by_the_tills_and_audited(s: TestServer) {
    let web = signed_in(&s, "alice");
    let list = web.get("/console/catalogue");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("data-sku=\"TEA-01\"") && list.body.contains("CNY 38.00") && list.body.contains("13%"));
    assert!(list.body.contains("aria-current=\"page\"") && list.body.contains("accesskey=\"6\""));
    // Search by name, case-insensitively.
    let found = web.get("/console/catalogue?q=JASMINE");
    assert!(found.body.contains("data-sku=\"TEA-02\"") && !found.body.contains("data-sku=\"TEA-01\""));

    let form = web.get("/console/catalogue/products/TEA-01");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"38.00\""), "the price in major units");
    let before = till_changes(&s).cursor;
    let saved = post(&web, "/console/catalogue/products/TEA-01", &tea_form("41.50", &form.csrf()));
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (303, Some("/console/catalogue?done=updated")),
        "{}",
        saved.body
    );
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 4150);
    // The tills' next round brings it.
    let changes = till_changes(&s);
    assert_ne!(changes.cursor, before);
    let last = changes.changes.last().unwrap();
    assert_eq!((last.sku.as_str(), last.product.as_ref().unwrap().price_minor), ("TEA-01", 4150));
    let entries = audit_details(&s, "default");
    assert!(entries[0].starts_with("alice catalogue.update TEA-01 | price_minor 3800 -> 4150"), "{entries:?}");
    // Saving it again as it is: nothing changes, no position, no entry.
    let again = post(&web, "/console/catalogue/products/TEA-01", &tea_form("41.50", &form.csrf()));
    assert_eq!(again.location.as_deref(), Some("/console/catalogue?done=unchanged"));
    assert_eq!(till_changes(&s).cursor, changes.cursor);
    assert_eq!(audit_details(&s, "default").len(), entries.len());

    // Add one, then delete it after its confirmation page.
    let new = web.get("/console/catalogue/new");
    let mut fields = tea_form("9.90", &new.csrf());
    fields.retain(|(k, _)| *k != "barcode" && *k != "name_zh");
    fields.extend([("sku", "oolong-1".to_string()), ("currency", "CNY".to_string())]);
    fields.iter_mut().filter(|(k, _)| *k == "name").for_each(|(_, v)| *v = "Oolong".into());
    let created = post(&web, "/console/catalogue/new", &fields);
    assert_eq!(created.location.as_deref(), Some("/console/catalogue?done=created"), "{}", created.body);
    assert_eq!(stored(&s, "default", "OOLONG-1").unwrap().price_minor, 990);
    // The same SKU again is refused in the form: nothing overwritten.
    fields.iter_mut().filter(|(k, _)| *k == "price").for_each(|(_, v)| *v = "1.00".into());
    let twice = post(&web, "/console/catalogue/new", &fields);
    assert_eq!(twice.status, 400);
    assert!(twice.body.contains("id=\"general-error\""), "{}", twice.body);
    assert_eq!(stored(&s, "default", "OOLONG-1").unwrap().price_minor, 990);
    let confirm = web.get("/console/catalogue/products/OOLONG-1/delete");
    assert!(confirm.body.contains("id=\"question\""));
    let deleted = web.post("/console/catalogue/products/OOLONG-1/delete", &[("csrf", &confirm.csrf())]);
    assert_eq!(deleted.location.as_deref(), Some("/console/catalogue?done=deleted"));
    assert!(stored(&s, "default", "OOLONG-1").is_none());
    let tomb = till_changes(&s).changes.into_iter().find(|c| c.sku == "OOLONG-1").unwrap();
    assert!(tomb.deleted, "the tills take it off sale");
    assert_eq!(
        audit(&s, "default")[..2],
        ["catalogue.delete OOLONG-1".to_string(), "catalogue.create OOLONG-1".to_string()]
    );
    assert_eq!(web.get("/console/catalogue/products/OOLONG-1").status, 404);
}

#[test]
fn another_merchants_admin_neither_sees_nor_changes_the_products() {
    let s = shop();
    let bob = signed_in(&s, "bob");
    let list = bob.get("/console/catalogue");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("id=\"no-products\"") && !list.body.contains("TEA-01"), "{}", list.body);
    assert!(!bob.get("/console/catalogue?q=tea").body.contains("TEA-0"));
    for path in ["/console/catalogue/products/TEA-01", "/console/catalogue/products/TEA-01/delete"] {
        assert_eq!(bob.get(path).status, 404, "{path}");
    }
    let token = list.csrf();
    assert_eq!(post(&bob, "/console/catalogue/products/TEA-01", &tea_form("0.01", &token)).status, 404);
    assert_eq!(bob.post("/console/catalogue/products/TEA-01/delete", &[("csrf", &token)]).status, 404);
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800);
    // What bob adds or imports is acme's: the default merchant's tills never get it.
    let csv = "sku,name,price,tax_rate\nTEA-01,Acme tea,1.00,13\n";
    let imported = bob.post("/console/catalogue/import", &[("csrf", &token), ("csv", csv), ("currency", "CNY")]);
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(stored(&s, "acme", "TEA-01").unwrap().price_minor, 100);
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800);
    assert!(till_changes(&s).changes.iter().all(|c| c.product.as_ref().unwrap().price_minor != 100));
    assert!(audit(&s, "default").is_empty());
    assert_eq!(audit(&s, "acme"), ["catalogue.import csv"]);
}

#[test]
fn forms_without_the_session_token_change_nothing() {
    let s = shop();
    let web = signed_in(&s, "alice");
    let token = web.get("/console/catalogue/products/TEA-01").csrf();
    let cursor = till_changes(&s).cursor;
    for bad in ["", "0000"] {
        assert_eq!(post(&web, "/console/catalogue/products/TEA-01", &tea_form("1.00", bad)).status, 403);
        assert_eq!(web.post("/console/catalogue/products/TEA-01/delete", &[("csrf", bad)]).status, 403);
        let csv = "sku,name,price,tax_rate\nNEW-1,New,1.00,13\n";
        assert_eq!(
            web.post("/console/catalogue/import", &[("csrf", bad), ("csv", csv), ("currency", "CNY")]).status,
            403
        );
        let mut fields = tea_form("1.00", bad);
        fields.push(("sku", "NEW-2".into()));
        fields.push(("currency", "CNY".into()));
        assert_eq!(post(&web, "/console/catalogue/new", &fields).status, 403);
    }
    // Another session's token is not this one's.
    let other = signed_in(&s, "alice").get("/console/catalogue").csrf();
    assert_eq!(post(&web, "/console/catalogue/products/TEA-01", &tea_form("1.00", &other)).status, 403);
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800);
    assert!(stored(&s, "default", "NEW-1").is_none() && stored(&s, "default", "NEW-2").is_none());
    assert_eq!(till_changes(&s).cursor, cursor);
    assert!(audit(&s, "default").is_empty());
    // Without a session: the sign-in page, nothing changed.
    let stranger = Web::new(&s);
    let answer = post(&stranger, "/console/catalogue/products/TEA-01", &tea_form("1.00", &token));
    assert_eq!((answer.status, answer.location.as_deref()), (303, Some("/console/sign-in")));
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800);
}

#[test]
fn a_bad_price_or_product_is_shown_in_the_form_and_changes_nothing() {
    let s = shop();
    let web = signed_in(&s, "alice");
    let token = web.get("/console/catalogue").csrf();
    let cursor = till_changes(&s).cursor;
    for price in ["12.345", "abc", "-1", ""] {
        let answer = post(&web, "/console/catalogue/products/TEA-01", &tea_form(price, &token));
        assert_eq!(answer.status, 400, "{price}");
        assert!(answer.body.contains("id=\"price-error\""), "{price}: {}", answer.body);
        assert!(answer.body.contains("aria-invalid=\"true\""), "{price}: the field is marked");
        assert!(answer.body.contains("role=\"alert\""));
    }
    // A rule of the product (here: the other tea's barcode) is told above the form.
    let mut taken = tea_form("38.00", &token);
    taken.iter_mut().filter(|(k, _)| *k == "barcode").for_each(|(_, v)| *v = "6901234567892".into());
    let answer = post(&web, "/console/catalogue/products/TEA-02", &taken);
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("already used by TEA-01"), "{}", answer.body);
    let mut bad_tax = tea_form("38.00", &token);
    bad_tax.iter_mut().filter(|(k, _)| *k == "tax_rate").for_each(|(_, v)| *v = "150".into());
    assert!(post(&web, "/console/catalogue/products/TEA-01", &bad_tax).body.contains("id=\"tax_rate-error\""));
    // In Chinese the form says it in Chinese.
    let zh = web.get("/console/lang?to=zh&back=/console/catalogue");
    assert_eq!(zh.status, 303);
    let answer = post(&web, "/console/catalogue/products/TEA-01", &tea_form("abc", &token));
    assert!(answer.body.contains("请按 12.50 的格式输入价格"), "{}", answer.body);
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800);
    assert_eq!(stored(&s, "default", "TEA-02").unwrap().barcode, None);
    assert_eq!(till_changes(&s).cursor, cursor);
    assert!(audit(&s, "default").is_empty());
}

#[test]
fn a_bad_file_writes_nothing_and_a_good_one_is_counted_and_audited() {
    let s = shop();
    let web = signed_in(&s, "alice");
    let form = web.get("/console/catalogue/import");
    assert_eq!(form.status, 200);
    let token = form.csrf();
    let cursor = till_changes(&s).cursor;
    let bad = "sku,name,price,tax_rate\nTEA-01,Green tea,45.00,13\nNEW-1,,abc,13\nNEW-2,Fine,1.00,13\n";
    let answer = web.post("/console/catalogue/import", &[("csrf", &token), ("csv", bad), ("currency", "CNY")]);
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("class=\"row-error\">row 3:"), "{}", answer.body);
    assert!(answer.body.contains("NEW-2,Fine"), "the text is kept to be fixed");
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 3800, "nothing written");
    assert!(stored(&s, "default", "NEW-2").is_none());
    assert_eq!(till_changes(&s).cursor, cursor);
    // Not a catalogue at all, or an unknown currency: refused too.
    let no_header =
        web.post("/console/catalogue/import", &[("csrf", &token), ("csv", "a,b\n1,2\n"), ("currency", "CNY")]);
    assert_eq!(no_header.status, 400);
    assert!(no_header.body.contains("id=\"import-refusal\""));
    assert_eq!(
        web.post("/console/catalogue/import", &[("csrf", &token), ("csv", CSV), ("currency", "XYZ")]).status,
        400
    );
    assert!(audit(&s, "default").is_empty());
    // Larger than the limit: refused before it is read.
    let mut huge = format!("csrf={token}&csv=");
    huge.push_str(&"a".repeat(IMPORT_LIMIT));
    assert_eq!(web.post_raw("/console/catalogue/import", huge.as_bytes()).status, 413);

    let good =
        "sku,name,price,tax_rate\nTEA-01,Green tea,45.00,13\nTEA-02,Jasmine tea,29.50,9\nNEW-1,New tea,1.00,13\n";
    let answer = web.post("/console/catalogue/import", &[("csrf", &token), ("csv", good), ("currency", "CNY")]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    for (id, n) in [("created", 1), ("updated", 1), ("unchanged", 1)] {
        assert!(answer.body.contains(&format!("id=\"{id}\">{n}<")), "{id}: {}", answer.body);
    }
    assert_eq!(stored(&s, "default", "TEA-01").unwrap().price_minor, 4500);
    let entries = audit_details(&s, "default");
    assert_eq!(entries.len(), 1);
    assert!(entries[0].starts_with("alice catalogue.import csv | "), "{entries:?}");
    assert!(entries[0].contains("created 1, updated 1, unchanged 1; prices in CNY"), "{entries:?}");
}

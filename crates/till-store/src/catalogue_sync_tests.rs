use super::*;
use crate::catalogue::tests::product;

fn hq(sku: &str, barcode: Option<&str>, price: i64) -> HqProduct {
    HqProduct {
        sku: sku.into(),
        barcode: barcode.map(Into::into),
        name: format!("HQ {sku}"),
        name_zh: None,
        price_minor: price,
        currency: "CNY".into(),
        tax_rate_bp: 900,
        tax_inclusive: true,
        serialised: false,
        active: true,
        seller: None,
        warranty_months: 24,
        software: None,
    }
}

fn change(seq: i64, p: HqProduct) -> HqChange {
    HqChange { seq, sku: p.sku.clone(), product: Some(p) }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.db")).unwrap();
    s.add_products(&[
        product("LOCAL-1", Some("6901234567892"), "Local only", None, 100),
        product("TEA-01", None, "Local tea", None, 3800),
    ])
    .unwrap();
    (dir, s)
}

fn price(s: &Store, sku: &str) -> Option<i64> {
    s.product_by_sku(&Sku::parse(sku).unwrap()).unwrap().map(|p| p.price.minor())
}

#[test]
fn a_page_creates_takes_over_and_updates_with_its_cursor() {
    let (_d, s) = store();
    assert_eq!(s.hq_catalogue_cursor().unwrap(), None);
    let page = [change(1, hq("NEW-1", None, 500)), change(2, hq("TEA-01", None, 4200))];
    let a = s.hq_catalogue_apply_page(&page, "2", 10).unwrap();
    assert_eq!((a.created, a.updated), (1, 1));
    assert_eq!(s.hq_catalogue_cursor().unwrap().as_deref(), Some("2"));
    assert_eq!(price(&s, "NEW-1"), Some(500));
    assert_eq!(price(&s, "TEA-01"), Some(4200), "HQ wins over the till's own product of that SKU");
    assert_eq!(price(&s, "LOCAL-1"), Some(100), "a product HQ never sent stays");
    assert_eq!(s.hq_catalogue_status().unwrap().managed, 2);
    // Found by the search too, under HQ's name.
    assert_eq!(s.search_products("HQ new", 5).unwrap().len(), 1);
    // Applying the same page again (a cursor lost) changes nothing.
    let again = s.hq_catalogue_apply_page(&page, "2", 11).unwrap();
    assert_eq!(again.skipped, 2);
}

#[test]
fn a_local_edit_stands_until_hqs_next_change_of_that_product() {
    let (_d, s) = store();
    s.hq_catalogue_apply_page(&[change(1, hq("TEA-01", None, 4200))], "1", 10).unwrap();
    s.write(|tx| Ok(tx.execute("UPDATE products SET price_minor = 3000 WHERE sku = 'TEA-01'", [])?)).unwrap();
    s.hq_catalogue_apply_page(&[change(2, hq("NEW-1", None, 1))], "2", 10).unwrap();
    assert_eq!(price(&s, "TEA-01"), Some(3000), "another product's change leaves the local edit");
    s.hq_catalogue_apply_page(&[change(3, hq("TEA-01", None, 4500))], "3", 10).unwrap();
    assert_eq!(price(&s, "TEA-01"), Some(4500));
}

#[test]
fn a_tombstone_takes_the_product_off_sale_and_a_barcode_moves_to_hqs_product() {
    let (_d, s) = store();
    s.hq_catalogue_apply_page(&[change(1, hq("TEA-01", None, 4200))], "1", 10).unwrap();
    let gone = HqChange { seq: 2, sku: "TEA-01".into(), product: None };
    let nothing = HqChange { seq: 3, sku: "NEVER-1".into(), product: None };
    let a = s.hq_catalogue_apply_page(&[gone, nothing], "3", 10).unwrap();
    assert_eq!((a.deleted, a.skipped), (1, 1));
    assert_eq!(price(&s, "TEA-01"), None, "off sale");
    // HQ gives LOCAL-1's barcode to its own product: the scan finds HQ's.
    s.hq_catalogue_apply_page(&[change(4, hq("HQ-9", Some("6901234567892"), 700))], "4", 10).unwrap();
    let b = Barcode::parse("6901234567892").unwrap();
    assert_eq!(s.product_by_barcode(&b).unwrap().unwrap().sku.as_str(), "HQ-9");
    assert_eq!(price(&s, "LOCAL-1"), Some(100));
}

#[test]
fn a_bad_change_refuses_the_whole_page_and_keeps_the_cursor() {
    let (_d, s) = store();
    s.hq_catalogue_apply_page(&[change(1, hq("A-1", None, 1))], "1", 10).unwrap();
    let mut bad = hq("B-1", None, 1);
    bad.currency = "XXX".into();
    let r = s.hq_catalogue_apply_page(&[change(2, hq("C-1", None, 1)), change(3, bad)], "3", 10);
    assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    assert_eq!(s.hq_catalogue_cursor().unwrap().as_deref(), Some("1"));
    assert_eq!(price(&s, "C-1"), None, "nothing of the page");
}

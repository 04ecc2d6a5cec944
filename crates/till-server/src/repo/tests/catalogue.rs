//! The catalogue from HQ (schema version 13): its per-merchant counter, products, changes, search.

use super::*;

fn product(merchant: &str, sku: &str, name: &str, seq: i64) -> CatalogueProductRecord {
    CatalogueProductRecord {
        merchant_id: merchant.into(),
        sku: sku.into(),
        barcode: Some(format!("69{seq:011}")),
        name: name.into(),
        name_zh: Some("手机".into()),
        price_minor: 100 * seq,
        currency: "CNY".into(),
        tax_rate_bp: 1300,
        tax_inclusive: true,
        serialised: seq % 2 == 0,
        active: true,
        seller: None,
        warranty_months: 12,
        software: None,
        deleted: false,
        seq,
        updated_at: 1000 + seq,
    }
}

pub(super) fn each_merchant_counts_its_own_changes(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.next_catalogue_seq("acme").unwrap(), 1);
    assert_eq!(tx.next_catalogue_seq("acme").unwrap(), 2);
    assert_eq!(tx.next_catalogue_seq("beta").unwrap(), 1);
    tx.commit().unwrap();
    // Another server process on the same database carries on from the stored counter.
    let other = db.open();
    let mut tx = other.begin().unwrap();
    assert_eq!(tx.next_catalogue_seq("acme").unwrap(), 3);
}

pub(super) fn products_are_written_over_and_read_back_by_sku_and_barcode(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let first = product("acme", "PH-1", "Phone", 1);
    tx.put_catalogue_product(&first).unwrap();
    assert_eq!(tx.catalogue_product("acme", "PH-1").unwrap(), Some(first.clone()));
    assert_eq!(tx.catalogue_product("beta", "PH-1").unwrap(), None);
    // Written over: every column takes the new value (NULLs included), one row.
    let second = CatalogueProductRecord {
        barcode: None,
        name_zh: None,
        seller: Some("seller-b".into()),
        software: Some("v2".into()),
        tax_inclusive: false,
        price_minor: 250,
        ..product("acme", "PH-1", "Phone 2", 2)
    };
    tx.put_catalogue_product(&second).unwrap();
    assert_eq!(tx.catalogue_product("acme", "PH-1").unwrap(), Some(second.clone()));
    assert_eq!(tx.catalogue_product_count("acme").unwrap(), 1);
    tx.put_catalogue_product(&product("acme", "CS-1", "Case", 3)).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.catalogue_sku_by_barcode("acme", &format!("69{:011}", 3)).unwrap().as_deref(), Some("CS-1"));
    assert_eq!(tx.catalogue_sku_by_barcode("acme", &format!("69{:011}", 1)).unwrap(), None, "the old barcode");
    assert_eq!(tx.catalogue_sku_by_barcode("beta", &format!("69{:011}", 3)).unwrap(), None);
    drop(tx);
    // A deleted product is a tombstone: still read by sku, not by barcode, not counted.
    let mut tx = repo.begin().unwrap();
    tx.put_catalogue_product(&CatalogueProductRecord { deleted: true, ..product("acme", "CS-1", "Case", 4) }).unwrap();
    assert!(tx.catalogue_product("acme", "CS-1").unwrap().unwrap().deleted);
    assert_eq!(tx.catalogue_sku_by_barcode("acme", &format!("69{:011}", 4)).unwrap(), None);
    assert_eq!(tx.catalogue_product_count("acme").unwrap(), 1);
    assert_eq!(tx.catalogue_product_count("nobody").unwrap(), 0);
}

pub(super) fn changes_come_in_seq_order_after_the_cursor(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    for (sku, seq) in [("C", 3), ("A", 1), ("B", 2), ("D", 4)] {
        tx.put_catalogue_product(&product("acme", sku, sku, seq)).unwrap();
    }
    tx.put_catalogue_product(&product("beta", "X", "X", 1)).unwrap();
    // A change moves a product to the end.
    tx.put_catalogue_product(&product("acme", "A", "A", 5)).unwrap();
    let seqs = |tx: &mut Box<dyn Tx + '_>, after, limit| -> Vec<(String, i64)> {
        tx.catalogue_changes("acme", after, limit).unwrap().into_iter().map(|p| (p.sku, p.seq)).collect()
    };
    let s = |v: &[(&str, i64)]| -> Vec<(String, i64)> { v.iter().map(|(a, b)| (a.to_string(), *b)).collect() };
    assert_eq!(seqs(&mut tx, 0, 2), s(&[("B", 2), ("C", 3)]));
    assert_eq!(seqs(&mut tx, 3, 10), s(&[("D", 4), ("A", 5)]));
    assert!(seqs(&mut tx, 5, 10).is_empty());
    assert_eq!(tx.catalogue_changes("beta", 0, 10).unwrap().len(), 1);
}

pub(super) fn the_list_pages_by_sku_and_searches_without_wildcards(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let names = [("b-2", "Phone Case"), ("a-1", "PHONE"), ("c_3", "100% cotton"), ("d-4", "Cable"), ("E-5", "phone")];
    for (i, (sku, name)) in names.iter().enumerate() {
        tx.put_catalogue_product(&product("acme", sku, name, i as i64 + 1)).unwrap();
    }
    tx.put_catalogue_product(&CatalogueProductRecord { deleted: true, ..product("acme", "f-6", "Phone", 6) }).unwrap();
    tx.put_catalogue_product(&product("beta", "a-0", "Phone", 1)).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let mut skus = |search: Option<&str>, limit, offset| -> Vec<String> {
        tx.catalogue_products("acme", search, limit, offset).unwrap().into_iter().map(|p| p.sku).collect()
    };
    // By bytes: upper case sorts before lower case on both databases (docs/postgres.md: C collation).
    assert_eq!(skus(None, 10, 0), ["E-5", "a-1", "b-2", "c_3", "d-4"]);
    assert_eq!(skus(None, 2, 1), ["a-1", "b-2"]);
    assert_eq!(skus(Some("  "), 10, 3), ["c_3", "d-4"], "a blank search is no search");
    assert_eq!(skus(Some("phone"), 10, 0), ["E-5", "a-1", "b-2"], "case-insensitive, by name");
    assert_eq!(skus(Some("phone"), 1, 2), ["b-2"]);
    assert_eq!(skus(Some("_"), 10, 0), ["c_3"], "_ is itself, not any character");
    assert_eq!(skus(Some("%"), 10, 0), ["c_3"], "% is itself, not anything");
    assert_eq!(skus(Some("D-4"), 10, 0), ["d-4"], "by sku");
    assert!(skus(Some("nothing"), 10, 0).is_empty());
}

//! Merchants' stores and the lookups scoped to a merchant (schema version 12).

use super::fixtures::{refund, sale};
use super::migrations::fixture;
use super::*;

fn store(store: &str, merchant: &str, at: i64) -> StoreRecord {
    StoreRecord { store: store.into(), merchant_id: merchant.into(), name: format!("{store} 店"), created_at: at }
}

pub(super) fn stores_belong_to_one_merchant_and_are_listed_by_merchant(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    assert!(tx.insert_store(&store("north", "acme", 1)).unwrap());
    assert!(!tx.insert_store(&store("north", "beta", 2)).unwrap(), "a store keeps its first merchant");
    assert!(tx.insert_store(&store("a-south", "acme", 3)).unwrap());
    assert!(tx.insert_store(&store("Z", "beta", 4)).unwrap());
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.store_merchant("north").unwrap().as_deref(), Some("acme"));
    assert_eq!(tx.store_merchant("main").unwrap(), None, "the default store has no row");
    assert_eq!(tx.stores().unwrap(), [store("a-south", "acme", 3), store("north", "acme", 1), store("Z", "beta", 4)]);
}

pub(super) fn lines_and_refunds_answer_their_orders_merchant(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    sale(&mut *tx, "t_1", "o-1", "L1", "acme", 100, 10);
    sale(&mut *tx, "t_1", "o-2", "L2", "default", 100, 10);
    tx.insert_refund(&refund("r-1", "t_1", "L1", "refunded", None, 20)).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.line_merchant("L1").unwrap().as_deref(), Some("acme"));
    assert_eq!(tx.line_merchant("L2").unwrap().as_deref(), Some("default"));
    assert_eq!(tx.line_merchant("L9").unwrap(), None);
    assert_eq!(tx.refund_merchant("r-1").unwrap().as_deref(), Some("acme"));
    assert_eq!(tx.refund_merchant("r-9").unwrap(), None);
}

fn device(line: &str, sold_at: i64) -> SoldDeviceRecord {
    SoldDeviceRecord {
        blind: "blind-1".into(),
        identifier_sealed: "sealed".into(),
        warranty_months: Some(12),
        kind: "imei".into(),
        line_code: line.into(),
        terminal_id: "t_1".into(),
        order_id: format!("o-{line}"),
        store: "north".into(),
        price_minor: 199_900,
        currency: "CNY".into(),
        paying_account: "cash".into(),
        software: None,
        sold_at,
        refunded: false,
    }
}

pub(super) fn a_device_is_sold_once_per_merchant_until_refunded(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    for (line, merchant) in [("L1", "acme"), ("L2", "beta"), ("L3", "acme")] {
        sale(&mut *tx, "t_1", &format!("o-{line}"), line, merchant, 199_900, 10);
    }
    tx.insert_merchant_sold_device("acme", &device("L1", 10)).unwrap();
    tx.insert_merchant_sold_device("beta", &device("L2", 11)).unwrap();
    assert_eq!(tx.merchant_sold_device("acme", "blind-1").unwrap(), Some(device("L1", 10)));
    assert_eq!(tx.merchant_sold_device("beta", "blind-1").unwrap(), Some(device("L2", 11)));
    assert_eq!(tx.merchant_sold_device("other", "blind-1").unwrap(), None);
    tx.set_merchant_device_refunded("acme", "blind-1", true).unwrap();
    assert!(tx.merchant_sold_device("acme", "blind-1").unwrap().unwrap().refunded);
    assert!(!tx.merchant_sold_device("beta", "blind-1").unwrap().unwrap().refunded, "only acme's sale");
    // Refunded, it may be sold again by the same merchant: the new sale replaces it.
    tx.insert_merchant_sold_device("acme", &device("L3", 12)).unwrap();
    assert_eq!(tx.merchant_sold_device("acme", "blind-1").unwrap(), Some(device("L3", 12)));
    tx.set_merchant_device_refunded("acme", "blind-1", false).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.begin().unwrap();
    assert!(tx.insert_merchant_sold_device("acme", &device("L1", 13)).is_err(), "an unrefunded sale is replaced");
}

pub(super) fn customers_and_points_accounts_belong_to_a_merchant(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.set_merchant_customer_reputation("acme", "c-1", 10).unwrap();
    tx.set_merchant_customer_reputation("beta", "c-1", 20).unwrap();
    tx.set_merchant_customer_reputation("acme", "c-1", 30).unwrap();
    let account = PointsAccount {
        account_id: "a".repeat(32),
        key_hex: "cd".repeat(32),
        last_counter: 0,
        balance: 0,
        customer_ref: None,
        created_at: 1,
    };
    tx.insert_points_account(&account).unwrap();
    assert_eq!(tx.points_account_merchant(&account.account_id).unwrap().as_deref(), Some("default"));
    tx.set_points_account_merchant(&account.account_id, "acme").unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.merchant_customer_reputation("acme", "c-1").unwrap(), Some(30));
    assert_eq!(tx.merchant_customer_reputation("beta", "c-1").unwrap(), Some(20));
    assert_eq!(tx.merchant_customer_reputation("gamma", "c-1").unwrap(), None);
    assert_eq!(tx.points_account_merchant(&account.account_id).unwrap().as_deref(), Some("acme"));
    assert_eq!(tx.points_account_merchant("nobody").unwrap(), None);
}

pub(super) fn service_orders_and_software_updates_are_found_by_their_merchant(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    for (no, terminal, merchant) in [("S-1", "t_1", "acme"), ("S-2", "t_2", "beta"), ("S-3", "t_2", "acme")] {
        tx.put_service_order(&ServiceOrderRecord {
            terminal_id: terminal.into(),
            service_no: no.into(),
            device_blind: "blind-1".into(),
            identifier_sealed: "sealed".into(),
            store: "north".into(),
            fault: "screen".into(),
            status: "received".into(),
            opened_at: 1,
            updated_at: 1,
        })
        .unwrap();
        tx.set_service_order_merchant(terminal, no, merchant).unwrap();
        let update = SoftwareUpdateRecord {
            terminal_id: terminal.into(),
            update_id: format!("u{no}"),
            device_blind: "blind-1".into(),
            identifier_sealed: "sealed".into(),
            store: "north".into(),
            version: "v2".into(),
            installed_by: "tech".into(),
            installed_at: 2,
        };
        assert!(tx.insert_software_update(&update).unwrap());
        tx.set_software_update_merchant(terminal, &format!("u{no}"), merchant).unwrap();
    }
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let mut orders = tx.merchant_service_orders("acme", "blind-1").unwrap();
    orders.sort();
    assert_eq!(orders, [("t_1".to_string(), "S-1".to_string()), ("t_2".to_string(), "S-3".to_string())]);
    assert_eq!(tx.merchant_service_orders("beta", "blind-1").unwrap(), [("t_2".to_string(), "S-2".to_string())]);
    assert!(tx.merchant_service_orders("acme", "blind-2").unwrap().is_empty());
    let mut updates = tx.merchant_software_updates("acme", "blind-1").unwrap();
    updates.sort();
    assert_eq!(updates, [("t_1".to_string(), "uS-1".to_string()), ("t_2".to_string(), "uS-3".to_string())]);
    assert_eq!(tx.merchant_software_updates("beta", "blind-1").unwrap(), [("t_2".to_string(), "uS-2".to_string())]);
}

/// Version 12 rebuilds `customers` and `sold_devices` keyed by merchant: a one-shop database's
/// rows become the default merchant's, on both databases.
pub(super) fn a_database_of_one_shop_becomes_the_default_merchants(db: &Db) {
    fixture(
        db,
        &[],
        "INSERT INTO schema_version (version) VALUES (1);
         INSERT INTO orders VALUES ('t_1', 'o-1', 'Shop 1', 'CNY', 100, 'cust-1', 100, 100);
         INSERT INTO order_lines VALUES ('ABCDABCDABCDA', 't_1', 'o-1', 1, 'X', 'X', 1, 100, 100, 'CNY', NULL, 0);
         INSERT INTO customers VALUES ('cust-1', 90);
         INSERT INTO points_accounts VALUES ('a1', 'k', 0, 5, NULL, 100);",
    );
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.merchant_customer_reputation("default", "cust-1").unwrap(), Some(90));
    assert_eq!(tx.merchant_customer_reputation("acme", "cust-1").unwrap(), None);
    assert_eq!(tx.line_merchant("ABCDABCDABCDA").unwrap().as_deref(), Some("default"));
    assert_eq!(tx.points_account_merchant("a1").unwrap().as_deref(), Some("default"));
    // The same customer id at another merchant is another customer.
    tx.set_merchant_customer_reputation("acme", "cust-1", 10).unwrap();
    assert_eq!(tx.merchant_customer_reputation("default", "cust-1").unwrap(), Some(90));
    assert_eq!(tx.merchant_customer_reputation("acme", "cust-1").unwrap(), Some(10));
    tx.commit().unwrap();
}

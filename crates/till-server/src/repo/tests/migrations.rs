//! Databases of older schema versions, written by hand through a plain connection, brought up to
//! date by opening them: the same path on both backends.

use super::super::sealed_columns::MIGRATION_5;
use super::*;

pub(super) fn fixture(db: &Db, steps: &[&str], rows: &str) {
    let mut raw = db.raw();
    raw.batch(SCHEMA).unwrap();
    for step in steps {
        raw.batch(step).unwrap();
    }
    raw.batch(rows).unwrap();
}

fn version(db: &Db) -> i64 {
    db.raw().query_int("SELECT MAX(version) FROM schema_version", args![]).unwrap().unwrap()
}

pub(super) fn a_version_1_database_is_migrated_with_its_history_in_order(db: &Db) {
    fixture(
        db,
        &[],
        "INSERT INTO schema_version (version) VALUES (1);
         INSERT INTO points_accounts VALUES ('a', 'k', 9, 30, NULL, 0);
         INSERT INTO points_entries VALUES ('a', 9, 't', 'o', 'redeem', -10, 30, 2);
         INSERT INTO points_entries VALUES ('a', 2, 't', 'o', 'earn', 40, 40, 1);
         INSERT INTO orders VALUES ('t', 'o', 'main', 'CNY', 1, NULL, 0, 0);
         INSERT INTO order_lines VALUES ('L', 't', 'o', 1, 'S', 'n', 1, 1, 1, 'CNY', NULL, 0);
         INSERT INTO refunds (refund_id, terminal_id, line_code, amount_minor, currency, tender, reason,
             status, refund_to, created_at) VALUES ('r', 't', 'L', 1, 'CNY', 'cash', 'x', 'refunded', 'cash', 0);
         INSERT INTO authorizations VALUES ('t', 'p1', 'o', 5, 'CNY', '411111******1111', 1, '123456', NULL, 0);
         INSERT INTO authorizations VALUES ('t', 'p2', 'o', 5, 'CNY', '411111******1111', 0, NULL, 'do_not_honour', 0);",
    );
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let kinds = |tx: &mut Box<dyn Tx + '_>| -> Vec<String> {
        tx.points_history("a", 10).unwrap().into_iter().map(|e| e.kind).collect()
    };
    assert_eq!(kinds(&mut tx), ["redeem", "earn"]);
    assert_eq!(tx.refund("r").unwrap().unwrap().original_auth_code, None);
    // Version 4: an authorisation's status follows the platform's decision.
    assert_eq!(tx.authorization("t", "p1").unwrap().unwrap().status, AUTH_APPROVED);
    assert_eq!(tx.authorization("t", "p2").unwrap().unwrap().status, AUTH_DECLINED);
    // A reversal shares the account's last counter and still lands after it in the history.
    tx.insert_points_entry(&entry("a", 9, "reverse_earn", -5, Some("r"))).unwrap();
    assert_eq!(kinds(&mut tx), ["reverse_earn", "redeem", "earn"]);
    assert_eq!(tx.points_order_sum("a", "t", "o", "earn").unwrap(), 40);
    assert_eq!(tx.points_order_sum("a", "t", "o", "return_redeem").unwrap(), 0);
    assert!(tx.points_reversal_exists("a", "r", "reverse_earn").unwrap());
    assert!(!tx.points_reversal_exists("a", "r", "return_redeem").unwrap());
    assert!(tx.points_token_used("a", 2).unwrap());
    tx.commit().unwrap();
    // One reversal per refund and kind; one entry per token counter (each refused in a
    // transaction of its own: PostgreSQL ends a transaction at its first failed statement).
    for refused in [entry("a", 9, "reverse_earn", -1, Some("r")), entry("a", 2, "earn", 1, None)] {
        let mut tx = repo.begin().unwrap();
        assert!(tx.insert_points_entry(&refused).is_err(), "{refused:?} was accepted");
    }
    drop(repo);
    db.open();
    assert_eq!(version(db), SCHEMA_VERSION);
}

fn entry(account: &str, counter: i64, kind: &str, delta: i64, refund: Option<&str>) -> PointsEntry {
    PointsEntry {
        account_id: account.into(),
        counter,
        terminal_id: "t".into(),
        order_id: "o".into(),
        kind: kind.into(),
        delta,
        balance_after: 0,
        at: 0,
        refund_id: refund.map(str::to_string),
    }
}

pub(super) fn a_version_2_database_gets_authorisation_statuses_and_reversals(db: &Db) {
    fixture(
        db,
        &[MIGRATION_2],
        "INSERT INTO schema_version (version) VALUES (1), (2);
         INSERT INTO authorizations VALUES ('t', 'p1', 'o', 100, 'CNY', '411111******1111', 1, '123456', NULL, 0);
         INSERT INTO authorizations VALUES ('t', 'p2', 'o', 100, 'CNY', '400000******0002', 0, NULL, 'do_not_honour', 0);",
    );
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let status = |tx: &mut Box<dyn Tx + '_>, id: &str| tx.authorization("t", id).unwrap().unwrap().status;
    assert_eq!((status(&mut tx, "p1"), status(&mut tx, "p2")), ("approved".into(), "declined".into()));
    tx.set_authorization_status("t", "p1", "reversed").unwrap();
    assert_eq!(status(&mut tx, "p1"), "reversed");
    let r = PaymentReversalRecord {
        terminal_id: "t".into(),
        payment_id: "p9".into(),
        amount_minor: 5,
        currency: "CNY".into(),
        reason: "no_answer".into(),
        authorised: false,
        created_at: 3,
    };
    tx.insert_payment_reversal(&r).unwrap();
    assert_eq!(tx.payment_reversal("t", "p9").unwrap(), Some(r.clone()));
    assert_eq!(tx.payment_reversal("t2", "p9").unwrap(), None);
    assert!(tx.insert_payment_reversal(&r).is_err(), "one reversal per payment id");
}

const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
const KEY: &str = "6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab";
const ANSWER: &str = r#"{"enrolment_message":"TILL-ENROL 1 aa NNSXSq till-server","key":"6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab"}"#;

pub(super) fn a_version_2_database_is_sealed_in_place_and_keeps_answering_the_same(db: &Db) {
    fixture(
        db,
        &[MIGRATION_2],
        &format!(
            "INSERT INTO schema_version (version) VALUES (1), (2);
             INSERT INTO terminals VALUES ('t_0000000000000001', 'counter', '{SECRET}', 0, 0);
             INSERT INTO points_accounts VALUES ('{a}', '{KEY}', 3, 40, NULL, 0);
             INSERT INTO idempotency VALUES ('t_0000000000000001', 'enrol-1', 'h', 201, '{ANSWER}', 0);",
            a = "a".repeat(32)
        ),
    );
    let repo = db.open();
    let mut raw = db.raw();
    let stored = raw
        .query_map(
            "SELECT secret_sealed FROM terminals UNION ALL SELECT key_sealed FROM points_accounts \
             UNION ALL SELECT response_sealed FROM idempotency",
            args![],
            |r| r.text(0),
        )
        .unwrap();
    assert_eq!(stored.len(), 3);
    for value in stored {
        for clear in [SECRET, KEY, "NNSXSq"] {
            assert!(!value.contains(clear), "{clear} is still stored after the migration");
        }
    }
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.terminal("t_0000000000000001").unwrap().unwrap().secret_hex, SECRET);
    let account = tx.points_account(&"a".repeat(32)).unwrap().unwrap();
    assert_eq!((account.key_hex.as_str(), account.balance, account.last_counter), (KEY, 40, 3));
    drop(tx);
    let mut tx = repo.begin().unwrap();
    let stored = tx.claim_idempotency("t_0000000000000001", "enrol-1", "h", 1).unwrap().unwrap();
    assert_eq!((stored.status, stored.body.as_deref()), (Some(201), Some(ANSWER)));
    drop(tx);
    assert_eq!(version(db), SCHEMA_VERSION, "sealed at 5, then on to the current version");
}

const IMEI: &str = "352099001761481";

pub(super) fn a_version_6_sold_data_list_is_moved_to_blinds(db: &Db) {
    fixture(
        db,
        &[MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5, MIGRATION_6],
        &format!(
            "INSERT INTO schema_version (version) VALUES (1), (2), (3), (4), (5), (6);
             INSERT INTO orders VALUES ('t_1', 'o-1', 'Shop 1', 'CNY', 199900, NULL, 100, 100, NULL);
             INSERT INTO order_lines VALUES ('ABCDABCDABCDA', 't_1', 'o-1', 1, 'PH-1', 'Phone', 1, 199900, 199900, 'CNY', NULL, 199900);
             INSERT INTO sold_devices VALUES ('{IMEI}', 'imei', 'ABCDABCDABCDA', 't_1', 'o-1', 'Shop 1', 199900, 'CNY', 'cash', 'v1.2', 100, 1);
             INSERT INTO refunds (refund_id, terminal_id, line_code, device_identifier, amount_minor, currency, tender, reason,
                                  status, refund_to, created_at)
                  VALUES ('r-1', 't_1', 'ABCDABCDABCDA', '{IMEI}', 199900, 'CNY', 'original', 'broken', 'refunded', 'cash', 200);"
        ),
    );
    let repo = db.open();
    let mut tx = repo.read().unwrap();
    let key = tx.device_identifier_key().unwrap();
    let blind = key.blind(IMEI);
    let d = tx.merchant_sold_device("default", &blind).unwrap().expect("the sale is found by its blind");
    assert_eq!((d.line_code.as_str(), d.software.as_deref(), d.refunded), ("ABCDABCDABCDA", Some("v1.2"), true));
    assert_eq!(key.open(&d.identifier_sealed, &blind).unwrap(), IMEI, "the seller can still read it");
    assert_eq!(tx.refund("r-1").unwrap().unwrap().device_blind.as_deref(), Some(blind.as_str()));
    assert!(tx.merchant_sold_device("default", IMEI).unwrap().is_none(), "nothing is found by the identifier in clear");
    drop(tx);
    let mut raw = db.raw();
    let clear = raw
        .exists(
            "SELECT 1 FROM sold_devices WHERE blind = ?1 OR identifier_sealed = ?1 \
             UNION ALL SELECT 1 FROM refunds WHERE device_blind = ?1",
            args![IMEI],
        )
        .unwrap();
    assert!(!clear, "the identifier is still stored in clear");
    drop(repo);
    // A second open changes nothing and keeps the same key.
    assert_eq!(db.open().read().unwrap().device_identifier_key().unwrap().id(), key.id());
}

pub(super) fn reopening_keeps_the_schema_and_refuses_another_key(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_terminal(&super::core::terminal("t_1")).unwrap();
    tx.commit().unwrap();
    drop(repo);
    assert_eq!(db.open().read().unwrap().terminal("t_1").unwrap().unwrap().secret_hex, "ab".repeat(32));
    assert_eq!(version(db), SCHEMA_VERSION);
    // Another key file: refused, never a new key over sealed data.
    let other = db.dir.path().join("other.key");
    let missing = StorageOptions { key_file: Some(other.clone()), ..StorageOptions::default() };
    let refused = match &db.scratch {
        None => SqliteRepository::open_with(&db.dir.path().join("s.db"), &missing).map(|_| ()),
        Some(s) => PostgresRepository::open(&s.url, &missing).map(|_| ()),
    };
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("is missing; this database's secrets are sealed under the key"), "{message}");
    crate::sealing::ServerKey::create(&other).unwrap();
    let options = StorageOptions { key_file: Some(other), ..StorageOptions::default() };
    let refused = match &db.scratch {
        None => SqliteRepository::open_with(&db.dir.path().join("s.db"), &options).map(|_| ()),
        Some(s) => PostgresRepository::open(&s.url, &options).map(|_| ()),
    };
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("is not the key this database is sealed under"), "{message}");
    if db.is_postgres() {
        let missing = PostgresRepository::open(&db.scratch.as_ref().unwrap().url, &StorageOptions::default());
        assert!(missing.unwrap_err().to_string().contains("--key-file"));
    }
}

//! The SQLite repository's own tests: durability, idempotency claims, migrations, savepoints.

use super::schema::*;
use super::*;

fn repo() -> (tempfile::TempDir, SqliteRepository) {
    let dir = tempfile::tempdir().unwrap();
    let repo = SqliteRepository::open(&dir.path().join("s.db")).unwrap();
    (dir, repo)
}

#[test]
fn durability_pragmas_and_reopen() {
    let (dir, repo) = repo();
    {
        let c = repo.lock();
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2));
    }
    drop(repo);
    SqliteRepository::open(&dir.path().join("s.db")).unwrap();
}

#[test]
fn claim_is_first_come_and_rollback_releases_it() {
    let (_dir, repo) = repo();
    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
    drop(tx); // rolled back
    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
    tx.complete_idempotency("t", "k", 201, "{}").unwrap();
    tx.commit().unwrap();
    let mut tx = repo.begin().unwrap();
    let stored = tx.claim_idempotency("t", "k", "h2", 2).unwrap().unwrap();
    assert_eq!((stored.request_hash.as_str(), stored.status, stored.body.as_deref()), ("h1", Some(201), Some("{}")));
    assert_eq!(tx.claim_idempotency("t2", "k", "h2", 2).unwrap(), None);
}

#[test]
fn old_idempotency_keys_are_purged() {
    let (_dir, repo) = repo();
    let mut tx = repo.begin().unwrap();
    tx.claim_idempotency("t", "old", "h", 100).unwrap();
    tx.complete_idempotency("t", "old", 200, "{}").unwrap();
    tx.claim_idempotency("t", "new", "h", 200).unwrap();
    tx.complete_idempotency("t", "new", 200, "{}").unwrap();
    assert_eq!(tx.purge_idempotency(150).unwrap(), 1);
    assert_eq!(tx.claim_idempotency("t", "old", "h2", 300).unwrap(), None);
    assert!(tx.claim_idempotency("t", "new", "h2", 300).unwrap().is_some());
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

#[test]
fn a_version_1_database_is_migrated_with_its_history_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let c = Connection::open(&path).unwrap();
        // Fixture rows only: the refund's line does not exist.
        c.pragma_update(None, "foreign_keys", "OFF").unwrap();
        c.execute_batch(SCHEMA).unwrap();
        c.execute_batch(
            "INSERT INTO schema_version (version) VALUES (1);
             INSERT INTO points_accounts VALUES ('a', 'k', 9, 30, NULL, 0);
             INSERT INTO points_entries VALUES ('a', 9, 't', 'o', 'redeem', -10, 30, 2);
             INSERT INTO points_entries VALUES ('a', 2, 't', 'o', 'earn', 40, 40, 1);
             INSERT INTO refunds (refund_id, terminal_id, line_code, amount_minor, currency, tender, reason,
                 status, refund_to, created_at) VALUES ('r', 't', 'L', 1, 'CNY', 'cash', 'x', 'refunded', 'cash', 0);
             INSERT INTO authorizations VALUES ('t', 'p1', 'o', 5, 'CNY', '411111******1111', 1, '123456', NULL, 0);
             INSERT INTO authorizations VALUES ('t', 'p2', 'o', 5, 'CNY', '411111******1111', 0, NULL, 'do_not_honour', 0);",
        )
        .unwrap();
    }
    let repo = SqliteRepository::open(&path).unwrap();
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
    // One reversal per refund and kind; one entry per token counter.
    assert!(tx.insert_points_entry(&entry("a", 9, "reverse_earn", -1, Some("r"))).is_err());
    assert!(tx.insert_points_entry(&entry("a", 2, "earn", 1, None)).is_err());
    tx.commit().unwrap();
    drop(repo);
    let repo = SqliteRepository::open(&path).unwrap();
    let version: i64 = repo.lock().query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_version_2_database_gets_authorisation_statuses_and_reversals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(SCHEMA).unwrap();
        c.execute_batch(MIGRATION_2).unwrap();
        c.execute_batch(
            "INSERT INTO schema_version (version) VALUES (1), (2);
             INSERT INTO authorizations VALUES ('t', 'p1', 'o', 100, 'CNY', '411111******1111', 1, '123456', NULL, 0);
             INSERT INTO authorizations VALUES ('t', 'p2', 'o', 100, 'CNY', '400000******0002', 0, NULL, 'do_not_honour', 0);",
        )
        .unwrap();
    }
    let repo = SqliteRepository::open(&path).unwrap();
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

#[test]
fn savepoints_undo_part_of_a_transaction() {
    let (_dir, repo) = repo();
    let mut tx = repo.begin().unwrap();
    tx.set_merchant_customer_reputation("default", "a", 1).unwrap();
    tx.savepoint("ev_1").unwrap();
    tx.set_merchant_customer_reputation("default", "b", 2).unwrap();
    tx.rollback_to("ev_1").unwrap();
    tx.release("ev_1").unwrap();
    tx.commit().unwrap();
    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.merchant_customer_reputation("default", "a").unwrap(), Some(1));
    assert_eq!(tx.merchant_customer_reputation("default", "b").unwrap(), None);
    assert!(tx.savepoint("bad name; DROP").is_err());
}

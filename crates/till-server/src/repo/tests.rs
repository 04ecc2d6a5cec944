//! The repository's test suite, the same tests on both backends: each test is a function of a
//! [`Db`] (a fresh SQLite file, or a fresh database on the PostgreSQL server named by
//! `TILL_TEST_POSTGRES`), and [`on_both!`] makes one `#[test]` per backend. Without that
//! variable the PostgreSQL half fails with a message saying how to run it; it is never skipped.

use super::postgres::conn::PgConn;
use super::postgres::scratch::ScratchDatabase;
use super::postgres::PostgresRepository;
use super::schema::{MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_6, SCHEMA, SCHEMA_VERSION};
use super::sql::{SqlConn, SqlConnExt};
use super::sqlite::SqliteRepository;
use super::*;
use crate::args;

mod catalogue;
mod console;
mod fixtures;
mod guards;
mod migrations;
mod older_areas;
mod photos;
mod scope;

/// A fresh database of one backend, and the key file beside the test.
pub(super) struct Db {
    dir: tempfile::TempDir,
    scratch: Option<ScratchDatabase>,
}

impl Db {
    pub(super) fn sqlite() -> Db {
        Db { dir: tempfile::tempdir().unwrap(), scratch: None }
    }

    pub(super) fn postgres() -> Db {
        let scratch = ScratchDatabase::from_env().unwrap_or_else(|e| panic!("{e}"));
        Db { dir: tempfile::tempdir().unwrap(), scratch: Some(scratch) }
    }

    fn options(&self) -> StorageOptions {
        StorageOptions { key_file: Some(self.dir.path().join("server.key")), ..StorageOptions::default() }
    }

    /// Opens the repository (migrating the database).
    pub(super) fn open(&self) -> Box<dyn Repository> {
        match &self.scratch {
            None => Box::new(SqliteRepository::open_with(&self.dir.path().join("s.db"), &self.options()).unwrap()),
            Some(s) => Box::new(PostgresRepository::open(&s.url, &self.options()).unwrap()),
        }
    }

    /// A plain connection, outside the repository: fixtures of older schemas, and looking at
    /// what is stored.
    pub(super) fn raw(&self) -> Box<dyn SqlConn> {
        match &self.scratch {
            None => Box::new(rusqlite::Connection::open(self.dir.path().join("s.db")).unwrap()),
            Some(s) => Box::new(PgConn::new(::postgres::Client::connect(&s.url, ::postgres::NoTls).unwrap())),
        }
    }

    pub(super) fn is_postgres(&self) -> bool {
        self.scratch.is_some()
    }
}

/// One `#[test]` per backend for each named test function of this module tree.
macro_rules! on_both {
    ($($path:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$path::$name(&super::Db::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$path::$name(&super::Db::postgres()) } )*
        }
    };
}

on_both!(
    core::claim_is_first_come_and_rollback_releases_it,
    core::old_idempotency_keys_are_purged,
    core::savepoints_undo_part_of_a_transaction,
    core::a_readers_counter_only_moves_up,
    core::a_read_transaction_cannot_write,
    core::write_transactions_run_one_at_a_time,
    core::two_concurrent_claims_of_one_key_have_one_winner,
    core::records_round_trip,
    migrations::a_version_1_database_is_migrated_with_its_history_in_order,
    migrations::a_version_2_database_gets_authorisation_statuses_and_reversals,
    migrations::a_version_2_database_is_sealed_in_place_and_keeps_answering_the_same,
    migrations::a_version_6_sold_data_list_is_moved_to_blinds,
    migrations::reopening_keeps_the_schema_and_refuses_another_key,
    guards::nonces_are_single_use_until_they_expire,
    guards::one_of_two_concurrent_nonce_claims_wins,
    guards::wrong_enrolment_codes_are_counted_in_their_window,
    scope::stores_belong_to_one_merchant_and_are_listed_by_merchant,
    scope::lines_and_refunds_answer_their_orders_merchant,
    scope::a_device_is_sold_once_per_merchant_until_refunded,
    scope::customers_and_points_accounts_belong_to_a_merchant,
    scope::service_orders_and_software_updates_are_found_by_their_merchant,
    scope::a_database_of_one_shop_becomes_the_default_merchants,
    catalogue::each_merchant_counts_its_own_changes,
    catalogue::products_are_written_over_and_read_back_by_sku_and_barcode,
    catalogue::changes_come_in_seq_order_after_the_cursor,
    catalogue::the_list_pages_by_sku_and_searches_without_wildcards,
    console::admin_accounts_count_failures_and_are_disabled,
    console::sessions_are_touched_ended_and_purged,
    console::the_audit_is_numbered_and_read_per_merchant_newest_first,
    console::sales_are_filtered_by_each_optional_filter_and_totalled,
    console::stores_and_terminals_are_their_merchants,
    console::customers_and_points_accounts_are_searched_within_a_merchant,
    photos::a_photo_is_stored_once_with_its_bytes_unchanged,
    photos::refunds_awaiting_the_seller_are_listed_per_merchant_with_their_photo,
    older_areas::merchants_and_terminal_stores_round_trip,
    older_areas::orders_keep_their_lines_and_are_read_by_change_and_due_date,
    older_areas::providers_follows_conversations_and_rounds_round_trip,
    older_areas::service_orders_keep_their_steps_and_updates_are_recorded_once,
    older_areas::refunds_are_listed_oldest_first_optionally_by_status,
    older_areas::payments_authorisations_decisions_and_enrolment_codes_round_trip,
);

mod core {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Barrier;
    use std::time::Duration;

    pub(super) fn claim_is_first_come_and_rollback_releases_it(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
        drop(tx); // rolled back
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
        tx.complete_idempotency("t", "k", 201, "{}").unwrap();
        tx.commit().unwrap();
        let mut tx = repo.begin().unwrap();
        let stored = tx.claim_idempotency("t", "k", "h2", 2).unwrap().unwrap();
        assert_eq!(
            (stored.request_hash.as_str(), stored.status, stored.body.as_deref()),
            ("h1", Some(201), Some("{}"))
        );
        assert_eq!(tx.claim_idempotency("t2", "k", "h2", 2).unwrap(), None);
    }

    pub(super) fn old_idempotency_keys_are_purged(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        tx.claim_idempotency("t", "old", "h", 100).unwrap();
        tx.complete_idempotency("t", "old", 200, "{}").unwrap();
        tx.claim_idempotency("t", "new", "h", 200).unwrap();
        tx.complete_idempotency("t", "new", 200, "{}").unwrap();
        assert_eq!(tx.purge_idempotency(150).unwrap(), 1);
        assert_eq!(tx.claim_idempotency("t", "old", "h2", 300).unwrap(), None);
        assert!(tx.claim_idempotency("t", "new", "h2", 300).unwrap().is_some());
    }

    pub(super) fn savepoints_undo_part_of_a_transaction(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        tx.set_merchant_customer_reputation("default", "a", 1).unwrap();
        tx.savepoint("ev_1").unwrap();
        tx.set_merchant_customer_reputation("default", "b", 2).unwrap();
        // A failed statement inside the savepoint: rolling back to it makes the transaction
        // usable again (PostgreSQL refuses everything after a failure until then).
        assert!(tx.insert_terminal(&terminal("t_1")).is_ok());
        assert!(tx.insert_terminal(&terminal("t_1")).is_err());
        tx.rollback_to("ev_1").unwrap();
        tx.release("ev_1").unwrap();
        tx.commit().unwrap();
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.merchant_customer_reputation("default", "a").unwrap(), Some(1));
        assert_eq!(tx.merchant_customer_reputation("default", "b").unwrap(), None);
        assert_eq!(tx.terminal("t_1").unwrap(), None);
        assert!(tx.savepoint("bad name; DROP").is_err());
    }

    pub(super) fn a_readers_counter_only_moves_up(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        let mut take = |reader: &str, counter: i64| {
            let c = ReaderCounter {
                reader_id: reader.into(),
                counter,
                terminal_id: "t".into(),
                payment_id: format!("p{counter}"),
                at: 0,
            };
            tx.advance_reader_counter(&c).unwrap()
        };
        assert_eq!(take("tdes:A", 5), None);
        assert_eq!(take("tdes:A", 5), Some(5));
        assert_eq!(take("tdes:A", 4), Some(5));
        assert_eq!(take("tdes:B", 1), None);
        assert_eq!(take("tdes:A", 6), None);
        assert_eq!(take("tdes:A", 6), Some(6));
    }

    pub(super) fn a_read_transaction_cannot_write(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        tx.set_merchant_customer_reputation("default", "a", 1).unwrap();
        tx.commit().unwrap();
        let mut read = repo.read().unwrap();
        assert_eq!(read.merchant_customer_reputation("default", "a").unwrap(), Some(1));
        assert!(read.set_merchant_customer_reputation("default", "a", 2).is_err(), "a read transaction wrote");
        drop(read);
        assert_eq!(repo.read().unwrap().merchant_customer_reputation("default", "a").unwrap(), Some(1));
    }

    /// The guarantee the routes rely on ("the read-check-write sequences cannot interleave"):
    /// a second write transaction waits for the first to end, then sees its writes; a read does
    /// not wait and sees the last commit.
    pub(super) fn write_transactions_run_one_at_a_time(db: &Db) {
        let repo = db.open();
        let first_open = Barrier::new(2);
        let first_done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut tx = repo.begin().unwrap();
                assert_eq!(tx.merchant_customer_reputation("default", "c").unwrap(), None);
                first_open.wait();
                std::thread::sleep(Duration::from_millis(300));
                tx.set_merchant_customer_reputation("default", "c", 1).unwrap();
                first_done.store(true, Ordering::SeqCst);
                tx.commit().unwrap();
            });
            s.spawn(|| {
                first_open.wait();
                // A read answers at once, with the state before the open write.
                assert_eq!(repo.read().unwrap().merchant_customer_reputation("default", "c").unwrap(), None);
                assert!(!first_done.load(Ordering::SeqCst), "the read waited for the writer");
                let mut tx = repo.begin().unwrap();
                assert!(first_done.load(Ordering::SeqCst), "a second writer did not wait for the first");
                // Read-check-write on what the first committed.
                let seen = tx.merchant_customer_reputation("default", "c").unwrap();
                assert_eq!(seen, Some(1));
                tx.set_merchant_customer_reputation("default", "c", seen.unwrap_or(0) + 1).unwrap();
                tx.commit().unwrap();
            });
        });
        assert_eq!(repo.read().unwrap().merchant_customer_reputation("default", "c").unwrap(), Some(2));
    }

    /// An idempotency claim is a unique row claimed inside the effect's own transaction: of two
    /// transactions claiming one key at once, the second waits for the first and then finds its
    /// stored answer, or, had the first rolled back, wins. On PostgreSQL the two are not ordered
    /// by the write lock (`begin_unordered`): the primary key alone decides. (SQLite has one
    /// writer per file, which orders them anyway.)
    pub(super) fn two_concurrent_claims_of_one_key_have_one_winner(db: &Db) {
        let repo = db.open();
        let begin = || if db.is_postgres() { repo.begin_unordered() } else { repo.begin() };
        for first_commits in [true, false] {
            let key = format!("k-{first_commits}");
            let claimed = Barrier::new(2);
            std::thread::scope(|s| {
                s.spawn(|| {
                    let mut tx = begin().unwrap();
                    assert_eq!(tx.claim_idempotency("t", &key, "h", 1).unwrap(), None);
                    claimed.wait();
                    std::thread::sleep(Duration::from_millis(300));
                    tx.complete_idempotency("t", &key, 201, "{\"ok\":1}").unwrap();
                    if first_commits {
                        tx.commit().unwrap();
                    }
                });
                s.spawn(|| {
                    claimed.wait();
                    let mut tx = begin().unwrap();
                    let second = tx.claim_idempotency("t", &key, "h", 2).unwrap();
                    if first_commits {
                        let stored = second.expect("the second claim of a committed key must not win");
                        assert_eq!((stored.status, stored.body.as_deref()), (Some(201), Some("{\"ok\":1}")));
                    } else {
                        assert_eq!(second, None, "the key of a rolled-back claim is free again");
                        tx.commit().unwrap();
                    }
                });
            });
        }
    }

    pub(super) fn terminal(id: &str) -> TerminalRecord {
        TerminalRecord {
            id: id.into(),
            name: "counter".into(),
            secret_hex: "ab".repeat(32),
            created_at: 5,
            disabled: false,
        }
    }

    /// What goes in comes out, through every kind of value (text, integers, flags, NULLs), with
    /// secrets sealed at rest.
    pub(super) fn records_round_trip(db: &Db) {
        let repo = db.open();
        let mut tx = repo.begin().unwrap();
        tx.insert_terminal(&terminal("t_2")).unwrap();
        tx.insert_terminal(&terminal("t_1")).unwrap();
        assert!(tx.set_terminal_disabled("t_1", true).unwrap());
        assert!(!tx.set_terminal_disabled("t_9", true).unwrap());
        let order = OrderRecord {
            terminal_id: "t_1".into(),
            order_id: "o-1".into(),
            store: "main".into(),
            currency: "CNY".into(),
            total_minor: 1999,
            customer_id: None,
            checkout_key: Some("cart".into()),
            created_at: 1,
            recorded_at: 2,
        };
        tx.insert_order(&order).unwrap();
        let line = LineRecord {
            line_code: "L1".into(),
            terminal_id: "t_1".into(),
            order_id: "o-1".into(),
            line_no: 1,
            sku: "S".into(),
            name: "手机".into(),
            quantity: 1,
            unit_price_minor: 1999,
            total_minor: 1999,
            currency: "CNY".into(),
            seller: None,
            refunded_minor: 0,
        };
        tx.insert_line(&line).unwrap();
        tx.add_line_refunded("L1", 500).unwrap();
        tx.set_line_origin("L1", "service", "c-1").unwrap();
        let account = PointsAccount {
            account_id: "a".repeat(32),
            key_hex: "cd".repeat(32),
            last_counter: 0,
            balance: 10,
            customer_ref: None,
            created_at: 3,
        };
        tx.insert_points_account(&account).unwrap();
        tx.commit().unwrap();
        let mut tx = repo.read().unwrap();
        let ids: Vec<_> = tx.terminals().unwrap().into_iter().map(|t| (t.id, t.disabled)).collect();
        assert_eq!(ids, [("t_1".to_string(), true), ("t_2".to_string(), false)]);
        assert_eq!(tx.terminal("t_2").unwrap().unwrap().secret_hex, "ab".repeat(32));
        assert_eq!(tx.order("t_1", "o-1").unwrap(), Some(order));
        assert!(tx.order_exists("t_1", "o-1").unwrap());
        assert_eq!(tx.line("L1").unwrap().unwrap().refunded_minor, 500);
        assert_eq!(tx.lines_with_origin("service", "c-1").unwrap().len(), 1);
        assert_eq!(tx.points_account(&"a".repeat(32)).unwrap(), Some(account));
        assert_eq!(tx.points_order_sum(&"a".repeat(32), "t_1", "o-1", "earn").unwrap(), 0);
        drop(tx);
        let mut raw = db.raw();
        let stored = raw.query_opt("SELECT secret_sealed FROM terminals WHERE id = ?1", args!["t_2"], |r| r.text(0));
        assert_ne!(stored.unwrap(), Some("ab".repeat(32)), "a terminal secret is stored in clear");
    }
}

//! Backups and restores on real SQLite files, with a real till selling meanwhile.

use super::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use till_core::{ManualClock, Role};
use till_pos::{Pos, PosConfig};

/// 2026-12-06 03:04:05 UTC.
const NOW: i64 = 1_796_526_245_000;

fn till(dir: &Path) -> Pos {
    Pos::open(PosConfig::demo(dir.join(DB_FILE))).unwrap()
}

/// Rings up one sale for the session `token`; returns the order id once the commit returned.
fn sell(pos: &Pos, token: &till_core::SessionToken, n: usize) -> i64 {
    let items = ["6901234567892", "SNK-001", "DRK-002"];
    for code in &items[..1 + n % items.len()] {
        pos.cart_scan(token, code).unwrap();
    }
    let cart = pos.cart_get(token).unwrap();
    pos.checkout_cash(token, &cart.cart_id, cart.total.minor() + 1_000).unwrap().order_id
}

fn order_ids(db: &Path) -> HashSet<i64> {
    let c = rusqlite::Connection::open(db).unwrap();
    let ids =
        c.prepare("SELECT id FROM orders").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    ids
}

fn mark_all_sent(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute("UPDATE outbox SET state = 'done' WHERE state IN ('pending', 'sending', 'parked')", []).unwrap();
}

#[test]
fn a_backup_taken_during_50_concurrent_checkouts_restores_with_every_acknowledged_sale() {
    let shop = tempfile::tempdir().unwrap();
    let pos = till(shop.path());
    // 50 cashiers, each with a cart of their own (carts are per user), all with PIN 1111.
    let hash = pos.store().user(1).unwrap().pin_hash;
    let ids: Vec<i64> = pos
        .store()
        .write(|tx| {
            (0..50).map(|i| till_store::users::insert(tx, &format!("Cashier {i}"), Role::Cashier, &hash, 0)).collect()
        })
        .unwrap();
    let tokens: Vec<_> = ids.iter().map(|id| pos.login(*id, "1111").unwrap().token).collect();
    // Each acknowledged sale with the moment the cashier was told "paid".
    let acked: Mutex<Vec<(i64, Instant)>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let out = shop.path().join("during.db");
    let (started, finished, report) = std::thread::scope(|s| {
        for token in &tokens {
            let (pos, acked, stop) = (&pos, &acked, &stop);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let order = sell(pos, token, n);
                    acked.lock().unwrap().push((order, Instant::now()));
                    n += 1;
                }
            });
        }
        while acked.lock().unwrap().len() < 100 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let started = Instant::now();
        // Small steps with pauses: the copy spans many commits.
        let report = backup_database(
            pos.store().path(),
            &out,
            &BackupOptions { pages_per_step: 8, pause: Duration::from_millis(2) },
        );
        let finished = Instant::now();
        // A few more sales after it, then stop.
        let after = acked.lock().unwrap().len() + 50;
        while acked.lock().unwrap().len() < after {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::SeqCst);
        (started, finished, report)
    });
    let report = report.unwrap();
    let acked = acked.into_inner().unwrap();
    let during = acked.iter().filter(|(_, at)| *at > started && *at < finished).count();
    assert!(report.steps > 1 && during > 0, "the backup overlapped {during} sales in {} steps", report.steps);

    // Restore it into another till's data directory (with this till's key, as the docs say).
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(shop.path().join("till.key"), other.path().join("till.key")).unwrap();
    let restored = restore(other.path(), &out, false, &ManualClock::new(NOW)).unwrap();
    assert_eq!(restored.replaced, None);
    crate::drill::check(other.path()).unwrap();
    let in_backup = order_ids(&other.path().join(DB_FILE));
    assert_eq!(restored.orders as usize, in_backup.len());
    for (order, at) in &acked {
        if *at <= started {
            assert!(in_backup.contains(order), "order {order} was acknowledged before the backup began");
        }
    }
    let all: HashSet<i64> = acked.iter().map(|(o, _)| *o).collect();
    assert!(in_backup.is_subset(&all), "the backup holds only sales that were made");
    assert!(in_backup.len() < all.len(), "sales after the backup are not in it");
    // And the restored till opens and sells.
    let pos = till(other.path());
    let token = pos.login(1, "1111").unwrap().token;
    assert!(!in_backup.contains(&sell(&pos, &token, 0)));
}

#[test]
fn restore_refuses_while_events_are_unsent_unless_forced_and_keeps_the_replaced_database() {
    let shop = tempfile::tempdir().unwrap();
    let out = shop.path().join("b.db");
    {
        let pos = till(shop.path());
        let token = pos.login(1, "1111").unwrap().token;
        sell(&pos, &token, 0);
        backup(shop.path(), &out).unwrap();
        // Two more sales after the backup: their events are unsent (no server).
        sell(&pos, &token, 1);
        sell(&pos, &token, 2);
    }
    let before = std::fs::read(shop.path().join(DB_FILE)).unwrap();
    let clock = ManualClock::new(NOW);
    let err = restore(shop.path(), &out, false, &clock).unwrap_err().to_string();
    assert!(err.contains("3 event(s) not yet sent") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(shop.path().join(DB_FILE)).unwrap(), before, "till.db untouched");
    assert_eq!(order_ids(&shop.path().join(DB_FILE)).len(), 3);
    assert!(!std::fs::read_dir(shop.path()).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("restoring")));

    let restored = restore(shop.path(), &out, true, &clock).unwrap();
    let kept = shop.path().join("till.db.replaced-20261206T030405Z");
    assert_eq!(restored.replaced.as_deref(), Some(kept.as_path()));
    assert_eq!(order_ids(&shop.path().join(DB_FILE)).len(), 1, "the backup's one sale");
    assert_eq!(order_ids(&kept).len(), 3, "the replaced database keeps its three");
    assert!(
        !shop.path().join("till.db-wal").exists()
            || std::fs::metadata(shop.path().join("till.db-wal")).unwrap().len() == 0
    );
    crate::drill::check(shop.path()).unwrap();
}

#[test]
fn restore_with_everything_sent_needs_no_force() {
    let shop = tempfile::tempdir().unwrap();
    let out = shop.path().join("b.db");
    {
        let pos = till(shop.path());
        let token = pos.login(1, "1111").unwrap().token;
        sell(&pos, &token, 0);
    }
    mark_all_sent(&shop.path().join(DB_FILE));
    backup(shop.path(), &out).unwrap();
    let restored = restore(shop.path(), &out, false, &ManualClock::new(NOW)).unwrap();
    assert_eq!(restored.orders, 1);
    assert!(restored.replaced.unwrap().is_file());
}

#[test]
fn restore_refuses_while_the_till_has_the_database_open() {
    let shop = tempfile::tempdir().unwrap();
    let out = shop.path().join("b.db");
    let pos = till(shop.path());
    mark_all_sent(&shop.path().join(DB_FILE));
    backup(shop.path(), &out).unwrap();
    let err = restore(shop.path(), &out, true, &ManualClock::new(NOW)).unwrap_err().to_string();
    assert!(err.contains("close the till first"), "{err}");
    drop(pos);
    restore(shop.path(), &out, true, &ManualClock::new(NOW)).unwrap();
}

#[test]
fn a_damaged_backup_or_another_tills_key_is_refused_and_changes_nothing() {
    let shop = tempfile::tempdir().unwrap();
    let out = shop.path().join("b.db");
    drop(till(shop.path()));
    mark_all_sent(&shop.path().join(DB_FILE));
    backup(shop.path(), &out).unwrap();
    let before = std::fs::read(shop.path().join(DB_FILE)).unwrap();
    let clock = ManualClock::new(NOW);

    // Damaged: a page in the middle overwritten.
    let damaged = shop.path().join("damaged.db");
    let mut bytes = std::fs::read(&out).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 4096].fill(0x5a);
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(restore(shop.path(), &damaged, true, &clock).is_err());
    std::fs::write(&damaged, b"not a database at all").unwrap();
    assert!(restore(shop.path(), &damaged, true, &clock).is_err());

    // Another till's key.
    let other = tempfile::tempdir().unwrap();
    drop(till(other.path()));
    let err = restore(other.path(), &out, true, &clock).unwrap_err().to_string();
    assert!(err.contains("another till.key"), "{err}");
    std::fs::remove_file(other.path().join("till.key")).unwrap();
    let err = restore(other.path(), &out, true, &clock).unwrap_err().to_string();
    assert!(err.contains("is missing"), "{err}");

    assert_eq!(std::fs::read(shop.path().join(DB_FILE)).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(shop.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("replaced") || n.contains("restoring")), "{names:?}");
}

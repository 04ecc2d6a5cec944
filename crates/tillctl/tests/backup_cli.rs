//! `tillctl backup` and `tillctl restore` as the built binary, with another process selling on
//! the same database (`tillctl drill checkout`): the backup is taken while it sells, the restore
//! is refused while it has the database open (SQLite's lock, across processes), refused while
//! events are unsent unless `--force`, and the restored database passes `tillctl db check` with
//! every sale acknowledged before the backup began.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

fn tillctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Starts the checkout drill; returns it, the order ids it acknowledges as they come, and the
/// thread reading them (done once the drill has ended).
fn drill(dir: &str) -> (Child, Arc<Mutex<Vec<i64>>>, std::thread::JoinHandle<()>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["drill", "checkout", "--data-dir", dir])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let sink = acked.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line == "READY" {
                let _ = ready_tx.send(());
            } else if let Some(order) = line.strip_prefix("ACK ").and_then(|r| r.split_whitespace().nth(1)) {
                sink.lock().unwrap().push(order.parse::<i64>().unwrap());
            }
        }
    });
    ready.recv_timeout(Duration::from_secs(60)).expect("the drill never got ready");
    (child, acked, reader)
}

fn orders(db: &std::path::Path) -> Vec<i64> {
    let c = rusqlite::Connection::open(db).unwrap();
    let ids =
        c.prepare("SELECT id FROM orders").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    ids
}

#[test]
fn backup_while_another_process_sells_then_restore_once_it_has_stopped() {
    let shop = tempfile::tempdir().unwrap();
    let dir = shop.path().to_str().unwrap();
    let out = shop.path().join("backup.db");
    let (mut child, acked, reader) = drill(dir);
    while acked.lock().unwrap().len() < 20 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before: Vec<i64> = acked.lock().unwrap().clone();
    let backup = tillctl(&["backup", "--data-dir", dir, "--out", out.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(text(&backup).contains("till.key"), "the reminder: {}", text(&backup));

    // The till (another process) still has the database open: refused, even with --force.
    let refused = tillctl(&["restore", "--data-dir", dir, "--from", out.to_str().unwrap(), "--force"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("close the till first"), "{}", text(&refused));

    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let sold = acked.lock().unwrap().clone();
    assert!(sold.len() > before.len(), "the drill sold on during the backup");

    // Its sales are not sent (no server): refused without --force. (The database may hold one
    // sale more than was acknowledged: the one committed when the drill was killed.)
    let all = orders(&shop.path().join("till.db"));
    assert!(sold.iter().all(|o| all.contains(o)));
    let refused = tillctl(&["restore", "--data-dir", dir, "--from", out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("not yet sent"), "{}", text(&refused));
    assert_eq!(orders(&shop.path().join("till.db")), all, "nothing changed");

    let restored = tillctl(&["restore", "--data-dir", dir, "--from", out.to_str().unwrap(), "--force"]);
    assert!(restored.status.success(), "{}", text(&restored));
    let check = tillctl(&["db", "check", "--data-dir", dir]);
    assert!(check.status.success(), "{}", text(&check));
    let now = orders(&shop.path().join("till.db"));
    for order in &before {
        assert!(now.contains(order), "order {order} was acknowledged before the backup");
    }
    assert!(now.len() < all.len(), "sales after the backup are only in the replaced database");
    let kept: Vec<_> = std::fs::read_dir(shop.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("till.db.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(orders(&shop.path().join(&kept[0])), all, "the replaced database has every sale");
}

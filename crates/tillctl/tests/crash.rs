//! Crash test: a process doing checkouts is killed with SIGKILL at random moments, 200 times,
//! on the same database. Afterwards SQLite's integrity check passes, every checkout the process
//! acknowledged is there, and no order is partial (lines, payment and outbox event all there).
//!
//! One kill in five lands at a random moment of the start (opening, migrating, seeding, the
//! login and its PIN check); the others at a random moment after the drill says it is ready,
//! among the checkouts. A login costs a deliberate tenth of a second or more (argon2id,
//! docs/security.md section 11), so timing every kill from the start would leave few landing
//! among the sales.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn sigkill_at_random_moments_never_loses_or_tears_a_sale() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(0xC0FFEE);
    let mut acked: Vec<(String, i64)> = Vec::new();
    for round in 0..200 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
            .args(["drill", "checkout", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .inspect(|l| {
                    if l == "READY" {
                        // The receiver may have stopped waiting (a kill during the start).
                        let _ = ready_tx.send(());
                    }
                })
                .filter_map(|l| {
                    let mut parts = l.split_whitespace();
                    match (parts.next(), parts.next(), parts.next()) {
                        (Some("ACK"), Some(cart), Some(order)) => Some((cart.to_string(), order.parse().ok()?)),
                        _ => None,
                    }
                })
                .collect::<Vec<_>>()
        });
        if round % 5 != 0 {
            ready.recv_timeout(Duration::from_secs(30)).expect("the drill never got ready");
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..250)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        acked.extend(reader.join().unwrap());
    }
    assert!(acked.len() > 200, "the drill acknowledged only {} checkouts", acked.len());

    let store = till_store::Store::open(&dir.path().join("till.db")).unwrap();
    store.integrity_check().unwrap();
    assert!(store.partial_orders().unwrap().is_empty(), "partial orders: {:?}", store.partial_orders().unwrap());
    assert!(store.verify_audit().unwrap().ok);
    for (cart, order_id) in &acked {
        let o = store.order_by_checkout_key(cart).unwrap().unwrap_or_else(|| panic!("acknowledged cart {cart} lost"));
        assert_eq!(o.id, *order_id);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["db", "check", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

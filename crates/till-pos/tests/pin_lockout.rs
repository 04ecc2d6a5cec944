//! Wrong PINs typed at the same time, on the real database file, count exactly like wrong PINs
//! typed one after the other: five, then the lock. Two `Pos` instances open the same file (as two
//! processes would), so the count is kept by SQLite's write lock, not by a lock in this process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::sync::{Arc, Barrier};
use till_pos::{ErrorCode, Pos, PosConfig, PosError};

/// The demo cashier (PIN 1111).
const CASHIER: i64 = 1;
/// Logins started at once.
const GUESSES: usize = 12;

#[test]
fn parallel_wrong_pins_count_exactly_five_then_even_the_right_pin_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let tills: Vec<Arc<Pos>> = (0..2).map(|_| Arc::new(Pos::open(PosConfig::demo(db.clone())).unwrap())).collect();
    let start = Arc::new(Barrier::new(GUESSES));
    let guesses: Vec<_> = (0..GUESSES)
        .map(|i| {
            let (pos, start) = (tills[i % 2].clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                pos.login(CASHIER, &format!("{:04}", 9000 + i))
            })
        })
        .collect();
    let mut remaining = Vec::new();
    let mut locked = 0;
    for g in guesses {
        match g.join().unwrap() {
            Err(PosError::WrongPin { remaining: r }) => remaining.push(r),
            Err(PosError::UserLocked { .. }) => locked += 1,
            other => panic!("a wrong PIN answered {other:?}"),
        }
    }
    remaining.sort();
    // Four wrong PINs answered with what is left, the fifth locked, every later one refused.
    assert_eq!(remaining, vec![1, 2, 3, 4], "each wrong PIN must count once");
    assert_eq!(locked, GUESSES - 4);

    // The user was locked once, after exactly five failures.
    let store = tills[0].store();
    let locks: Vec<String> = store
        .read(|c| {
            let mut q = c.prepare("SELECT detail FROM audit_log WHERE action = 'user.locked'")?;
            let rows = q.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert!(locks[0].contains("\"failed_pins\":5"), "{locks:?}");

    // The sixth try is refused as locked even with the right PIN.
    assert_eq!(tills[1].login(CASHIER, "1111").unwrap_err().code(), ErrorCode::UserLocked);
}

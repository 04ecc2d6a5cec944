//! The request guards kept in the database (schema version 11): nonces and wrong enrolment codes.

use super::*;
use std::sync::Barrier;

fn claim(repo: &dyn Repository, terminal: &str, nonce: &str, expires_at: i64, now: i64) -> bool {
    let mut tx = repo.begin_unordered().unwrap();
    let fresh = tx.claim_nonce(terminal, nonce, expires_at, now).unwrap();
    tx.commit().unwrap();
    fresh
}

pub(super) fn nonces_are_single_use_until_they_expire(db: &Db) {
    let repo = db.open();
    assert!(claim(&*repo, "t1", "aa", 1300, 1000));
    assert!(!claim(&*repo, "t1", "aa", 1400, 1100), "a replay within the window");
    assert!(claim(&*repo, "t2", "aa", 1400, 1100), "another terminal's nonce");
    // Once expired (not yet purged) the nonce may be used again, with a new expiry.
    assert!(claim(&*repo, "t1", "aa", 1700, 1400));
    assert!(!claim(&*repo, "t1", "aa", 1800, 1500));
    let mut tx = repo.begin_unordered().unwrap();
    assert_eq!(tx.purge_nonces(1500).unwrap(), 1, "t2's nonce expired at 1400");
    tx.commit().unwrap();
    // A second server process on the same database sees the same nonces.
    let again = db.open();
    assert!(!claim(&*again, "t1", "aa", 1800, 1500));
}

/// Two claims of one nonce at once, in transactions the write lock does not order: exactly
/// one is fresh (on PostgreSQL the second waits on the primary key for the first to commit).
pub(super) fn one_of_two_concurrent_nonce_claims_wins(db: &Db) {
    let repo = db.open();
    for round in 0..5 {
        let nonce = format!("n{round}");
        let started = Barrier::new(2);
        let results: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        started.wait();
                        claim(&*repo, "t", &nonce, 2000, 1000)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|fresh| **fresh).count(), 1, "{results:?}");
    }
}

pub(super) fn wrong_enrolment_codes_are_counted_in_their_window(db: &Db) {
    let repo = db.open();
    let failures = |now| repo.read().unwrap().enrolment_failures(now, 60).unwrap();
    let fail = |now| {
        let mut tx = repo.begin().unwrap();
        tx.record_enrolment_failure(now, 60).unwrap();
        tx.commit().unwrap();
    };
    assert_eq!(failures(1000), None);
    fail(1000);
    fail(1030);
    assert_eq!(failures(1059), Some((1000, 2)));
    assert_eq!(failures(1060), None, "the window is over");
    fail(1061);
    assert_eq!(failures(1061), Some((1061, 1)), "a new window opens at the next failure");
    // Another server process counts into the same window.
    let other = db.open();
    let mut tx = other.begin().unwrap();
    tx.record_enrolment_failure(1062, 60).unwrap();
    tx.commit().unwrap();
    assert_eq!(failures(1062), Some((1061, 2)));
}

//! The outbox's delivery states against real SQLite files.

use super::*;
use crate::outbox;

fn store_with(n: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.db")).unwrap();
    s.write(|tx| {
        for i in 0..n {
            outbox::enqueue(tx, &format!("e{i}"), "test.event", &format!("t/{i}"), &json!({ "n": i }), i as i64)?;
        }
        Ok(())
    })
    .unwrap();
    (dir, s)
}

fn prep(ev: &DueEvent) -> std::result::Result<Prepared, NotPrepared> {
    Ok(Prepared { wire_kind: "sale".into(), body: format!("{{\"id\":\"{}\"}}", ev.id) })
}

#[test]
fn claim_settle_and_counts() {
    let (_d, s) = store_with(5);
    let c = s.claim_due(100, 3, 1_000, &mut prep).unwrap();
    assert_eq!(c.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e0", "e1", "e2"]);
    assert_eq!(c[0].attempts, 1);
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sending, counts.oldest_pending_created_at_ms), (5, 3, Some(0)));
    // claimed events are not claimed twice while the lease holds
    let c2 = s.claim_due(100, 10, 1_000, &mut prep).unwrap();
    assert_eq!(c2.len(), 2);
    s.settle(
        200,
        &[
            Settlement::Done { id: "e0".into(), status: 201, response: "{}".into() },
            Settlement::Retry { id: "e1".into(), next_attempt_at_ms: 5_000, error: "timeout".into() },
            Settlement::Park { id: "e2".into(), reason: "400 invalid_request".into() },
        ],
    )
    .unwrap();
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.done, counts.parked), (3, 1, 1));
    assert_eq!(counts.last_error.as_deref(), Some("timeout"));
    assert_eq!(s.delivery_response("e0").unwrap(), Some((201, "{}".into())));
    assert_eq!(s.next_due_at().unwrap(), Some(5_000));
    // first in, first out: e3 and e4 are due but wait behind e1
    assert!(s.claim_due(300, 10, 1_000, &mut prep).unwrap().is_empty());
    let c3 = s.claim_due(5_000, 10, 1_000, &mut prep).unwrap();
    assert_eq!(c3.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e1", "e3", "e4"]);
    // a settled event cannot be settled again
    assert_eq!(s.settle(6_000, &[Settlement::Park { id: "e0".into(), reason: "x".into() }]).unwrap(), 0);
}

#[test]
fn the_delivered_count_follows_every_change_of_state() {
    let (_d, s) = store_with(4);
    let real = |s: &Store| {
        s.read(|c| Ok(c.query_row("SELECT count(*) FROM outbox WHERE state = 'done'", [], |r| r.get::<_, i64>(0))?))
            .unwrap()
    };
    s.claim_due(100, 4, 1_000, &mut prep).unwrap();
    let done = |id: &str| Settlement::Done { id: id.into(), status: 201, response: "{}".into() };
    s.settle(200, &[done("e0"), done("e1"), done("e2")]).unwrap();
    assert_eq!((s.outbox_counts().unwrap().done, real(&s)), (3, 3));
    s.write(|tx| {
        tx.execute("UPDATE outbox SET state = 'pending' WHERE id = 'e0'", [])?;
        tx.execute("DELETE FROM outbox WHERE id = 'e1'", [])?;
        tx.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = 'e2'", [])?;
        Ok(())
    })
    .unwrap();
    assert_eq!((s.outbox_counts().unwrap().done, real(&s)), (1, 1));
}

#[test]
fn the_body_is_fixed_once_and_a_lapsed_lease_is_claimed_again() {
    let (_d, s) = store_with(1);
    let first = s.claim_due(0, 10, 50, &mut prep).unwrap();
    // a different preparation later must not change the stored body
    let mut other = |_: &DueEvent| Ok(Prepared { wire_kind: "refund".into(), body: "changed".into() });
    assert!(s.claim_due(10, 10, 50, &mut other).unwrap().is_empty());
    let again = s.claim_due(60, 10, 50, &mut other).unwrap();
    assert_eq!((again[0].body.as_str(), again[0].wire_kind.as_str()), (first[0].body.as_str(), "sale"));
    assert_eq!(again[0].attempts, 2);
    s.release_claims().unwrap();
    assert_eq!(s.outbox_counts().unwrap().sending, 0);
}

#[test]
fn a_released_event_is_pending_again_with_its_attempt_taken_back() {
    let (_d, s) = store_with(2);
    let c = s.claim_due(10, 10, 1_000, &mut prep).unwrap();
    assert_eq!((c[1].subject.as_str(), c[1].attempts), ("t/1", 1));
    assert_eq!(s.settle(20, &[Settlement::Release { id: "e1".into() }]).unwrap(), 1);
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sending), (2, 1));
    // due at once, not after its lease, and this is still its first attempt
    let again = s.claim_due(30, 10, 1_000, &mut prep).unwrap();
    assert_eq!((again[0].id.as_str(), again[0].attempts), ("e1", 1));
}

#[test]
fn a_parked_forwarded_payment_without_its_card_data_cannot_be_retried() {
    let (_d, s) = store_with(1);
    let card = json!({"payment_id": "p1", "card": {"scheme": "platform_gcm", "data": "c2VjcmV0"}});
    s.write(|tx| outbox::enqueue(tx, "p1", PAYMENT_FORWARD, "order/1", &card, 1)).unwrap();
    let mut as_is = |ev: &DueEvent| Ok(Prepared { wire_kind: "x".into(), body: ev.payload.clone() });
    assert_eq!(s.claim_due(10, 10, 1_000, &mut as_is).unwrap().len(), 2);
    let park = |id: &str| Settlement::Park { id: id.into(), reason: "400 bad".into() };
    s.settle(20, &[park("e0"), park("p1")]).unwrap();
    // the card data went when it was parked: a retry would send another body
    assert!(s.parked_card_data_gone("p1").unwrap());
    assert!(!s.parked_card_data_gone("e0").unwrap());
    let err = s.retry_parked("p1", 1, 30).unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(m) if m == CARD_DATA_GONE), "{err}");
    assert_eq!(s.parked_events().unwrap().len(), 2, "left parked");
    // other parked events are retried as before, and the payment can still be discarded
    s.retry_parked("e0", 1, 30).unwrap();
    s.discard_parked("p1", 1, "customer paid again", 40).unwrap();
    assert!(s.parked_events().unwrap().is_empty());
}

#[test]
fn an_event_that_cannot_be_prepared_is_parked() {
    let (_d, s) = store_with(2);
    let mut refuse = |ev: &DueEvent| if ev.id == "e0" { Err("unknown kind".into()) } else { prep(ev) };
    let c = s.claim_due(10, 10, 50, &mut refuse).unwrap();
    assert_eq!(c.len(), 1);
    let parked = s.parked_events().unwrap();
    assert_eq!((parked[0].id.as_str(), parked[0].reason.as_str()), ("e0", "unknown kind"));
}

#[test]
fn an_event_that_must_wait_holds_back_everything_after_it_and_loses_nothing() {
    let (_d, s) = store_with(3);
    let mut wait = |ev: &DueEvent| if ev.id == "e1" { Err(NotPrepared::Wait("no key yet".into())) } else { prep(ev) };
    let c = s.claim_due(10, 10, 1_000, &mut wait).unwrap();
    // e0 goes; e1 waits, and e2 (queued after it) is not sent before it.
    assert_eq!(c.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e0"]);
    assert!(s.parked_events().unwrap().is_empty());
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sending), (3, 1));
    let why: Option<String> =
        s.read(|c| Ok(c.query_row("SELECT last_error FROM outbox WHERE id = 'e1'", [], |r| r.get(0))?)).unwrap();
    assert_eq!(why.as_deref(), Some("no key yet"));
    // Once it can be prepared, it and the rest go, in order.
    let c = s.claim_due(100, 10, 1_000, &mut prep).unwrap();
    assert_eq!(c.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e1", "e2"]);
}

#[test]
fn retry_and_discard_of_parked_events_are_audited() {
    let (_d, s) = store_with(2);
    s.claim_due(10, 10, 50, &mut prep).unwrap();
    let park = |id: &str| Settlement::Park { id: id.into(), reason: "409 order_exists".into() };
    assert_eq!(s.settle(11, &[park("e0"), park("e1")]).unwrap(), 2);
    assert!(matches!(s.retry_parked("nope", 1, 2), Err(StoreError::NotFound(_))));
    s.retry_parked("e0", 7, 2).unwrap();
    s.discard_parked("e1", 7, "duplicate of order 12", 3).unwrap();
    assert!(s.parked_events().unwrap().is_empty());
    assert!(matches!(s.discard_parked("e1", 7, "again", 4), Err(StoreError::NotFound(_))));
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.discarded), (1, 1));
    let c = s.claim_due(20, 10, 50, &mut prep).unwrap();
    assert_eq!((c[0].id.as_str(), c[0].attempts), ("e0", 2));
    let audit = s.verify_audit().unwrap();
    assert_eq!((audit.ok, audit.entries), (true, 2));
    let actions: Vec<String> = s
        .read(|c| {
            let mut st = c.prepare("SELECT action FROM audit_log ORDER BY id")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(actions, ["outbox.retry", "outbox.discard"]);
}

#[test]
fn version_4_states_are_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut c = rusqlite::Connection::open(&path).unwrap();
    for sql in &crate::migrations::MIGRATIONS[..4] {
        c.execute_batch(sql).unwrap();
    }
    c.pragma_update(None, "user_version", 4).unwrap();
    c.execute_batch(
        "INSERT INTO outbox (id, kind, subject, payload, created_at_ms, next_attempt_at_ms, state) VALUES
           ('a', 'k', 's', '{}', 1, 1, 'pending'), ('b', 'k', 's', '{}', 2, 2, 'sent'), ('c', 'k', 's', '{}', 3, 3, 'dead')",
    )
    .unwrap();
    crate::migrations::migrate(&mut c).unwrap();
    drop(c);
    let s = Store::open(&path).unwrap();
    let counts = s.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.done, counts.parked), (1, 1, 1));
}

//! Encrypted card blocks from DUKPT readers are taken once: the platform tracks each reader's
//! KSN counter, so a block sent again under a new payment id, or an older block of the same
//! reader, is 422 `replayed_card_block`, while an idempotent retry of the same payment still
//! gets its first answer. Against a real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use support::*;
use till_server::payments::dukpt;

const TDES_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";
const AES_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";

fn h16(s: &str) -> [u8; 16] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// What a MagneSafe reader with KSN `ksn` (20 hex digits) sends for a swipe of `pan`.
fn tdes_block(ksn: &str, pan: &str) -> Value {
    let ksn: [u8; 10] = hex::decode(ksn).unwrap().try_into().unwrap();
    let key = dukpt::tdes_pin_key(&h16(TDES_BDK), &ksn);
    let track = dukpt::encrypt::tdes_cbc_zero_padded(&key, format!(";{pan}=28121010000000000000?").as_bytes());
    json!({"scheme": "tdes_dukpt", "ksn": hex::encode_upper(ksn), "data": hex::encode(track)})
}

/// What an AES DUKPT reader with KSN `ksn` (24 hex digits) sends for a swipe of `pan`.
fn aes_block(ksn: &str, pan: &str) -> Value {
    let ksn: [u8; 12] = hex::decode(ksn).unwrap().try_into().unwrap();
    let key = dukpt::aes_working_key(&h16(AES_BDK), &ksn, dukpt::usage::DATA_ENCRYPT);
    let track = dukpt::encrypt::aes_cbc_zero_padded(&key, format!("%B{pan}^SANDBOX/TEST^2812101000?").as_bytes());
    json!({"scheme": "aes_dukpt", "ksn": hex::encode_upper(ksn), "data": hex::encode(track)})
}

fn body(payment_id: &str, minor: i64, card: &Value) -> Value {
    json!({"payment_id": payment_id, "order_id": "cart-1", "amount": {"minor": minor, "currency": "CNY"}, "card": card})
}

fn authorize(s: &TestServer, payment_id: &str, card: &Value) -> Answer {
    s.post("/v1/payments/authorize", &body(payment_id, 1999, card), payment_id)
}

/// (status, `status` or error `code`) of an answer.
fn outcome(a: &Answer) -> (u16, String) {
    let word = a.body["status"].as_str().or(a.body["code"].as_str()).unwrap_or_default();
    (a.status, word.to_string())
}

fn authorizations(s: &TestServer) -> i64 {
    rusqlite::Connection::open(s.dir.path().join("server.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM authorizations", [], |r| r.get(0))
        .unwrap()
}

fn replayed() -> (u16, String) {
    (422, "replayed_card_block".to_string())
}

#[test]
fn a_tdes_dukpt_block_is_taken_once_and_only_above_its_readers_last_counter() {
    let s = TestServer::start();
    let swipe = tdes_block("FFFF9876543210E00003", "4111111111111111");
    let first = authorize(&s, "p1", &swipe);
    assert_eq!(outcome(&first), (200, "approved".to_string()), "{}", first.text);
    // The same block under a new payment id: refused, nothing authorised.
    let again = authorize(&s, "p2", &swipe);
    assert_eq!(outcome(&again), replayed(), "{}", again.text);
    assert!(again.body["message"].as_str().unwrap().contains("counter 3"), "{}", again.text);
    assert_eq!(authorizations(&s), 1);
    // An idempotent retry of the first payment (same key, same body) still gets its answer.
    let retry = authorize(&s, "p1", &swipe);
    assert!(retry.replayed);
    assert_eq!((retry.status, retry.text.as_str()), (200, first.text.as_str()));
    // An older swipe of the same reader (counter 2): refused.
    let older = authorize(&s, "p3", &tdes_block("FFFF9876543210E00002", "4111111111111111"));
    assert_eq!(outcome(&older), replayed());
    // Its next swipe (counter 5; readers skip counters): approved.
    let next = authorize(&s, "p4", &tdes_block("FFFF9876543210E00005", "4111111111111111"));
    assert_eq!(outcome(&next), (200, "approved".to_string()), "{}", next.text);
    // Another reader (another device id under the same BDK) has its own counter.
    let other = authorize(&s, "p5", &tdes_block("FFFF9876543211000001", "4111111111111111"));
    assert_eq!(outcome(&other), (200, "approved".to_string()), "{}", other.text);
    // A declined swipe uses its counter up too: a copy of it is not another try.
    let over = s.post(
        "/v1/payments/authorize",
        &body("p6", 200_000_000, &tdes_block("FFFF9876543210E00006", "4111111111111111")),
        "p6",
    );
    assert_eq!(over.body["reason_code"], "amount_limit", "{}", over.text);
    let copy = authorize(&s, "p7", &tdes_block("FFFF9876543210E00006", "4111111111111111"));
    assert_eq!(outcome(&copy), replayed());
    // A block that does not decrypt to a card moves no counter: the reader's next real swipe
    // (counter 7) still goes through after a forged one claiming counter 1000.
    let forged = json!({"scheme": "tdes_dukpt", "ksn": "FFFF9876543210E003E8", "data": "00".repeat(40)});
    assert_eq!(outcome(&authorize(&s, "p8", &forged)), (422, "invalid_card_block".to_string()));
    let real = authorize(&s, "p9", &tdes_block("FFFF9876543210E00007", "4111111111111111"));
    assert_eq!(outcome(&real), (200, "approved".to_string()), "{}", real.text);
    // The same rules in a batch (a forwarded offline payment).
    let batch =
        json!({"events": [{"idempotency_key": "p10", "kind": "payment_authorize", "body": body("p10", 1999, &swipe)}]});
    let b = s.post("/v1/sync/batch", &batch, "batch-1");
    assert_eq!(b.body["results"][0]["status"], 422, "{}", b.text);
    assert_eq!(b.body["results"][0]["body"]["code"], "replayed_card_block");
}

#[test]
fn an_aes_dukpt_block_is_taken_once_and_only_above_its_readers_last_counter() {
    let s = TestServer::start();
    let swipe = aes_block("123456789012345600000010", "5105105105105100");
    let first = authorize(&s, "p1", &swipe);
    assert_eq!(outcome(&first), (200, "approved".to_string()), "{}", first.text);
    assert_eq!(outcome(&authorize(&s, "p2", &swipe)), replayed());
    let retry = authorize(&s, "p1", &swipe);
    assert_eq!((retry.replayed, retry.text.as_str()), (true, first.text.as_str()));
    assert_eq!(outcome(&authorize(&s, "p3", &aes_block("12345678901234560000000F", "5105105105105100"))), replayed());
    let next = authorize(&s, "p4", &aes_block("123456789012345600000011", "5105105105105100"));
    assert_eq!(outcome(&next), (200, "approved".to_string()), "{}", next.text);
    // The counter's full 32 bits count (a 21-bit view would see 0x000011 again here).
    let high = authorize(&s, "p5", &aes_block("123456789012345600200011", "5105105105105100"));
    assert_eq!(outcome(&high), (200, "approved".to_string()), "{}", high.text);
    assert_eq!(outcome(&authorize(&s, "p6", &aes_block("123456789012345600000012", "5105105105105100"))), replayed());
    assert_eq!(authorizations(&s), 3);
}

#[test]
fn of_concurrent_requests_with_the_same_ksn_exactly_one_is_authorised() {
    let s = Arc::new(TestServer::start());
    for (round, swipe) in [
        tdes_block("FFFF9876543210E00009", "4111111111111111"),
        aes_block("123456789012345600000009", "4111111111111111"),
    ]
    .into_iter()
    .enumerate()
    {
        const TILLS: usize = 6;
        let barrier = Arc::new(Barrier::new(TILLS));
        let threads: Vec<_> = (0..TILLS)
            .map(|i| {
                let (s, barrier, swipe) = (s.clone(), barrier.clone(), swipe.clone());
                std::thread::spawn(move || {
                    let id = format!("p-{round}-{i}");
                    let b = body(&id, 1999, &swipe).to_string();
                    barrier.wait();
                    outcome(&s.send("POST", "/v1/payments/authorize", b.as_bytes(), Some(&id)))
                })
            })
            .collect();
        let mut results: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        results.sort();
        let mut want = vec![(200, "approved".to_string())];
        want.extend(std::iter::repeat_n(replayed(), TILLS - 1));
        assert_eq!(results, want, "round {round}");
    }
    assert_eq!(authorizations(&s), 2);
}

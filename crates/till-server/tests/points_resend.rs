//! An earn whose identify token expired before the till could send it (a long time offline),
//! sent again with the customer's next identification (`identified_again`): accepted once under
//! the sale's own token, never twice, and only with a valid, fresh identification of the same
//! customer made after it. Against a real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_server::points::{base32_decode, make_redeem_token, make_token};

/// Ten minutes and a bit: past the token window.
const LATER: i64 = 11 * 60;

fn enrol(s: &TestServer) -> (String, Vec<u8>) {
    let a = s.post("/v1/points/enrol", &json!({}), &format!("enrol-{}", s.next_nonce()));
    assert_eq!(a.status, 201, "{}", a.text);
    let msg = a.body["enrolment_message"].as_str().unwrap().to_string();
    let parts: Vec<&str> = msg.split(' ').collect();
    (parts[2].to_string(), base32_decode(parts[3]).unwrap())
}

/// An identify token (version 1) of `account` with `counter`, made at `issued_at`.
fn token(account: &str, key: &[u8], counter: u32, issued_at: i64) -> String {
    let id: [u8; 16] = hex::decode(account).unwrap().try_into().unwrap();
    hex::encode(make_token(key, &id, counter, issued_at as u64))
}

fn earn(token: &str, points: i64, order: &str, again: Option<&str>) -> Value {
    let mut body = json!({"token": token, "kind": "earn", "points": points, "order_id": order});
    if let Some(a) = again {
        body["identified_again"] = json!(a);
    }
    body
}

fn account(s: &TestServer, account: &str) -> Value {
    s.get(&format!("/v1/points/accounts/{account}")).body
}

/// The earns of `order` in the account's history.
fn earns_of(s: &TestServer, acct: &str, order: &str) -> Vec<i64> {
    account(s, acct)["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "earn" && e["order_id"] == order)
        .map(|e| e["delta"].as_i64().unwrap())
        .collect()
}

#[test]
fn an_expired_earn_is_accepted_once_with_the_customers_next_identification() {
    let s = TestServer::start();
    let (acct, key) = enrol(&s);
    let post = |body: &Value, idem: &str| s.post("/v1/points/updates", body, idem);
    assert_eq!(post(&earn(&token(&acct, &key, 1, NOW), 100, "o-1", None), "e-1").status, 200);

    // Sale o-2 earns 50 with the token read at NOW, but the till is offline for 11 minutes.
    let sale_token = token(&acct, &key, 2, NOW);
    s.clock.set_unix(NOW + LATER);
    let a = post(&earn(&sale_token, 50, "o-2", None), "e-2");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("token_expired")), "{}", a.text);
    // Meanwhile the customer's phone earned at another visit: the last counter moved past 2.
    assert_eq!(post(&earn(&token(&acct, &key, 3, NOW + LATER), 30, "o-x", None), "e-3").status, 200);
    assert_eq!(account(&s, &acct)["balance"], 130);

    // Identified again (counter 4): o-2 earns under its own token, once.
    let again = token(&acct, &key, 4, NOW + LATER);
    let late = earn(&sale_token, 50, "o-2", Some(&again));
    let a = post(&late, "e-2-again");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(180)), "{}", a.text);
    assert_eq!(a.body["last_counter"], 3, "the last counter does not go back");
    // The same event again is its stored answer; the same change under another key is refused.
    let retry = post(&late, "e-2-again");
    assert!(retry.replayed && retry.text == a.text);
    let twice = post(&late, "e-2-twice");
    assert_eq!((twice.status, twice.body["code"].as_str()), (422, Some("token_replayed")), "{}", twice.text);
    // A token already used for its own change is not taken again either, whatever the order.
    let a = post(&earn(&token(&acct, &key, 3, NOW + LATER), 30, "o-y", Some(&again)), "e-3-again");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("token_replayed")), "{}", a.text);

    // The new identification's own sale earns with it, above the last counter, as usual.
    let a = post(&earn(&again, 20, "o-3", None), "e-4");
    assert_eq!((a.status, a.body["balance"].as_i64(), a.body["last_counter"].as_i64()), (200, Some(200), Some(4)));
    assert_eq!(earns_of(&s, &acct, "o-2"), [50], "o-2 earned exactly once");
    let counters: Vec<i64> =
        account(&s, &acct)["history"].as_array().unwrap().iter().map(|e| e["counter"].as_i64().unwrap()).collect();
    assert_eq!(counters, [4, 2, 3, 1], "newest first; o-2 under its own token's counter");
    // Without a new identification an expired token is still refused.
    let a = post(&earn(&token(&acct, &key, 9, NOW), 5, "o-9", None), "e-9");
    assert_eq!(a.body["code"], "token_expired");
}

#[test]
fn the_new_identification_must_be_the_same_customers_valid_fresh_and_later_and_only_for_an_earn() {
    let s = TestServer::start();
    let (acct, key) = enrol(&s);
    let (other, other_key) = enrol(&s);
    let sale_token = token(&acct, &key, 5, NOW);
    s.clock.set_unix(NOW + LATER);
    let cart = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
    let id: [u8; 16] = hex::decode(&acct).unwrap().try_into().unwrap();
    let redeem = hex::encode(make_redeem_token(&key, &id, 6, (NOW + LATER) as u64, 10, cart).unwrap());
    let cases = [
        // another customer's phone
        (earn(&sale_token, 50, "o-1", Some(&token(&other, &other_key, 7, NOW + LATER))), 422, "token_does_not_cover"),
        // a forged identification
        (earn(&sale_token, 50, "o-1", Some(&token(&acct, &[9u8; 32], 7, NOW + LATER))), 422, "invalid_token"),
        // an identification itself past the window
        (earn(&sale_token, 50, "o-1", Some(&token(&acct, &key, 7, NOW))), 422, "token_expired"),
        // not after the sale's token
        (earn(&sale_token, 50, "o-1", Some(&token(&acct, &key, 5, NOW + LATER))), 422, "token_does_not_cover"),
        (earn(&sale_token, 50, "o-1", Some(&token(&acct, &key, 4, NOW + LATER))), 422, "token_does_not_cover"),
        // a redemption is never sent late: its token is for that sale and those points only
        (
            json!({"token": redeem, "kind": "redeem", "points": 10, "order_id": "o-1",
                   "identified_again": token(&acct, &key, 7, NOW + LATER)}),
            422,
            "token_does_not_cover",
        ),
        // the sale's token forged
        (
            earn(&token(&acct, &[9u8; 32], 5, NOW), 50, "o-1", Some(&token(&acct, &key, 7, NOW + LATER))),
            422,
            "invalid_token",
        ),
        // not a version 1 token, not hex
        (earn(&sale_token, 50, "o-1", Some(&redeem)), 422, "invalid_token"),
        (earn(&sale_token, 50, "o-1", Some("zz")), 422, "invalid_token"),
    ];
    for (i, (body, status, code)) in cases.into_iter().enumerate() {
        let a = s.post("/v1/points/updates", &body, &format!("bad-{i}"));
        assert_eq!((a.status, a.body["code"].as_str()), (status, Some(code)), "case {i}: {}", a.text);
    }
    let a = account(&s, &acct);
    assert_eq!((a["balance"].as_i64(), a["last_counter"].as_i64()), (Some(0), Some(0)), "nothing changed");
    // The valid one goes through.
    let good = earn(&sale_token, 50, "o-1", Some(&token(&acct, &key, 7, NOW + LATER)));
    let a = s.post("/v1/points/updates", &good, "good");
    assert_eq!((a.status, a.body["balance"].as_i64(), a.body["last_counter"].as_i64()), (200, Some(50), Some(5)));
}

//! One-time enrolment codes against a real till-server on 127.0.0.1 with a real SQLite file:
//! a code gives its terminal's secret once, a used, expired or unknown code is refused with its
//! own error and changes nothing, and of concurrent exchanges of one code exactly one wins.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use support::{TestServer, NOW};
use till_core::Clock;
use till_server::clock::SeededEntropy;
use till_server::enrolment::{self, CODE_LIFETIME_SECS, MAX_FAILURES};

/// A fresh seed per code: the terminal ids and codes of one test must differ.
static SEED: AtomicU64 = AtomicU64::new(100);

fn issue(s: &TestServer, name: &str) -> enrolment::NewEnrolment {
    let entropy = SeededEntropy::new(SEED.fetch_add(1, Ordering::SeqCst));
    enrolment::issue(&*s.repo, name, &*s.clock, &entropy).unwrap()
}

fn exchange(s: &TestServer, code: &str) -> support::Answer {
    let body = serde_json::json!({ "enrolment_code": code }).to_string();
    s.raw("POST", "/v1/terminals/enrol", body.as_bytes(), None, &[])
}

fn used_at(s: &TestServer, code: &str) -> Option<i64> {
    let code = till_api::EnrolmentCode::parse(code).unwrap();
    s.repo.read().unwrap().enrolment_code(&enrolment::code_sha256(&code)).unwrap().unwrap().used_at
}

fn assert_refused(a: &support::Answer, status: u16, code: &str) {
    assert_eq!((a.status, a.body["code"].as_str()), (status, Some(code)), "{}", a.text);
    assert!(a.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", a.text);
}

#[test]
fn a_code_gives_the_secret_once_and_the_secret_signs() {
    let s = TestServer::start();
    let new = issue(&s, "counter 2");
    assert_eq!(new.expires_at, NOW + CODE_LIFETIME_SECS);
    let code = new.enrolment_code.clone();
    assert_eq!(code.len(), 19, "{code}");
    assert!(code.split('-').all(|g| g.len() == 4), "{code}");

    // Typed in lower case, as a person might: the same code.
    let a = exchange(&s, &code.to_lowercase());
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["terminal_id"].as_str(), Some(new.terminal_id.as_str()));
    let secret = a.body["secret"].as_str().unwrap().to_string();
    assert_eq!(hex::decode(&secret).unwrap().len(), 32);
    assert_eq!(a.body.as_object().unwrap().len(), 2, "{}", a.text);
    assert_eq!(a.signature, None, "the till cannot check a signature yet; none is sent");
    assert_eq!(used_at(&s, &code), Some(NOW));

    // The secret is the terminal's: a request signed with it passes the signing check.
    let h = till_server::signing::signed_headers(
        &new.terminal_id,
        &hex::decode(&secret).unwrap(),
        "GET",
        "/v1/ping",
        NOW,
        &s.next_nonce(),
        b"",
    );
    let ping = s.raw("GET", "/v1/ping", b"", None, &h);
    assert_eq!(
        (ping.status, ping.body["terminal_id"].as_str()),
        (200, Some(new.terminal_id.as_str())),
        "{}",
        ping.text
    );

    // Once only.
    s.clock.advance(1000);
    assert_refused(&exchange(&s, &code), 410, "enrolment_code_used");
    assert_eq!(used_at(&s, &code), Some(NOW), "the second try changed nothing");

    // Neither the code nor the secret is in the database files in clear.
    let db = s.dir.path().join("server.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
    let canonical = code.replace('-', "");
    for clear in [canonical.as_str(), code.as_str(), secret.as_str()] {
        assert!(!bytes.windows(clear.len()).any(|w| w == clear.as_bytes()), "{clear} is in the database files");
    }
}

#[test]
fn an_expired_code_is_refused_and_changes_nothing() {
    let s = TestServer::start();
    let late = issue(&s, "late");
    let just_in_time = issue(&s, "in time");
    s.clock.set_unix(NOW + CODE_LIFETIME_SECS - 1);
    assert_eq!(exchange(&s, &just_in_time.enrolment_code).status, 200);
    s.clock.set_unix(NOW + CODE_LIFETIME_SECS);
    assert_refused(&exchange(&s, &late.enrolment_code), 410, "enrolment_code_expired");
    assert_eq!(used_at(&s, &late.enrolment_code), None);
}

#[test]
fn unknown_and_malformed_codes_are_refused_and_too_many_stop_every_exchange_for_a_minute() {
    let s = TestServer::start();
    let good = issue(&s, "counter 3");
    assert_refused(&exchange(&s, "0000-0000-0000-0000"), 401, "enrolment_code_invalid");
    assert_refused(&exchange(&s, "not a code"), 401, "enrolment_code_invalid");
    let a = s.raw("POST", "/v1/terminals/enrol", b"{\"code\":1}", None, &[]);
    assert_refused(&a, 400, "malformed_json");
    let a = s.raw("POST", "/v1/terminals/enrol", &vec![b' '; 4096], None, &[]);
    assert_refused(&a, 413, "payload_too_large");
    for _ in 2..MAX_FAILURES {
        assert_refused(&exchange(&s, "ZZZZ-ZZZZ-ZZZZ-ZZZZ"), 401, "enrolment_code_invalid");
    }
    // The limit is reached: even the right code waits, and is not used up.
    assert_refused(&exchange(&s, &good.enrolment_code), 429, "too_many_enrolment_attempts");
    assert_eq!(used_at(&s, &good.enrolment_code), None);
    s.clock.advance(60_000);
    assert_eq!(exchange(&s, &good.enrolment_code).status, 200);
}

#[test]
fn a_disabled_terminals_code_is_refused_until_it_is_enabled() {
    let s = TestServer::start();
    let new = issue(&s, "counter 4");
    till_server::admin::set_terminal_disabled(&*s.repo, &new.terminal_id, true).unwrap();
    assert_refused(&exchange(&s, &new.enrolment_code), 401, "terminal_disabled");
    assert_eq!(used_at(&s, &new.enrolment_code), None);
    till_server::admin::set_terminal_disabled(&*s.repo, &new.terminal_id, false).unwrap();
    assert_eq!(exchange(&s, &new.enrolment_code).status, 200);
}

#[test]
fn of_concurrent_exchanges_of_one_code_exactly_one_gets_the_secret() {
    let s = Arc::new(TestServer::start());
    for round in 0..3 {
        let code = issue(&s, &format!("race {round}")).enrolment_code;
        let start = Arc::new(Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let (s, start, code) = (s.clone(), start.clone(), code.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let a = exchange(&s, &code);
                    (
                        a.status,
                        a.body["code"].as_str().map(str::to_string),
                        a.body["secret"].as_str().map(str::to_string),
                    )
                })
            })
            .collect();
        let results: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        assert!(winners[0].2.is_some());
        for r in results.iter().filter(|r| r.0 != 200) {
            assert_eq!((r.0, r.1.as_deref(), r.2.as_deref()), (410, Some("enrolment_code_used"), None), "{results:?}");
        }
    }
}

#[test]
fn terminals_add_with_an_enrolment_code_prints_the_code_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["terminals", "add", "--db", db.to_str().unwrap(), "--name", "counter 5", "--enrolment-code"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 6, "{v}");
    for f in ["terminal_id", "name", "enrolment_code", "expires_at", "store", "merchant_id"] {
        assert!(fields.contains(&f), "{f} missing: {v}");
    }
    assert_eq!(v["name"], "counter 5");
    let now = till_core::SystemClock.now_unix();
    let expires = v["expires_at"].as_i64().unwrap();
    assert!((now + CODE_LIFETIME_SECS - 60..=now + CODE_LIFETIME_SECS).contains(&expires), "{v}");

    // A server on that database gives the terminal's secret for the printed code, and the
    // secret was nowhere in what the command printed.
    let repo = Arc::new(till_server::repo::sqlite::SqliteRepository::open(&db).unwrap());
    let state = till_server::state::AppState::new(
        repo,
        Arc::new(till_core::SystemClock),
        Arc::new(till_server::clock::OsEntropy),
        till_server::config::Config::default(),
    );
    let server = till_server::server::Background::start(state, None).unwrap();
    let answer: serde_json::Value = ureq::post(&format!("{}/v1/terminals/enrol", server.url()))
        .send_json(serde_json::json!({ "enrolment_code": v["enrolment_code"] }))
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(answer["terminal_id"], v["terminal_id"]);
    let secret = answer["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
}

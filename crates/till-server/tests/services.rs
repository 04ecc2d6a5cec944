//! The service relay end to end on the server side: a real till-server on 127.0.0.1 (real
//! SQLite), the real reference provider (till-provider, in-process on 127.0.0.1) answering from
//! its shipped table, and the signatures both ways.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use serde_json::{json, Value};
use std::sync::Arc;
use support::{TestServer, NOW};
use till_core::ManualClock;
use till_provider::{table::Table, Provider, ProviderConfig};
use till_server::clock::SeededEntropy;
use till_server::config::Config;
use till_server::services::paid::{self, PaidLine};
use till_server::services::providers;
use till_server::state::AppState;

const SECRET: &str = "a-shared-secret-of-the-demo-provider";
const ACCOUNT: &str = "demo-services";

fn config() -> Config {
    let mut c = Config::default();
    // The tests deliver paid notices themselves, at the moments they choose.
    c.services.notify_interval_ms = 3_600_000;
    c.services.provider_timeout_ms = 2_000;
    c
}

fn provider_on(listen: &str, secret: &str, clock: Arc<ManualClock>) -> Provider {
    provider_as(ACCOUNT, listen, secret, clock)
}

fn provider_as(account: &str, listen: &str, secret: &str, clock: Arc<ManualClock>) -> Provider {
    let table =
        Table::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../till-provider/responses.toml")).unwrap();
    let config =
        ProviderConfig { account: account.into(), secret: secret.as_bytes().to_vec(), table, paid_log: None, clock };
    Provider::start(config, listen).unwrap()
}

/// A server with the provider registered under `endpoint`.
fn server_with(endpoint: &str) -> TestServer {
    let s = TestServer::start_with(config());
    providers::add(&*s.repo, "Demo services", ACCOUNT, endpoint, SECRET, NOW).unwrap();
    s
}

fn follow_and_start(s: &TestServer, conversation: &str) {
    let a = s.post("/v1/services/follow", &json!({"account_id": ACCOUNT}), "f-1");
    assert_eq!(a.status, 200, "{}", a.text);
    let a =
        s.post("/v1/services/conversations", &json!({"conversation_id": conversation, "account_id": ACCOUNT}), "c-1");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "open");
}

fn say(s: &TestServer, conversation: &str, key: &str, text: &str) -> support::Answer {
    s.post(&format!("/v1/services/conversations/{conversation}/messages"), &json!({"text": text}), key)
}

fn app(s: &TestServer) -> AppState {
    AppState::new(s.repo.clone(), s.clock.clone(), Arc::new(SeededEntropy::new(11)), config())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn a_top_up_is_relayed_round_by_round_signed_both_ways_and_kept() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let p = provider_on("127.0.0.1:0", SECRET, clock);
    let s = server_with(&p.endpoint());

    let listed = s.get("/v1/services/providers");
    assert_eq!(listed.body["providers"], json!([{"account_id": ACCOUNT, "name": "Demo services", "followed": false}]));
    follow_and_start(&s, "conv-1");
    assert_eq!(p.state.followers(), vec![s.terminal_id.clone()], "the provider bound the terminal");
    assert_eq!(s.get("/v1/services/providers").body["providers"][0]["followed"], true);

    let a = say(&s, "conv-1", "r-1", "top up");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((a.body["seq"].as_i64(), a.body["done"].as_bool()), (Some(1), Some(false)));
    assert!(a.body["text"].as_str().unwrap().contains("mobile number"));
    assert!(say(&s, "conv-1", "r-2", "13800138000").body["text"].as_str().unwrap().contains("How much"));
    assert!(say(&s, "conv-1", "r-3", "50").body["text"].as_str().unwrap().contains("13800138000"));
    let a = say(&s, "conv-1", "r-4", "yes");
    assert_eq!(a.body["amount"], json!({"minor": 5000, "currency": "CNY"}), "{}", a.text);
    assert_eq!(a.body["done"], true);

    // The same key again: the stored answer; the same key with another text: a conflict.
    let again = say(&s, "conv-1", "r-4", "yes");
    assert_eq!(again.body, a.body);
    assert_eq!(say(&s, "conv-1", "r-4", "no").body["code"], "idempotency_conflict");
    // Done: no new round.
    assert_eq!(say(&s, "conv-1", "r-5", "more").body["code"], "conversation_closed");

    let mut tx = s.repo.read().unwrap();
    let c = tx.conversation("conv-1").unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.amount_minor, c.currency.as_deref()), ("done", Some(5000), Some("CNY")));
    let last = tx.last_round("conv-1").unwrap().unwrap();
    assert_eq!((last.seq, last.status.as_str(), last.request_text.as_str()), (4, "answered", "yes"));
}

#[test]
fn following_and_conversations_are_checked() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let p = provider_on("127.0.0.1:0", SECRET, clock);
    let s = server_with(&p.endpoint());
    assert_eq!(s.post("/v1/services/follow", &json!({"account_id": "nobody"}), "f").body["code"], "provider_not_found");
    let a = s.post("/v1/services/conversations", &json!({"conversation_id": "c1", "account_id": ACCOUNT}), "c");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("not_following")));
    assert_eq!(say(&s, "nope", "k", "hi").body["code"], "conversation_not_found");
    // A disabled provider is neither listed nor followed.
    providers::set_disabled(&*s.repo, ACCOUNT, true).unwrap();
    assert_eq!(s.get("/v1/services/providers").body["providers"], json!([]));
    assert_eq!(s.post("/v1/services/follow", &json!({"account_id": ACCOUNT}), "f2").body["code"], "provider_not_found");
}

#[test]
fn a_provider_signing_with_another_secret_is_refused_and_the_round_kept() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let good = provider_on("127.0.0.1:0", SECRET, clock.clone());
    let s = server_with(&good.endpoint());
    follow_and_start(&s, "conv-w");
    // A second provider account whose process signs with another secret than the platform's.
    let wrong = provider_as("wrong-signer", "127.0.0.1:0", "another-secret-entirely-here", clock);
    let mut tx = s.repo.begin().unwrap();
    let mut p = tx.provider(ACCOUNT).unwrap().unwrap();
    p.account_id = "wrong-signer".into();
    p.endpoint = wrong.endpoint();
    tx.insert_provider(&p).unwrap();
    tx.commit().unwrap();
    let a = s.post("/v1/services/follow", &json!({"account_id": "wrong-signer"}), "f-w2");
    assert_eq!((a.status, a.body["code"].as_str()), (502, Some("provider_signature_invalid")), "{}", a.text);
    assert!(s.repo.read().unwrap().follow(&s.terminal_id, "wrong-signer").unwrap().is_none(), "nothing recorded");
}

#[test]
fn a_provider_that_is_down_fails_the_round_which_is_retried_with_the_same_key() {
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let first = provider_on(&listen, SECRET, clock.clone());
    let s = server_with(&first.endpoint());
    follow_and_start(&s, "conv-d");
    assert_eq!(say(&s, "conv-d", "r-1", "bill 100200300").status, 200);
    drop(first);

    let a = say(&s, "conv-d", "r-2", "yes");
    assert_eq!((a.status, a.body["code"].as_str()), (502, Some("provider_unavailable")), "{}", a.text);
    let kept = s.repo.read().unwrap().round_by_key("conv-d", "r-2").unwrap().unwrap();
    assert_eq!((kept.status.as_str(), kept.error_code.as_deref()), ("failed", Some("provider_unavailable")));
    // A new round must wait for the failed one.
    assert_eq!(say(&s, "conv-d", "r-3", "no").body["code"], "round_pending");

    // The provider is back (it lost its memory: a restart); the same round again goes through.
    let _back = provider_on(&listen, SECRET, clock);
    let a = say(&s, "conv-d", "r-2", "yes");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["seq"], 2);
}

fn paid_line<'a>(s: &'a TestServer, conversation: &'a str, minor: i64) -> PaidLine<'a> {
    PaidLine {
        terminal_id: &s.terminal_id,
        order_id: "order-1",
        line_code: "LINE-1",
        conversation_id: conversation,
        total_minor: minor,
        currency: "CNY",
    }
}

fn pay(s: &TestServer, line: &PaidLine<'_>) -> Result<(), till_server::error::ApiError> {
    let mut tx = s.repo.begin().unwrap();
    paid::paid(&mut *tx, line, NOW)?;
    tx.commit().unwrap();
    Ok(())
}

fn topped_up(s: &TestServer, conversation: &str) {
    follow_and_start(s, conversation);
    assert_eq!(say(s, conversation, "t-1", "top up 13800138000 30").status, 200);
    assert_eq!(say(s, conversation, "t-2", "yes").body["amount"]["minor"], 3000);
}

#[test]
fn a_paid_line_must_match_and_its_notice_reaches_the_provider_once() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let p = provider_on("127.0.0.1:0", SECRET, clock);
    let s = server_with(&p.endpoint());
    topped_up(&s, "conv-p");

    let e = pay(&s, &paid_line(&s, "conv-p", 2999)).unwrap_err();
    assert_eq!(e.code(), "service_amount_mismatch");
    assert_eq!(pay(&s, &paid_line(&s, "unknown", 3000)).unwrap_err().code(), "service_not_payable");
    let mut other = paid_line(&s, "conv-p", 3000);
    other.terminal_id = "t_00000000000000ff";
    assert_eq!(pay(&s, &other).unwrap_err().code(), "service_not_payable");
    assert_eq!(p.state.paid_notices(), 0, "nothing told before the sale is recorded");

    pay(&s, &paid_line(&s, "conv-p", 3000)).unwrap();
    assert_eq!(pay(&s, &paid_line(&s, "conv-p", 3000)).unwrap_err().code(), "service_already_paid");

    let app = app(&s);
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 1);
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 0, "acknowledged: not sent again");
    let payments = p.state.payments();
    assert_eq!(payments.len(), 1);
    assert_eq!((payments[0].conversation_id.as_str(), payments[0].amount.minor), ("conv-p", 3000));
    assert_eq!(payments[0].line_code, "LINE-1");

    // An acknowledgement lost on the way: the platform sends the notice again; the provider
    // acknowledges it but records the payment once.
    let mut tx = s.repo.begin().unwrap();
    let mut c = tx.conversation("conv-p").unwrap().unwrap();
    assert_eq!(c.notify_state.as_deref(), Some("acknowledged"));
    c.notify_state = Some("pending".into());
    c.notify_next_at = Some(NOW);
    tx.update_conversation(&c).unwrap();
    tx.commit().unwrap();
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 1);
    assert_eq!((p.state.payments().len(), p.state.paid_notices()), (1, 2));
}

#[test]
fn a_notice_the_provider_does_not_take_is_retried_later() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let first = provider_on(&listen, SECRET, clock.clone());
    let s = server_with(&first.endpoint());
    topped_up(&s, "conv-r");
    pay(&s, &paid_line(&s, "conv-r", 3000)).unwrap();
    drop(first);

    let app = app(&s);
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 0);
    let c = s.repo.read().unwrap().conversation("conv-r").unwrap().unwrap();
    assert_eq!((c.notify_state.as_deref(), c.notify_attempts), (Some("pending"), 1));
    assert!(c.notify_error.as_deref().unwrap().contains("unavailable"), "{:?}", c.notify_error);
    let back = provider_on(&listen, SECRET, clock);
    // Not due yet (the pause after one failure is 2 s).
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 0);
    s.clock.advance(2_000);
    assert_eq!(block_on(paid::deliver_due(&app)).unwrap(), 1);
    assert_eq!(back.state.payments().len(), 1);
}

#[test]
fn the_shared_secret_is_sealed_in_the_database_and_never_listed() {
    let s = server_with("https://provider.example/relay");
    let listed: Value = serde_json::to_value(providers::list(&*s.repo).unwrap()).unwrap();
    assert!(!listed.to_string().contains(SECRET));
    assert_eq!(s.repo.read().unwrap().provider(ACCOUNT).unwrap().unwrap().secret, SECRET);
    let db = s.dir.path().join("server.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend(std::fs::read(db.with_file_name("server.db-wal")).unwrap_or_default());
    assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "the secret is in clear on disk");
    // A second registration of the account, and an endpoint in clear to another host: refused.
    let e = providers::add(&*s.repo, "x", ACCOUNT, "https://p.example", SECRET, NOW).unwrap_err();
    assert_eq!(e.code(), "provider_exists");
    let e = providers::add(&*s.repo, "x", "other", "http://p.example", SECRET, NOW).unwrap_err();
    assert_eq!(e.code(), "invalid_endpoint");
}

/// A cash sale of one service line paying `conversation` for `minor`.
fn service_sale(order: &str, code: &str, conversation: &str, minor: i64) -> Value {
    json!({
        "order_id": order, "store": "Shop 1", "created_at": NOW - 60, "currency": "CNY",
        "lines": [{"line_code": code, "sku": "SERVICE-DEMO-SERVICES", "name": "Demo services", "quantity": 1,
            "unit_price": {"minor": minor, "currency": "CNY"}, "total": {"minor": minor, "currency": "CNY"},
            "origin": {"kind": "service", "reference": conversation}}],
        "payments": [{"tender": "cash", "amount": {"minor": minor, "currency": "CNY"}}]
    })
}

#[test]
fn a_recorded_sale_pays_the_service_in_its_own_commit_or_is_refused() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let p = provider_on("127.0.0.1:0", SECRET, clock);
    let s = server_with(&p.endpoint());
    topped_up(&s, "conv-s");

    let wrong = s.post("/v1/sales", &service_sale("o-1", &support::line_code(1), "conv-s", 2000), "sale-1");
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (422, Some("service_amount_mismatch")), "{}", wrong.text);
    assert!(!s.repo.read().unwrap().order_exists(&s.terminal_id, "o-1").unwrap(), "the refused sale left nothing");

    let ok = s.post("/v1/sales", &service_sale("o-2", &support::line_code(2), "conv-s", 3000), "sale-2");
    assert_eq!(ok.status, 201, "{}", ok.text);
    let c = s.repo.read().unwrap().conversation("conv-s").unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.paid_order_id.as_deref()), ("paid", Some("o-2")));
    assert_eq!(c.notify_state.as_deref(), Some("pending"));
    // The same sale again (a retry of the event): replayed, not paid twice.
    assert!(s.post("/v1/sales", &service_sale("o-2", &support::line_code(2), "conv-s", 3000), "sale-2").replayed);
    // Another sale paying it again: refused.
    let twice = s.post("/v1/sales", &service_sale("o-3", &support::line_code(3), "conv-s", 3000), "sale-3");
    assert_eq!(twice.body["code"], "service_already_paid");

    assert_eq!(block_on(paid::deliver_due(&app(&s))).unwrap(), 1);
    assert_eq!(p.state.payments()[0].order_id, "o-2");
}

//! The service relay through the real window (tauri-driver and WebKitWebDriver under Xvfb, like
//! tests/e2e_refunds.rs), against a real till-server on 127.0.0.1 and the real reference
//! provider (till-provider, in-process on 127.0.0.1) registered on it:
//! - a mobile top-up over four rounds, added to the sale and paid in cash; the provider has the
//!   paid notice once;
//! - a provider answering with another secret: the round shows a clear error, nothing is
//!   payable, nothing is paid.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::till_server::{cashier, TestServer};
use support::webdriver::{Session, ENTER, F2};
use till_provider::{table::Table, Provider, ProviderConfig};

const SECRET: &str = "the-e2e-provider-shared-secret";
const ACCOUNT: &str = "demo-services";

fn provider(listen: &str, secret: &str) -> Provider {
    let table =
        Table::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/till-provider/responses.toml")).unwrap();
    let config = ProviderConfig {
        account: ACCOUNT.into(),
        secret: secret.as_bytes().to_vec(),
        table,
        paid_log: None,
        clock: Arc::new(till_core::SystemClock),
    };
    Provider::start(config, listen).unwrap()
}

fn free_port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("127.0.0.1:{port}")
}

/// Opens Services, follows the provider and starts a conversation.
fn start_conversation(s: &Session) {
    s.click(&s.wait_for("#open-services"));
    let row = format!(".provider-row[data-account='{ACCOUNT}']");
    s.click(&s.wait_for(&format!("{row} button.follow")));
    s.click(&s.wait_for(&format!("{row} button.start")));
    s.wait_for("#services-request");
}

/// Sends one round and waits for round `seq` to settle with `status`.
fn say(s: &Session, seq: usize, text: &str, status: &str) {
    let input = s.wait_for("#services-request:not([disabled])");
    s.type_into(&input, &format!("{text}{ENTER}"));
    s.wait_for(&format!("#services-rounds li.round[data-seq='{seq}'][data-status='{status}']"));
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_top_up_over_several_rounds_is_added_to_the_sale_paid_in_cash_and_the_provider_told_once() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p = provider("127.0.0.1:0", SECRET);
    till_server::services::providers::add(&*srv.repo, "Demo services", ACCOUNT, &p.endpoint(), SECRET, 0).unwrap();
    let (_data, _driver, s) = cashier(dir.path(), &srv);

    start_conversation(&s);
    say(&s, 1, "top up", "answered");
    assert!(s.text(&s.wait_for("li.round[data-seq='1'] .answer")).contains("mobile number"));
    say(&s, 2, "13800138000", "answered");
    say(&s, 3, "50", "answered");
    say(&s, 4, "yes", "answered");
    assert_eq!(s.attribute(&s.wait_for("#services-amount"), "data-minor"), "5000");
    s.click(&s.wait_for("#services-add"));

    // Back on the cashier screen with the service line; paid in cash.
    let line = s.wait_for(".cart-line");
    assert!(s.text(&line).contains("Demo services"), "{}", s.page_text());
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("50{ENTER}"));
    s.wait_for("#receipt");

    wait_until("the provider was never told it was paid", || p.state.payments().len() == 1);
    std::thread::sleep(Duration::from_secs(2));
    let payments = p.state.payments();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].amount.minor, 5000);
    assert_eq!(p.state.paid_notices(), 1, "acknowledged once, not sent again");
    s.end();
}

#[test]
fn a_provider_signing_wrongly_shows_a_clear_error_and_nothing_is_paid() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let listen = free_port();
    let good = provider(&listen, SECRET);
    till_server::services::providers::add(&*srv.repo, "Demo services", ACCOUNT, &good.endpoint(), SECRET, 0).unwrap();
    let (_data, _driver, s) = cashier(dir.path(), &srv);

    start_conversation(&s);
    say(&s, 1, "top up 13800138000 30", "answered");
    drop(good);
    // Another process answers at the provider's address, signing with another secret.
    let forger = provider(&listen, "not-the-shared-secret-at-all");
    say(&s, 2, "yes", "failed");
    let alert = s.wait_for("li.round[data-seq='2'] .failed");
    assert_eq!(s.attribute(&alert, "data-error-code"), "provider_signature_invalid");
    assert!(s.text(&alert).contains("not signed with its shared secret"), "{}", s.text(&alert));
    assert!(s.find_all("#services-add").is_empty(), "nothing to add to the sale");
    s.wait_for("#services-retry");
    assert!(forger.state.payments().is_empty());
    s.end();
}

//! The HQ console in a real browser: headless Chromium driven through chromedriver (W3C
//! WebDriver) against a real till-server on 127.0.0.1 with a real SQLite file and a clock the
//! test moves. Sign-in and lockout, sales filtered by store, a terminal added (its credential
//! shown once) and disabled (its signed calls then refused), a POST without its token refused,
//! the session's expiry, and the pages in Chinese.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/browser.rs"]
mod browser;
mod support;

use browser::Browser;
use support::console::{admin, disabled, sell, signed, terminal_in, Terminal, PASSWORD};
use support::{TestServer, NOW};
use till_server::console::auth::{IDLE_SECS, LOCKOUT_SECS, MAX_FAILURES};

fn sign_in(b: &Browser, base: &str, user: &str, password: &str) {
    b.go(&format!("{base}/console/sign-in"));
    b.type_into("#username", user);
    b.type_into("#password", password);
    b.click("#sign-in");
}

#[test]
fn an_admin_works_the_console_in_a_browser() {
    let s = TestServer::start();
    let base = s.server.url();
    admin(&s, "alice", "default");
    let north = terminal_in(&s, "north counter", "north", 31);
    let main = Terminal { id: s.terminal_id.clone(), secret: s.secret.clone() };
    sell(&s, &main, "m-1", 1, 1_000);
    sell(&s, &main, "m-2", 2, 2_500);
    sell(&s, &north, "n-1", 3, 40_000);

    let b = Browser::start();
    // Wrong passwords lock the account; the right one is then refused until the lockout ends.
    for _ in 0..MAX_FAILURES {
        sign_in(&b, &base, "alice", "not the password");
        assert!(b.text("#sign-in-error").contains("Wrong user name or password"));
    }
    sign_in(&b, &base, "alice", PASSWORD);
    b.wait_for("#sign-in-error");
    s.clock.set_unix(NOW + LOCKOUT_SECS);
    sign_in(&b, &base, "alice", PASSWORD);
    assert_eq!(b.text("h1"), "Sales");
    assert_eq!(b.text("#admin-name"), "alice");

    // Every sale of the merchant, then only the north store's, with its total.
    assert_eq!(b.find_all("#sales tr.sale").len(), 3);
    assert!(b.text("#sales-totals").contains("CNY 435.00"), "{}", b.text("#sales-totals"));
    b.select("#store", "north");
    b.click("#apply-filter");
    b.wait_for("#store option[value='north'][selected]");
    assert_eq!(b.texts("#sales td.sale-store"), vec!["north".to_string()]);
    assert!(b.text("#sales-totals").contains("CNY 400.00"));
    assert!(b.url().contains("store=north"));

    // Alt+2 goes to the terminals; add one with a secret: shown on this answer only.
    b.alt("2");
    b.wait_for("#add-terminal");
    assert_eq!(b.text("h1"), "Terminals");
    b.type_into("#name", "south counter");
    b.type_into("#new-store", "south");
    b.click("input[name=credential][value=secret]");
    b.click("#add-terminal");
    let id = b.text("#new-terminal-id");
    let secret = b.text("#new-credential");
    assert_eq!(secret.len(), 64, "{secret}");
    let south = Terminal { id: id.clone(), secret: hex::decode(&secret).unwrap() };
    assert_eq!(signed(&s, &south, "GET", "/v1/ping", b"", None).status, 200, "the shown secret signs");
    b.click("#back");
    b.wait_for(&format!("tr[data-terminal='{id}']"));
    assert!(!b.source().contains(&secret), "the secret is not shown again");

    // Disable it after the confirmation; its signed calls are then refused.
    b.click(&format!("tr[data-terminal='{id}'] a.button"));
    b.wait_for("#question");
    b.click("#confirm");
    b.wait_for("#done");
    assert!(disabled(&s, &id));
    let refused = signed(&s, &south, "GET", "/v1/ping", b"", None);
    assert_eq!(refused.body["code"], "terminal_disabled", "{}", refused.text);

    // A form whose token was taken out is refused, and nothing changes.
    b.click(&format!("tr[data-terminal='{}'] a.button", north.id));
    b.wait_for("#question");
    b.execute("document.querySelector('form.card input[name=csrf]').remove(); return 0;");
    b.click("#confirm");
    b.wait_for("main.error");
    assert!(b.page_text().contains("403"));
    assert!(!disabled(&s, &north.id));

    // In Chinese.
    b.go(&format!("{base}/console/terminals"));
    b.click("#lang-switch");
    b.wait_for("html[lang='zh-Hans']");
    assert_eq!(b.text("h1"), "终端");
    assert!(b.text("nav").contains("销售"));
    assert!(b.text("#sign-out").contains("退出登录"));
    b.alt("1");
    b.wait_for("#sales");
    assert_eq!(b.text("h1"), "销售");

    // Idle for 8 hours: the next page asks to sign in again.
    s.clock.set_unix(NOW + LOCKOUT_SECS + IDLE_SECS);
    b.go(&format!("{base}/console/sales"));
    b.wait_for("#sign-in-notice");
    assert!(b.url().ends_with("/console/sign-in?ended=1"), "{}", b.url());
}

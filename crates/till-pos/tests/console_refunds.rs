//! The seller's side of a refund with a photo, end to end: a till records a refund of a line
//! sold for Acme Audio with a photo of the defect; its outbox uploads the photo to a real
//! till-server on 127.0.0.1; Acme's admin signs in to the HQ console in Chromium (through
//! chromedriver, headless), sees the refund with its photo (decoded by the browser), confirms
//! it on the confirmation page; the till learns the decision through the server and has it to
//! pay out. Also over plain HTTP: the photo is served with its type, `nosniff` and `no-store`,
//! only to a signed-in admin of the merchant, and a rejection needs its reason and the CSRF
//! token.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../till-server/tests/support/browser.rs"]
mod browser;
mod support;

use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use support::{drained, online, server, Server};
use till_core::SessionToken;
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::{Pos, PosConfig};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// A real 1×1 PNG: the browser must decode it to give it a width.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const PASSWORD: &str = "acme seller password 1";

/// A till with a refund of Acme's speaker waiting for Acme, its photo uploaded.
struct Counter {
    _dir: tempfile::TempDir,
    pos: Pos,
    cashier: SessionToken,
    refund_id: i64,
    sha: String,
}

fn counter(srv: &Server) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    online(&pos, srv);
    let c = pos.login(1, "1111").unwrap().token;
    let cart = pos.cart_scan(&c, "MKT-001").unwrap();
    let sale = pos.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    drained(&pos);
    let lookup = RefundLookup {
        by: "line_code".into(),
        text: sale.lines[0].line_code.clone(),
        date: None,
        amount_minor: None,
        utc_offset_minutes: None,
    };
    let found = pos.refund_find(&c, lookup).unwrap();
    let r = pos
        .refund_record(
            &c,
            RefundInput {
                order_id: found.order_id,
                lines: vec![RefundLineInput { order_line_id: found.lines[0].order_line_id, quantity: 1 }],
                reason: "defective".into(),
                photo_base64: Some(PNG_1X1.into()),
                manager_id: None,
                manager_pin: None,
                wait_for_seller: false,
            },
        )
        .unwrap();
    assert_eq!(r.status, "pending");
    drained(&pos);
    let sha = hex::encode(Sha256::digest(B64.decode(PNG_1X1).unwrap()));
    assert!(srv.repo.read().unwrap().refund_photo_exists(&sha).unwrap(), "the photo reached the server");
    Counter { _dir: dir, pos, cashier: c, refund_id: r.refund_id, sha }
}

fn add_admin(srv: &Server, user: &str, merchant: &str) {
    till_server::console::admins::add_admin(
        &*srv.repo,
        user,
        merchant,
        PASSWORD,
        &till_core::SystemClock,
        &till_server::clock::OsEntropy,
    )
    .unwrap();
}

#[test]
fn the_seller_sees_the_photo_in_the_console_confirms_and_the_till_learns_it() {
    let srv = server();
    let till = counter(&srv);
    add_admin(&srv, "acme", "default");
    let d = browser::Browser::start();
    d.go(&format!("{}/console/sign-in", srv.url));
    d.type_into("#username", "acme");
    d.type_into("#password", PASSWORD);
    d.click("#sign-in");
    // Signed in: the console moves on from the sign-in page (to its first section).
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.execute("return window.location.pathname;") == json!("/console/sign-in") {
        assert!(Instant::now() < deadline, "not signed in: {}", d.text("body"));
        std::thread::sleep(Duration::from_millis(100));
    }
    d.go(&format!("{}/console/refunds", srv.url));
    assert_eq!(d.text("#admin-name"), "acme");
    let row = d.text("#refunds tr.refund");
    assert!(row.contains("Bluetooth speaker (Acme Audio)"), "{row}");
    assert!(row.contains("199.00") && row.contains("Defective"), "{row}");
    // The photo is shown: the browser fetched and decoded it (a broken image has no width).
    d.wait_for("img.refund-photo");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let w =
            d.execute("const i = document.querySelector('img.refund-photo'); return i.complete ? i.naturalWidth : -1;");
        if w == json!(1) {
            break;
        }
        assert!(Instant::now() < deadline, "the photo did not load: {w}");
        std::thread::sleep(Duration::from_millis(100));
    }
    d.click("a.confirm-link");
    assert!(d.text("#question").contains("Confirm this refund"));
    d.wait_for("img.refund-photo.large");
    d.click("#confirm");
    assert!(d.text("#done").contains("confirmed"), "{}", d.text("body"));
    d.wait_for("#no-refunds");
    // The server's record and its audit.
    let refunds = srv.repo.read().unwrap().refunds(Some("refunded")).unwrap();
    assert_eq!((refunds.len(), refunds[0].decided_by.as_deref()), (1, Some("acme")));
    let audit = rusqlite::Connection::open(&srv.db)
        .unwrap()
        .query_row(
            "SELECT admin || ' ' || action || ' ' || subject FROM console_audit WHERE action LIKE 'refund.%'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
    assert_eq!(audit, format!("acme refund.confirm {}", refunds[0].refund_id));
    // The till learns it the way it always has: on Refresh, it is there to pay out.
    let r = till.pos.refund_refresh(&till.cashier, till.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.to_pay_out.minor()), ("confirmed", 19_900));
}

/// The session cookie of `user` signed in, and the CSRF token of the page at `path`.
fn signed_in(srv: &Server, user: &str, path: &str) -> (String, String) {
    let token = till_server::console::auth::sign_in_with(
        &*srv.repo,
        user,
        PASSWORD,
        till_core::Clock::now_unix(&till_core::SystemClock),
        &till_server::clock::OsEntropy,
    )
    .unwrap()
    .unwrap();
    let cookie = format!("till_console={token}");
    let page = ureq::get(&format!("{}{path}", srv.url)).set("cookie", &cookie).call().unwrap().into_string().unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (cookie, csrf)
}

fn status_of(r: Result<ureq::Response, ureq::Error>) -> (u16, Option<ureq::Response>) {
    match r {
        Ok(r) => (r.status(), Some(r)),
        Err(ureq::Error::Status(c, r)) => (c, Some(r)),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn photos_go_only_to_the_merchants_admins_and_a_rejection_needs_its_reason_and_token() {
    let srv = server();
    let till = counter(&srv);
    add_admin(&srv, "acme", "default");
    add_admin(&srv, "other", "another-merchant");
    let photo = format!("{}/console/refunds/photos/{}", srv.url, till.sha);
    let agent = ureq::AgentBuilder::new().redirects(0).build();

    // No session: the sign-in page, not the photo.
    let (code, r) = status_of(agent.get(&photo).call());
    assert_eq!(code, 303, "{:?}", r.map(|r| r.into_string().unwrap_or_default()));
    // Another merchant's admin: not found, and nothing of the refund on their list.
    let (other, _) = signed_in(&srv, "other", "/console/refunds");
    assert_eq!(status_of(agent.get(&photo).set("cookie", &other).call()).0, 404);
    let list =
        agent.get(&format!("{}/console/refunds", srv.url)).set("cookie", &other).call().unwrap().into_string().unwrap();
    assert!(list.contains("id=\"no-refunds\"") && !list.contains(&till.sha), "{list}");

    // The merchant's admin: the bytes, their type, nosniff, not cached.
    let (cookie, csrf) = signed_in(&srv, "acme", "/console/refunds");
    let (code, r) = status_of(agent.get(&photo).set("cookie", &cookie).call());
    let r = r.unwrap();
    assert_eq!(code, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("cache-control").unwrap().contains("no-store"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
    assert_eq!(bytes, B64.decode(PNG_1X1).unwrap());
    assert_eq!(
        status_of(
            agent.get(&format!("{}/console/refunds/photos/{}", srv.url, "ab".repeat(32))).set("cookie", &cookie).call()
        )
        .0,
        404
    );

    let id = srv.repo.read().unwrap().refunds(Some("pending_seller_confirmation")).unwrap().remove(0).refund_id;
    let reject = format!("{}/console/refunds/{id}/reject", srv.url);
    let post = |body: &str| {
        status_of(
            agent
                .post(&reject)
                .set("cookie", &cookie)
                .set("content-type", "application/x-www-form-urlencoded")
                .send_string(body),
        )
        .0
    };
    // Without the token, or with another: refused, nothing changes.
    assert_eq!(post("reason=broken+on+purpose"), 403);
    assert_eq!(post("csrf=0000&reason=broken+on+purpose"), 403);
    // Without a reason: the page again, nothing changes.
    assert_eq!(post(&format!("csrf={csrf}&reason=+")), 400);
    assert_eq!(srv.repo.read().unwrap().refunds(Some("pending_seller_confirmation")).unwrap().len(), 1);
    // Another merchant's admin cannot decide it even with their own token.
    let (other, other_csrf) = signed_in(&srv, "other", "/console/refunds");
    let (code, _) = status_of(
        agent
            .post(&reject)
            .set("cookie", &other)
            .set("content-type", "application/x-www-form-urlencoded")
            .send_string(&format!("csrf={other_csrf}&reason=no")),
    );
    assert_eq!(code, 404);
    // With both: rejected, audited with the reason; the till learns it.
    assert_eq!(post(&format!("csrf={csrf}&reason=broken+on+purpose")), 303);
    assert_eq!(srv.repo.read().unwrap().refunds(Some("rejected")).unwrap().len(), 1);
    let detail: String = rusqlite::Connection::open(&srv.db)
        .unwrap()
        .query_row("SELECT detail FROM console_audit WHERE action = 'refund.reject'", [], |r| r.get(0))
        .unwrap();
    assert!(detail.contains("reason: broken on purpose"), "{detail}");
    // Decided already: a second decision is refused.
    assert_eq!(post(&format!("csrf={csrf}&reason=again")), 404);
    let r = till.pos.refund_refresh(&till.cashier, till.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.lines[0].state.status.as_str()), ("refused", "refused"));
}

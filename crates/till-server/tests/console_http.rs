//! The HQ console's sign-in, sessions and forms over plain HTTP against a real till-server on
//! 127.0.0.1, on a SQLite file and on PostgreSQL (`on_both_backends!`): the edge cases a browser
//! test would be slow to reach.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::console::{admin, audit, disabled, terminal_in, Web, PASSWORD};
use support::{Backend, TestServer, NOW};
use till_server::console::auth::{IDLE_SECS, LOCKOUT_SECS, MAX_FAILURES, MAX_SESSION_SECS};

fn signed_in(s: &TestServer, user: &str) -> Web {
    let web = Web::new(s);
    let answer = web.sign_in(user, PASSWORD);
    assert_eq!((answer.status, answer.location.as_deref()), (303, Some("/console")), "{}", answer.body);
    web
}

fn sign_in_sets_a_strict_http_only_cookie_and_opens_the_pages(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = Web::new(&s);
    let answer = web.sign_in("alice", PASSWORD);
    let cookie = answer.set_cookies.iter().find(|c| c.starts_with("till_console=")).expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"),
        "{cookie}"
    );
    // Plain HTTP here: not Secure (over TLS it is; see the unit test of set_cookie).
    assert!(!cookie.contains("Secure"), "{cookie}");
    for path in ["/console/sales", "/console/terminals", "/console/customers", "/console/points"] {
        let page = web.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(
            page.body.contains("<meta charset=\"utf-8\">") && page.body.contains("id=\"admin-name\">alice<"),
            "{path}"
        );
        assert!(page.body.contains("aria-current=\"page\""), "{path}: the section is marked current");
    }
    let headers = web.get("/console/sales");
    assert!(headers.status == 200);
    // The console's address typed with a slash at the end goes to the console too.
    let slash = web.get("/console/");
    assert_eq!((slash.status, slash.location.as_deref()), (308, Some("/console")));
    // Without the cookie every page sends the browser to sign in.
    let stranger = Web::new(&s);
    let page = stranger.get("/console/sales");
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/sign-in")));
}

fn wrong_passwords_lock_the_account_even_for_the_right_one_until_the_lockout_ends(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = Web::new(&s);
    for _ in 0..MAX_FAILURES {
        let answer = web.sign_in("alice", "wrong password!");
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert!(answer.body.contains("id=\"sign-in-error\""));
        assert!(!web.cookies.borrow().contains_key("till_console"));
    }
    let answer = web.sign_in("alice", PASSWORD);
    assert_eq!(answer.status, 401, "locked: the right password is refused too");
    assert!(audit(&s, "default").contains(&"sign_in.locked alice".to_string()));
    s.clock.set_unix(NOW + LOCKOUT_SECS - 1);
    assert_eq!(web.sign_in("alice", PASSWORD).status, 401);
    s.clock.set_unix(NOW + LOCKOUT_SECS);
    assert_eq!(web.sign_in("alice", PASSWORD).status, 303, "the lockout is over");
    // A success resets the count: four more wrong ones do not lock.
    for _ in 0..MAX_FAILURES - 1 {
        assert_eq!(web.sign_in("alice", "wrong password!").status, 401);
    }
    assert_eq!(web.sign_in("alice", PASSWORD).status, 303);
}

fn unknown_and_disabled_admins_are_refused_alike(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = Web::new(&s);
    let unknown = web.sign_in("mallory", PASSWORD);
    let wrong = web.sign_in("alice", "wrong password!");
    assert_eq!((unknown.status, wrong.status), (401, 401));
    // The same words: the answer does not tell which names exist.
    let alert = |b: &str| b[b.find("role=\"alert\"").unwrap()..].split('<').next().unwrap().to_string();
    assert_eq!(alert(&unknown.body), alert(&wrong.body));

    let browser = signed_in(&s, "alice");
    till_server::console::admins::set_admin_disabled(&*s.repo, "alice", true, &*s.clock).unwrap();
    let page = browser.get("/console/sales");
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/sign-in?ended=1")), "the session ended");
    assert_eq!(web.sign_in("alice", PASSWORD).status, 401);
}

fn the_sign_in_form_needs_its_own_token_and_cookie(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = Web::new(&s);
    let form = web.get("/console/sign-in");
    let token = form.csrf();
    let no_token = web.post("/console/sign-in", &[("username", "alice"), ("password", PASSWORD)]);
    let wrong = web.post("/console/sign-in", &[("username", "alice"), ("password", PASSWORD), ("csrf", "00")]);
    assert_eq!((no_token.status, wrong.status), (403, 403));
    // The token without its cookie (another site's form cannot set it) is refused too.
    let other = Web::new(&s);
    let forged = other.post("/console/sign-in", &[("username", "alice"), ("password", PASSWORD), ("csrf", &token)]);
    assert_eq!(forged.status, 403);
    assert!(!other.cookies.borrow().contains_key("till_console"));
    let ok = web.post("/console/sign-in", &[("username", "alice"), ("password", PASSWORD), ("csrf", &token)]);
    assert_eq!(ok.status, 303);
}

fn a_post_without_the_session_token_changes_nothing(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let t = terminal_in(&s, "counter 2", "main", 21);
    let web = signed_in(&s, "alice");
    let path = format!("/console/terminals/{}/disable", t.id);
    let confirm = web.get(&path);
    assert_eq!(confirm.status, 200);
    let token = confirm.csrf();
    for body in [String::new(), "csrf=".to_string(), format!("csrf={}", "a".repeat(token.len()))] {
        let answer = web.post_raw(&path, body.as_bytes());
        assert_eq!(answer.status, 403, "{body}: {}", answer.body);
        assert!(!disabled(&s, &t.id), "{body}: nothing changed");
    }
    // Another session's token is not this session's.
    let other = signed_in(&s, "alice");
    let other_token = other.get(&path).csrf();
    assert_ne!(other_token, token);
    assert_eq!(web.post(&path, &[("csrf", &other_token)]).status, 403);
    assert!(!disabled(&s, &t.id));
    assert!(!audit(&s, "default").iter().any(|a| a.starts_with("terminal.disable")));
    // With it, the change and its audit entry.
    let done = web.post(&path, &[("csrf", &token)]);
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/console/terminals?done=disabled")));
    assert!(disabled(&s, &t.id));
    assert_eq!(audit(&s, "default")[0], format!("terminal.disable {}", t.id));
}

fn sessions_expire_when_idle_and_in_any_case_after_a_day(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = signed_in(&s, "alice");
    // Used every 7 hours, the session lives on ...
    for hours in [7, 14, 21] {
        s.clock.set_unix(NOW + hours * 3600);
        assert_eq!(web.get("/console/sales").status, 200, "after {hours} h");
    }
    // ... but not past the day.
    s.clock.set_unix(NOW + MAX_SESSION_SECS);
    let page = web.get("/console/sales");
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/sign-in?ended=1")));

    let idle = signed_in(&s, "alice");
    let signed_at = NOW + MAX_SESSION_SECS;
    s.clock.set_unix(signed_at + IDLE_SECS - 1);
    assert_eq!(idle.get("/console/sales").status, 200);
    s.clock.set_unix(signed_at + IDLE_SECS - 1 + IDLE_SECS);
    let page = idle.get("/console/sales");
    assert_eq!(page.location.as_deref(), Some("/console/sign-in?ended=1"), "idle for 8 hours");
    let again = idle.get("/console/sales");
    assert_eq!(again.location.as_deref(), Some("/console/sign-in"), "the cookie was cleared");
}

fn sign_out_ends_the_session_on_the_server(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = signed_in(&s, "alice");
    let cookie = web.cookies.borrow().get("till_console").cloned().unwrap();
    let token = web.get("/console/sales").csrf();
    assert_eq!(web.post("/console/sign-out", &[]).status, 403, "sign-out needs the token too");
    let out = web.post("/console/sign-out", &[("csrf", &token)]);
    assert_eq!(out.location.as_deref(), Some("/console/sign-in?signed_out=1"));
    // The old cookie, replayed, no longer opens anything.
    web.cookies.borrow_mut().insert("till_console".into(), cookie);
    assert_eq!(web.get("/console/sales").status, 303);
}

fn an_admin_sees_and_changes_only_their_merchants_terminals(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "bob", "other-chain");
    let web = signed_in(&s, "bob");
    let list = web.get("/console/terminals");
    assert!(!list.body.contains(&s.terminal_id), "merchant default's terminal is not listed");
    let path = format!("/console/terminals/{}/disable", s.terminal_id);
    assert_eq!(web.get(&path).status, 404);
    let token = list.csrf();
    assert_eq!(web.post(&path, &[("csrf", &token)]).status, 404);
    assert!(!disabled(&s, &s.terminal_id));
    // Nor can bob add a terminal to a store of merchant default.
    let add = web.post(
        "/console/terminals",
        &[("csrf", &token), ("name", "sneaky"), ("store", "main"), ("credential", "secret")],
    );
    assert_eq!(add.status, 400);
    assert_eq!(s.repo.read().unwrap().terminals().unwrap().len(), 1);
}

fn forms_are_size_limited_and_the_language_switch_stays_on_the_console(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    let web = signed_in(&s, "alice");
    let token = web.get("/console/sales").csrf();
    let big = format!("csrf={token}&name={}", "x".repeat(till_server::console::csrf::FORM_LIMIT));
    assert_eq!(web.post_raw("/console/terminals", big.as_bytes()).status, 413);
    let to_zh = web.get("/console/lang?to=zh&back=%2Fconsole%2Fterminals");
    assert_eq!(to_zh.location.as_deref(), Some("/console/terminals"));
    assert!(web.get("/console/terminals").body.contains("<html lang=\"zh-Hans\">"));
    for evil in ["https%3A%2F%2Fevil.example", "%2F%2Fevil.example", "%2Fconsole%2F%2Fevil.example"] {
        let page = web.get(&format!("/console/lang?to=en&back={evil}"));
        assert_eq!(page.location.as_deref(), Some("/console"), "{evil}");
    }
    // Security headers on every page.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let r = agent.get(&format!("{}/console/sign-in", s.server.url())).call().unwrap();
    assert!(r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

fn a_reputation_change_is_audited_and_a_bad_score_changes_nothing(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    till_server::admin::set_reputation(&*s.repo, "cust-<b>&", 40).unwrap();
    let web = signed_in(&s, "alice");
    let list = web.get("/console/customers?q=%3Cb");
    assert!(list.body.contains("cust-&lt;b&gt;&amp;"), "escaped: {}", list.body);
    assert!(!list.body.contains("cust-<b>"));
    let path = "/console/customers/cust-%3Cb%3E%26";
    let token = web.get(path).csrf();
    assert_eq!(web.post(path, &[("csrf", &token), ("reputation", "lots")]).status, 400);
    assert_eq!(web.post(path, &[("reputation", "90")]).status, 403);
    assert_eq!(s.repo.read().unwrap().merchant_customer_reputation("default", "cust-<b>&").unwrap(), Some(40));
    let saved = web.post(path, &[("csrf", &token), ("reputation", "90")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(s.repo.read().unwrap().merchant_customer_reputation("default", "cust-<b>&").unwrap(), Some(90));
    let entry = s.repo.read().unwrap().console_audit("default", 1).unwrap().remove(0).entry;
    assert_eq!(
        (entry.action.as_str(), entry.subject.as_str(), entry.detail.as_str()),
        ("customer.reputation", "cust-<b>&", "40 -> 90")
    );
    // Another merchant's admin does not see the customer.
    admin(&s, "bob", "other-chain");
    let bob = signed_in(&s, "bob");
    assert_eq!(bob.get(path).status, 404);
    assert!(!bob.get("/console/customers").body.contains("cust-"));
}

on_both_backends!(
    sign_in_sets_a_strict_http_only_cookie_and_opens_the_pages,
    wrong_passwords_lock_the_account_even_for_the_right_one_until_the_lockout_ends,
    unknown_and_disabled_admins_are_refused_alike,
    the_sign_in_form_needs_its_own_token_and_cookie,
    a_post_without_the_session_token_changes_nothing,
    sessions_expire_when_idle_and_in_any_case_after_a_day,
    sign_out_ends_the_session_on_the_server,
    an_admin_sees_and_changes_only_their_merchants_terminals,
    forms_are_size_limited_and_the_language_switch_stays_on_the_console,
    a_reputation_change_is_audited_and_a_bad_score_changes_nothing,
);

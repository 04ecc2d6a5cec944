//! Helpers of the console's tests: admins, terminals in stores, sales sent by them, and a
//! cookie-keeping HTTP client that does not follow redirects (so each answer can be checked).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

use super::{Answer, TestServer, NOW};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use till_server::clock::SeededEntropy;
use till_server::console::admins;

pub const PASSWORD: &str = "correct horse battery";

/// Makes admin `user` of `merchant` with [`PASSWORD`].
pub fn admin(s: &TestServer, user: &str, merchant: &str) {
    admins::add_admin(&*s.repo, user, merchant, PASSWORD, &*s.clock, &SeededEntropy::new(11)).unwrap();
}

/// A registered terminal and its secret.
pub struct Terminal {
    pub id: String,
    pub secret: Vec<u8>,
}

/// Registers a terminal named `name` in `store`.
pub fn terminal_in(s: &TestServer, name: &str, store: &str, seed: u64) -> Terminal {
    let t = till_server::admin::add_terminal(&*s.repo, name, &*s.clock, &SeededEntropy::new(seed)).unwrap();
    till_server::merchants::set_terminal_store(&*s.repo, &t.terminal_id, store).unwrap();
    Terminal { id: t.terminal_id, secret: hex::decode(t.secret).unwrap() }
}

/// A signed request of terminal `t`.
pub fn signed(s: &TestServer, t: &Terminal, method: &str, path: &str, body: &[u8], idem: Option<&str>) -> Answer {
    let now = till_core::Clock::now_unix(&*s.clock);
    let headers =
        till_server::signing::signed_headers(&t.id, &t.secret, method, path, now, &s.next_nonce(), body).to_vec();
    s.raw(method, path, body, idem, &headers)
}

/// Terminal `t` records a cash sale `order` of `minor` CNY with a line code from `n`.
pub fn sell(s: &TestServer, t: &Terminal, order: &str, n: u64, minor: i64) {
    let body = json!({
        "order_id": order, "store": "Shop", "created_at": NOW - 60, "currency": "CNY", "customer_id": format!("cust-{order}"),
        "lines": [{"line_code": super::line_code(n), "sku": "SKU-1", "name": "Thing", "quantity": 1,
                   "unit_price": {"minor": minor, "currency": "CNY"}, "total": {"minor": minor, "currency": "CNY"},
                   "seller": "seller-a", "devices": []}],
        "payments": [{"tender": "cash", "amount": {"minor": minor, "currency": "CNY"}}]
    });
    let a = signed(s, t, "POST", "/v1/sales", body.to_string().as_bytes(), Some(&format!("sale-{order}")));
    assert!(a.status < 300, "sale {order}: {}", a.text);
}

/// An answer of the console.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The value of the first `csrf` hidden field.
    pub fn csrf(&self) -> String {
        let at =
            self.body.find("name=\"csrf\" value=\"").expect("a form with a token") + "name=\"csrf\" value=\"".len();
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

/// A browser-like HTTP client of the console: keeps cookies, follows no redirect.
pub struct Web {
    base: String,
    agent: ureq::Agent,
    pub cookies: RefCell<BTreeMap<String, String>>,
}

impl Web {
    pub fn new(s: &TestServer) -> Web {
        Web {
            base: s.server.url(),
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: RefCell::new(BTreeMap::new()),
        }
    }

    fn finish(&self, resp: Result<ureq::Response, ureq::Error>) -> Page {
        let resp = match resp {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let set_cookies: Vec<String> = resp.all("set-cookie").into_iter().map(str::to_string).collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.borrow_mut().remove(k);
            } else {
                self.cookies.borrow_mut().insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status(),
            location: resp.header("location").map(str::to_string),
            set_cookies,
            body: resp.into_string().unwrap_or_default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn get(&self, path: &str) -> Page {
        let req = self.agent.get(&format!("{}{path}", self.base)).set("cookie", &self.cookie_header());
        self.finish(req.call())
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.post_raw(path, body.as_bytes())
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> Page {
        let req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("cookie", &self.cookie_header())
            .set("content-type", "application/x-www-form-urlencoded");
        self.finish(req.send_bytes(body))
    }

    /// Opens the sign-in page and posts `user` and `password` with its token.
    pub fn sign_in(&self, user: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in");
        assert_eq!(form.status, 200, "{}", form.body);
        self.post("/console/sign-in", &[("username", user), ("password", password), ("csrf", &form.csrf())])
    }
}

/// Whether terminal `id` is disabled.
pub fn disabled(s: &TestServer, id: &str) -> bool {
    s.repo.read().unwrap().terminal(id).unwrap().unwrap().disabled
}

/// The audit entries of `merchant`, newest first, as `action subject`.
pub fn audit(s: &TestServer, merchant: &str) -> Vec<String> {
    s.repo
        .read()
        .unwrap()
        .console_audit(merchant, 100)
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.entry.action, a.entry.subject))
        .collect()
}

/// JSON of an answer, for messages.
pub fn json_of(a: &Answer) -> &Value {
    &a.body
}

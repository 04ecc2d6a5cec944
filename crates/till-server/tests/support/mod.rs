//! A real till-server on 127.0.0.1 with a real SQLite file (or a real PostgreSQL database:
//! [`TestServer::start_postgres`]), and a signing HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

pub mod console;

use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use till_core::ManualClock;
use till_server::clock::SeededEntropy;
use till_server::config::Config;
use till_server::repo::postgres::scratch::ScratchDatabase;
use till_server::repo::postgres::PostgresRepository;
use till_server::repo::sqlite::SqliteRepository;
use till_server::repo::{Repository, StorageOptions};
use till_server::server::Background;
use till_server::state::AppState;

/// 2026-11-18 12:26:40 UTC.
pub const NOW: i64 = 1_795_000_000;

thread_local! {
    /// The device identifier key of the server this test thread started last: a till holds the
    /// same key (fetched wrapped), so the bodies built here blind and seal as a till does.
    static DEVICE_KEY: std::cell::RefCell<Option<till_core::DeviceIdentifierKey>> = const { std::cell::RefCell::new(None) };
}

/// The blind of a device identifier (normalised first) under the current server's key.
pub fn blind(identifier: &str) -> String {
    let id = till_core::DeviceIdentifier::parse(identifier).unwrap();
    DEVICE_KEY.with(|k| k.borrow().as_ref().expect("start a TestServer first").blind(id.as_str()))
}

/// A sold device as a till sends it: kind, blind and sealed identifier, never the identifier.
pub fn device_json(identifier: &str, software: Option<&str>) -> Value {
    let id = till_core::DeviceIdentifier::parse(identifier).unwrap();
    let mut rng = rand::rngs::OsRng;
    DEVICE_KEY.with(|k| {
        let k = k.borrow();
        let k = k.as_ref().expect("start a TestServer first");
        let mut v = serde_json::json!({"kind": id.kind().as_str(), "blind": k.blind(id.as_str()), "sealed": k.seal(id.as_str(), &mut rng).unwrap()});
        if let Some(s) = software {
            v["software"] = Value::String(s.to_string());
        }
        v
    })
}

/// Where a [`TestServer`] keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's directory.
    Sqlite,
    /// A database of its own on the PostgreSQL server named by `TILL_TEST_POSTGRES`.
    Postgres,
}

/// One `#[test]` per backend for each named function of a [`Backend`]: `sqlite::NAME` and
/// `postgres::NAME`, as the repository's suite does (`cargo test postgres::` runs one half).
/// Name here only what depends on the storage: a test of the command line or of the server's
/// log gains nothing from a second run.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Postgres) } )*
        }
    };
}

pub struct TestServer {
    pub server: Background,
    pub clock: Arc<ManualClock>,
    pub repo: Arc<dyn Repository>,
    pub terminal_id: String,
    pub secret: Vec<u8>,
    pub dir: tempfile::TempDir,
    nonce: AtomicU64,
    agent: ureq::Agent,
    /// The PostgreSQL database, dropped after the server (fields drop in order).
    pub scratch: Option<ScratchDatabase>,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub replayed: bool,
    /// `X-Till-Response-Signature`, when the answer carries one.
    pub signature: Option<String>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(Config::default())
    }

    pub fn start_with(config: Config) -> TestServer {
        Self::start_on_with(Backend::Sqlite, config)
    }

    /// The same server on a fresh PostgreSQL database (`TILL_TEST_POSTGRES`; without it the
    /// test fails, saying how to run it).
    pub fn start_postgres() -> TestServer {
        Self::start_on(Backend::Postgres)
    }

    /// A server on a fresh database of `backend`.
    pub fn start_on(backend: Backend) -> TestServer {
        Self::start_on_with(backend, Config::default())
    }

    /// A server on a fresh database of `backend`, with `config`.
    pub fn start_on_with(backend: Backend, config: Config) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let repo = Arc::new(SqliteRepository::open(&dir.path().join("server.db")).unwrap());
                Self::serve(repo, dir, None, config)
            }
            Backend::Postgres => {
                let scratch = ScratchDatabase::from_env().unwrap_or_else(|e| panic!("{e}"));
                let options =
                    StorageOptions { key_file: Some(dir.path().join("server.key")), ..StorageOptions::default() };
                let repo = Arc::new(PostgresRepository::open(&scratch.url, &options).unwrap());
                Self::serve(repo, dir, Some(scratch), config)
            }
        }
    }

    fn serve(
        repo: Arc<dyn Repository>,
        dir: tempfile::TempDir,
        scratch: Option<ScratchDatabase>,
        config: Config,
    ) -> TestServer {
        let clock = Arc::new(ManualClock::at_unix(NOW));
        let entropy = Arc::new(SeededEntropy::new(7));
        let t = till_server::admin::add_terminal(&*repo, "counter 1", &*clock, &*entropy).unwrap();
        let key = repo.read().unwrap().device_identifier_key().unwrap();
        DEVICE_KEY.with(|k| *k.borrow_mut() = Some(key));
        let state = AppState::new(repo.clone(), clock.clone(), entropy, config);
        let server = Background::start(state, None).unwrap();
        TestServer {
            server,
            clock,
            repo,
            terminal_id: t.terminal_id,
            secret: hex::decode(t.secret).unwrap(),
            dir,
            nonce: AtomicU64::new(1),
            agent: ureq::AgentBuilder::new().build(),
            scratch,
        }
    }

    /// The command line's arguments naming this server's database (`--db FILE`, or
    /// `--database URL --key-file FILE`), for `till-server` subcommands run beside it.
    pub fn database_args(&self) -> Vec<String> {
        match &self.scratch {
            None => vec!["--db".into(), self.dir.path().join("server.db").display().to_string()],
            Some(db) => vec![
                "--database".into(),
                db.url.clone(),
                "--key-file".into(),
                self.dir.path().join("server.key").display().to_string(),
            ],
        }
    }

    pub fn next_nonce(&self) -> String {
        format!("{:032x}", self.nonce.fetch_add(1, Ordering::SeqCst))
    }

    /// Sends a request with explicit signing inputs, so tests can break any of them.
    pub fn raw(&self, method: &str, path: &str, body: &[u8], idem: Option<&str>, headers: &[(&str, String)]) -> Answer {
        let url = format!("{}{}", self.server.url(), path);
        let mut req = self.agent.request(method, &url).set("content-type", "application/json");
        for (k, v) in headers {
            req = req.set(k, v);
        }
        if let Some(k) = idem {
            req = req.set("idempotency-key", k);
        }
        let resp = if method == "GET" { req.call() } else { req.send_bytes(body) };
        let resp = match resp {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let replayed = resp.header("idempotent-replayed") == Some("true");
        let signature = resp.header("x-till-response-signature").map(str::to_string);
        let text = resp.into_string().unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, text, replayed, signature }
    }

    pub fn sign_headers(
        &self,
        method: &str,
        path: &str,
        ts: i64,
        nonce: &str,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        till_server::signing::signed_headers(&self.terminal_id, &self.secret, method, path, ts, nonce, body).to_vec()
    }

    pub fn send(&self, method: &str, path: &str, body: &[u8], idem: Option<&str>) -> Answer {
        let h = self.sign_headers(method, path, till_core::Clock::now_unix(&*self.clock), &self.next_nonce(), body);
        self.raw(method, path, body, idem, &h)
    }

    pub fn post(&self, path: &str, body: &Value, idem: &str) -> Answer {
        self.send("POST", path, body.to_string().as_bytes(), Some(idem))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, b"", None)
    }

    /// Authorises `payment_id` for `minor` CNY at the sandbox with a `platform_gcm` block of
    /// `pan` (expiry 12/28), the payment id as key: the platform's record a card refund needs.
    pub fn authorise(&self, payment_id: &str, minor: i64, pan: &str) -> Answer {
        let key: [u8; 32] = hex::decode(Config::default().sandbox.platform_key).unwrap().try_into().unwrap();
        let data = till_server::payments::card::seal_platform_gcm(&key, payment_id, [3; 12], pan, "2812");
        let body = serde_json::json!({"payment_id": payment_id, "order_id": format!("cart-{payment_id}"),
            "amount": {"minor": minor, "currency": "CNY"}, "card": {"scheme": "platform_gcm", "data": data}});
        self.post("/v1/payments/authorize", &body, payment_id)
    }

    /// [`sale`] whose card payment the platform approved first, under payment id
    /// `pay-<order>`, and which names that payment id and the approval code.
    pub fn authorised_sale(&self, order: &str, code: &str, imei: Option<&str>) -> Value {
        let id = format!("pay-{order}");
        let a = self.authorise(&id, 199_900, "4111111111111111");
        assert_eq!(a.body["status"], "approved", "{}", a.text);
        let mut v = sale(order, code, imei);
        v["payments"][0]["auth_code"] = a.body["auth_code"].clone();
        v["payments"][0]["payment_id"] = Value::String(id);
        v
    }
}

/// A valid line code derived from a number (check symbol computed by till-core).
pub fn line_code(n: u64) -> String {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(n);
    till_core::LineCode::generate(&mut rng).as_str().to_string()
}

pub fn sale(order: &str, code: &str, imei: Option<&str>) -> Value {
    let devices = match imei {
        Some(i) => serde_json::json!([device_json(i, Some("v1.2"))]),
        None => serde_json::json!([]),
    };
    serde_json::json!({
        "order_id": order,
        "store": "Shop 1",
        "created_at": NOW - 60,
        "currency": "CNY",
        "customer_id": "cust-1",
        "lines": [
            {"line_code": code, "sku": "PH-1", "name": "Phone", "quantity": 1,
             "unit_price": {"minor": 199900, "currency": "CNY"}, "total": {"minor": 199900, "currency": "CNY"},
             "seller": "seller-a", "devices": devices}
        ],
        "payments": [
            {"tender": "card", "amount": {"minor": 199900, "currency": "CNY"}, "masked_pan": "411111******1111", "auth_code": "123456"}
        ]
    })
}

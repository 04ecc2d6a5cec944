//! Real parts for the sync tests: a till-server on 127.0.0.1 with its own SQLite file, the
//! app's SQLite file with queued events, a fault-injecting proxy between them, and ledgers of
//! both sides to compare.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

pub mod proxy;

use rand::SeedableRng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use till_client::Secret;
use till_core::SystemClock;
use till_server::clock::OsEntropy;
use till_server::config::Config;
use till_server::repo::sqlite::SqliteRepository;
use till_server::repo::Repository;
use till_server::server::Background;
use till_server::state::AppState;
use till_store::Store;
use till_sync::{BackoffPolicy, SyncConfig};

/// A real server on a loopback port, its database in `dir`.
pub struct Server {
    pub server: Background,
    pub repo: Arc<dyn Repository>,
    pub db: PathBuf,
    pub terminal_id: String,
    pub secret_hex: String,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let s = till_server::local::LocalServer::start(&dir.path().join("server.db"), Config::default(), None).unwrap();
        Server {
            server: s.background,
            repo: s.repo,
            db: s.db,
            terminal_id: s.terminal_id,
            secret_hex: s.secret,
            _dir: dir,
        }
    }

    /// A second server that knows the same terminal (same id and secret), for the services a
    /// merchant runs elsewhere.
    pub fn start_for(other: &Server) -> Server {
        use till_server::repo::{Repository, TerminalRecord};
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let repo = Arc::new(SqliteRepository::open(&db).unwrap());
        let record = TerminalRecord {
            id: other.terminal_id.clone(),
            name: "till 1".into(),
            secret_hex: other.secret_hex.clone(),
            created_at: 0,
            disabled: false,
        };
        let mut tx = repo.begin().unwrap();
        tx.insert_terminal(&record).unwrap();
        tx.commit().unwrap();
        let state = AppState::new(repo.clone(), Arc::new(SystemClock), Arc::new(OsEntropy), Config::default());
        let server = Background::start(state, None).unwrap();
        let (terminal_id, secret_hex) = (other.terminal_id.clone(), other.secret_hex.clone());
        Server { server, repo, db, terminal_id, secret_hex, _dir: dir }
    }

    /// How many card authorisations this server recorded.
    pub fn authorizations(&self) -> i64 {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        c.query_row("SELECT count(*) FROM authorizations", [], |r| r.get(0)).unwrap()
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A fast-retrying configuration for `url` (the server itself or a proxy in front of it).
    pub fn config(&self, url: &str) -> SyncConfig {
        let mut c = SyncConfig::new(url, &self.terminal_id, Secret::from_hex(&self.secret_hex).unwrap());
        c.store_name = "Shop 1".into();
        c.request_timeout = Duration::from_millis(800);
        c.connect_timeout = Duration::from_millis(500);
        c.lease = Duration::from_secs(5);
        c.backoff = BackoffPolicy { base: Duration::from_millis(5), cap: Duration::from_millis(100) };
        c.idle_poll = Duration::from_millis(20);
        c
    }

    /// A points account as enrolment makes it, straight in the server's database: (id, key).
    pub fn points_account(&self, n: u8) -> ([u8; 16], [u8; 32]) {
        let (id, key) = ([n; 16], [n.wrapping_add(100); 32]);
        let mut tx = self.repo.begin().unwrap();
        tx.insert_points_account(&till_server::repo::PointsAccount {
            account_id: hex::encode(id),
            key_hex: hex::encode(key),
            last_counter: 0,
            balance: 0,
            customer_ref: None,
            created_at: now_ms() / 1000,
        })
        .unwrap();
        tx.commit().unwrap();
        (id, key)
    }

    /// What the server holds, read straight from its SQLite file.
    pub fn ledger(&self) -> Ledger {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        let mut l = Ledger::default();
        let mut s = c.prepare("SELECT order_id, total_minor FROM orders").unwrap();
        for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (k, v) = r.unwrap();
            l.sales.insert(k, v);
        }
        let mut s = c.prepare("SELECT refund_id, amount_minor FROM refunds").unwrap();
        for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (k, v) = r.unwrap();
            l.refunds.insert(k, v);
        }
        let mut s = c.prepare("SELECT line_code, refunded_minor FROM order_lines WHERE refunded_minor > 0").unwrap();
        for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (k, v) = r.unwrap();
            l.refunded_by_line.insert(k, v);
        }
        let mut s = c.prepare("SELECT customer_ref, count(*) FROM points_accounts WHERE customer_ref IS NOT NULL GROUP BY customer_ref").unwrap();
        for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (k, v) = r.unwrap();
            l.enrolments.insert(k, v);
        }
        let mut s = c.prepare("SELECT account_id, balance FROM points_accounts WHERE balance <> 0").unwrap();
        for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (k, v) = r.unwrap();
            l.balances.insert(k, v);
        }
        l.points_entries = c.query_row("SELECT count(*) FROM points_entries", [], |r| r.get(0)).unwrap();
        let mut s = c.prepare("SELECT idem_key FROM idempotency").unwrap();
        for r in s.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            l.keys.insert(r.unwrap());
        }
        l
    }
}

/// Effects, comparable between the app's queue and the server's tables.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// order id -> total
    pub sales: BTreeMap<String, i64>,
    /// refund id -> amount
    pub refunds: BTreeMap<String, i64>,
    /// line code -> amount refunded
    pub refunded_by_line: BTreeMap<String, i64>,
    /// customer ref -> accounts enrolled
    pub enrolments: BTreeMap<String, i64>,
    /// points account -> balance (non-zero ones)
    pub balances: BTreeMap<String, i64>,
    /// points changes applied
    pub points_entries: i64,
    /// idempotency keys applied
    pub keys: BTreeSet<String>,
}

/// The app's database with helpers to queue events as the app does.
pub struct App {
    pub store: Arc<Store>,
    pub dir: tempfile::TempDir,
    pub expected: Ledger,
    pub seq: u64,
    pub lines: Vec<(String, i64, i64)>, // line code, total, refunded so far
    pub rng: rand::rngs::StdRng,
}

pub fn line_code(rng: &mut rand::rngs::StdRng) -> String {
    till_core::LineCode::generate(rng).as_str().to_string()
}

impl App {
    pub fn new(seed: u64) -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("till.db")).unwrap());
        App::with_store(store, dir, seed)
    }

    pub fn with_store(store: Arc<Store>, dir: tempfile::TempDir, seed: u64) -> App {
        App {
            store,
            dir,
            expected: Ledger::default(),
            seq: 0,
            lines: Vec::new(),
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("evt-{:08}", self.seq)
    }

    /// A `sale.recorded` event shaped as till-store's checkout writes it.
    pub fn sale_payload(&mut self, n: u64) -> (Value, String, i64) {
        use rand::Rng;
        let code = line_code(&mut self.rng);
        let qty: i64 = self.rng.gen_range(1..4);
        let unit: i64 = self.rng.gen_range(100..5000);
        let gross = qty * unit;
        let order_no = format!("{n:08}");
        let p = json!({
            "order_id": n, "order_no": order_no, "checkout_key": format!("cart-{n}"), "created_at_ms": 1_795_000_000_000i64,
            "cashier_id": 1, "currency": "CNY", "subtotal": gross, "tax": 0, "total": gross,
            "lines": [{"line_code": code, "sku": "SKU-1", "quantity": qty, "unit_price": unit, "tax_rate_bp": 0,
                       "net": gross, "tax": 0, "gross": gross}],
            "payment": {"tender": "cash", "amount": gross, "tendered": gross, "change": 0}
        });
        (p, code, gross)
    }

    /// Queues `count` events: mostly sales, refunds of earlier sales' lines, points enrolments.
    pub fn queue_mixed(&mut self, count: usize, now_ms: i64) {
        use rand::Rng;
        let mut batch = Vec::with_capacity(count);
        for _ in 0..count {
            let id = self.next_id();
            let roll: u32 = self.rng.gen_range(0..10);
            if roll < 2 && !self.lines.is_empty() {
                let i = self.rng.gen_range(0..self.lines.len());
                let (code, total, refunded) = self.lines[i].clone();
                let left = total - refunded;
                if left > 0 {
                    let amount = self.rng.gen_range(1..=left.min(500));
                    self.lines[i].2 += amount;
                    let refund_id = format!("r-{id}");
                    let body = json!({"refund_id": refund_id, "line_code": code, "amount": {"minor": amount, "currency": "CNY"},
                                      "tender": "original", "reason": "defect"});
                    self.expected.refunds.insert(refund_id, amount);
                    *self.expected.refunded_by_line.entry(code).or_default() += amount;
                    self.expected.keys.insert(id.clone());
                    batch.push((id, "refund.requested", "refund".to_string(), body));
                    continue;
                }
            }
            if roll == 9 {
                let customer = format!("cust-{id}");
                *self.expected.enrolments.entry(customer.clone()).or_default() += 1;
                self.expected.keys.insert(id.clone());
                batch.push((id, "points.enrolled", format!("customer/{customer}"), json!({"customer_ref": customer})));
                continue;
            }
            let n = self.seq;
            let (p, code, gross) = self.sale_payload(n);
            self.lines.push((code, gross, 0));
            self.expected.sales.insert(format!("{n:08}"), gross);
            self.expected.keys.insert(id.clone());
            batch.push((id, "sale.recorded", format!("order/{n}"), p));
        }
        self.store
            .write(|tx| {
                for (id, kind, subject, body) in &batch {
                    till_store::outbox::enqueue(tx, id, kind, subject, body, now_ms)?;
                }
                Ok(())
            })
            .unwrap();
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

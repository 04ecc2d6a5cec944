//! Load generator: how many points updates per second a till-server sustains on loopback.
//!
//! ```text
//! cargo run --release -p till-server --example points_load [-- SECONDS_PER_RUN]
//! ```
//!
//! Starts a real server (SQLite file in a temporary directory, WAL, `synchronous=FULL`, the
//! system clock) on 127.0.0.1, enrols accounts, then drives signed `POST /v1/points/updates`
//! requests from several client threads, each with keep-alive connections and its own accounts
//! (so tokens' counters increase per account as a phone's would). Every request is a full
//! update: signature check, nonce, idempotency claim, token MAC and counter, balance change,
//! history entry and stored response, committed with one fsync. Prints a Markdown table.
#![allow(missing_docs)]

use serde_json::json;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use till_core::{Clock, SystemClock};
use till_server::clock::OsEntropy;
use till_server::config::Config;
use till_server::points::{base32_decode, make_token};
use till_server::repo::sqlite::SqliteRepository;
use till_server::server::Background;
use till_server::state::AppState;

struct Client {
    base: String,
    terminal: String,
    secret: Vec<u8>,
    agent: ureq::Agent,
    nonce: Arc<AtomicU64>,
}

impl Client {
    fn post(&self, path: &str, body: &str, key: &str) -> (u16, String) {
        let nonce = format!("{:032x}", self.nonce.fetch_add(1, Ordering::Relaxed));
        let headers = till_server::signing::signed_headers(
            &self.terminal,
            &self.secret,
            "POST",
            path,
            SystemClock.now_unix(),
            &nonce,
            body.as_bytes(),
        );
        let mut req = self.agent.post(&format!("{}{}", self.base, path)).set("idempotency-key", key);
        for (k, v) in &headers {
            req = req.set(k, v);
        }
        match req.send_string(body) {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        }
    }
}

struct Account {
    id: [u8; 16],
    key: Vec<u8>,
    counter: u32,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn Error>> {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let repo = Arc::new(SqliteRepository::open(&dir.path().join("load.db"))?);
    let t = till_server::admin::add_terminal(&*repo, "load", &SystemClock, &OsEntropy)?;
    let state = AppState::new(repo, Arc::new(SystemClock), Arc::new(OsEntropy), Config::default());
    let server = Background::start(state, None)?;
    let nonce = Arc::new(AtomicU64::new(1));
    let secret = hex::decode(&t.secret)?;
    let client = || Client {
        base: server.url(),
        terminal: t.terminal_id.clone(),
        secret: secret.clone(),
        agent: ureq::AgentBuilder::new().max_idle_connections_per_host(4).build(),
        nonce: nonce.clone(),
    };
    let setup = client();
    let event = AtomicU64::new(1);
    let enrol = || -> Result<Account, Box<dyn Error>> {
        let key = format!("enrol-{}", event.fetch_add(1, Ordering::Relaxed));
        let (status, body) = setup.post("/v1/points/enrol", "{}", &key);
        if status != 201 {
            return Err(format!("enrolment answered {status}: {body}").into());
        }
        let v: serde_json::Value = serde_json::from_str(&body)?;
        let message = v["enrolment_message"].as_str().ok_or("the enrolment has no message")?;
        // TILL-ENROL 1 <account-id hex> <base32 key> <server-id>
        let (id, key) = match message.split(' ').collect::<Vec<_>>()[..] {
            [_, _, id, key, ..] => (id, key),
            _ => return Err(format!("unexpected enrolment message {message:?}").into()),
        };
        Ok(Account {
            id: hex::decode(id)?.try_into().map_err(|_| "the account id is not 16 bytes")?,
            key: base32_decode(key).ok_or("the account key is not base32")?,
            counter: 0,
        })
    };

    println!("| clients | mode | updates | seconds | updates/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    for (clients, batch) in [(1usize, 1usize), (4, 1), (16, 1), (4, 100)] {
        let mut per_thread: Vec<Vec<Account>> =
            (0..clients).map(|_| (0..4).map(|_| enrol()).collect::<Result<Vec<_>, _>>()).collect::<Result<_, _>>()?;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let next_event = Arc::new(AtomicU64::new(1_000_000 * (clients as u64 + batch as u64)));
        let results: Vec<(u64, u64, Vec<Duration>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = per_thread
                .iter_mut()
                .map(|accounts| {
                    let c = client();
                    let next_event = next_event.clone();
                    scope.spawn(move || {
                        let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
                        let mut i = 0usize;
                        while Instant::now() < deadline {
                            let mut events = Vec::with_capacity(batch);
                            for _ in 0..batch {
                                let n = accounts.len();
                                let a = &mut accounts[i % n];
                                i += 1;
                                a.counter += 1;
                                let token = hex::encode(make_token(&a.key, &a.id, a.counter, SystemClock.now_unix() as u64));
                                let key = format!("ev-{}", next_event.fetch_add(1, Ordering::Relaxed));
                                events.push((key, json!({"token": token, "kind": "earn", "points": 10, "order_id": "o"})));
                            }
                            let t0 = Instant::now();
                            if batch == 1 {
                                let (key, body) = &events[0];
                                let (status, _) = c.post("/v1/points/updates", &body.to_string(), key);
                                if status == 200 { ok += 1 } else { errors += 1 }
                            } else {
                                let body = json!({"events": events.iter().map(|(k, b)| json!({"idempotency_key": k, "kind": "points_update", "body": b})).collect::<Vec<_>>()});
                                let (status, text) = c.post("/v1/sync/batch", &body.to_string(), "batch");
                                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                                let good = v["results"].as_array().map_or(0, |r| r.iter().filter(|x| x["status"] == 200).count());
                                if status == 200 {
                                    ok += good as u64;
                                    errors += (batch - good) as u64;
                                } else {
                                    errors += batch as u64;
                                }
                            }
                            latencies.push(t0.elapsed());
                        }
                        (ok, errors, latencies)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().map_err(|_| "a client thread panicked")).collect::<Result<_, _>>()
        })?;
        let elapsed = started.elapsed().as_secs_f64();
        let ok: u64 = results.iter().map(|r| r.0).sum();
        let errors: u64 = results.iter().map(|r| r.1).sum();
        let mut lat: Vec<Duration> = results.into_iter().flat_map(|r| r.2).collect();
        lat.sort();
        let mode = if batch == 1 { "one update per request".to_string() } else { format!("batches of {batch}") };
        println!(
            "| {clients} | {mode} | {ok} | {elapsed:.1} | {:.0} | {:.2} | {:.2} | {errors} |",
            ok as f64 / elapsed,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
    }
    Ok(())
}

//! Load generator: how many points updates per second a till-server sustains on loopback, and
//! the same figures for a baseline server binary measured in the same run.
//!
//! ```text
//! cargo run --release -p till-server --example points_load [-- SECONDS_PER_RUN]
//! points_load --server NEW_BIN [--baseline OLD_BIN] [--seconds N] [--rounds N]
//! ```
//!
//! Without `--server` it starts a server in this process (SQLite file in a temporary directory,
//! WAL, `synchronous=FULL`, the system clock). With `--server` (and `--baseline`) it starts each
//! binary as a child process (`terminals add`, then `serve` on 127.0.0.1 with a fresh database in
//! a temporary directory), so two builds of the server can be compared under the same client;
//! the rows alternate between the servers, and every row is measured `--rounds` times.
//!
//! Each client thread has keep-alive connections and its own accounts (so tokens' counters
//! increase per account as a phone's would). Every request is a full update: signature check,
//! nonce, idempotency claim, token MAC and counter, balance change, history entry and stored
//! response, committed with one fsync. The last row measures lookups of points accounts while as
//! many other clients send updates: what a read costs while the writer is busy. Prints a
//! Markdown table.
#![allow(missing_docs)]

use serde_json::json;
use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
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

type Result<T> = std::result::Result<T, Box<dyn Error>>;

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

impl Client {
    fn get(&self, path: &str) -> u16 {
        let nonce = format!("{:032x}", self.nonce.fetch_add(1, Ordering::Relaxed));
        let headers = till_server::signing::signed_headers(
            &self.terminal,
            &self.secret,
            "GET",
            path,
            SystemClock.now_unix(),
            &nonce,
            b"",
        );
        let mut req = self.agent.get(&format!("{}{}", self.base, path));
        for (k, v) in &headers {
            req = req.set(k, v);
        }
        match req.call() {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(s, _)) => s,
            Err(_) => 0,
        }
    }
}

struct Account {
    id: [u8; 16],
    key: Vec<u8>,
    counter: u32,
}

/// A server under test: where it listens and the terminal to sign as.
struct Target {
    name: String,
    url: String,
    terminal: String,
    secret: Vec<u8>,
    nonce: Arc<AtomicU64>,
    /// The server's process id when it runs as a child (its CPU time is then measured).
    pid: Option<u32>,
    _running: Running,
}

/// CPU time (user + system) of process `pid` so far, in seconds, from /proc (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; clock ticks
    // of USER_HZ, which is 100 on Linux.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

enum Running {
    InProcess(#[allow(dead_code)] Background),
    Child(Child),
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Running::Child(child) = self {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn in_process(dir: &std::path::Path) -> Result<Target> {
    let repo = Arc::new(SqliteRepository::open(&dir.join("load.db"))?);
    let t = till_server::admin::add_terminal(&*repo, "load", &SystemClock, &OsEntropy)?;
    let state = AppState::new(repo, Arc::new(SystemClock), Arc::new(OsEntropy), Config::default());
    let server = Background::start(state, None)?;
    Ok(Target {
        name: "this build".into(),
        url: server.url(),
        terminal: t.terminal_id,
        secret: hex::decode(&t.secret)?,
        nonce: Arc::new(AtomicU64::new(1)),
        pid: None,
        _running: Running::InProcess(server),
    })
}

/// Starts `bin serve` on a fresh database in `dir` and reads the address it prints.
fn child(name: &str, bin: &str, dir: &std::path::Path) -> Result<Target> {
    std::fs::create_dir_all(dir)?;
    let db = dir.join("load.db");
    let db = db.to_str().ok_or("temporary path is not UTF-8")?;
    let out = Command::new(bin).args(["terminals", "add", "--db", db, "--name", "load"]).output()?;
    if !out.status.success() {
        return Err(format!("{bin} terminals add: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut server = Command::new(bin)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = server.stderr.take().ok_or("no stderr")?;
    let pid = server.id();
    let running = Running::Child(server);
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().ok_or("the server printed nothing")??;
    let url = first.rsplit(' ').next().ok_or("no address in the server's first line")?.to_string();
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok(Target {
        name: name.into(),
        url,
        terminal: creds["terminal_id"].as_str().ok_or("no terminal_id")?.into(),
        secret: hex::decode(creds["secret"].as_str().ok_or("no secret")?)?,
        nonce: Arc::new(AtomicU64::new(1)),
        pid: Some(pid),
        _running: running,
    })
}

impl Target {
    fn client(&self) -> Client {
        Client {
            base: self.url.clone(),
            terminal: self.terminal.clone(),
            secret: self.secret.clone(),
            agent: ureq::AgentBuilder::new().max_idle_connections_per_host(4).build(),
            nonce: self.nonce.clone(),
        }
    }

    fn enrol(&self, client: &Client, n: u64) -> Result<Account> {
        let (status, body) = client.post("/v1/points/enrol", "{}", &format!("enrol-{n}"));
        if status != 201 {
            return Err(format!("{}: enrolment answered {status}: {body}", self.name).into());
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
    }
}

/// One measurement: updates per second, p50 and p99 latency (ms), errors.
struct Figures {
    per_second: f64,
    p50: f64,
    p99: f64,
    updates: u64,
    errors: u64,
    /// The server's CPU time per counted operation, microseconds (child servers only).
    cpu_us: Option<f64>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// What one client thread counted: successes, errors, latencies.
type Counts = (u64, u64, Vec<Duration>);

/// Sends updates (one per request, or batches of `batch`) until `deadline`.
fn updater(c: &Client, accounts: &mut [Account], batch: usize, deadline: Instant, next: &AtomicU64) -> Counts {
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
            let key = format!("ev-{}", next.fetch_add(1, Ordering::Relaxed));
            events.push((key, json!({"token": token, "kind": "earn", "points": 10, "order_id": "o"})));
        }
        let t0 = Instant::now();
        if batch == 1 {
            let (key, body) = &events[0];
            let (status, _) = c.post("/v1/points/updates", &body.to_string(), key);
            if status == 200 {
                ok += 1
            } else {
                errors += 1
            }
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
}

/// Looks accounts up (`GET /v1/points/accounts/{id}`) until `deadline`.
fn reader(c: &Client, accounts: &[String], deadline: Instant) -> Counts {
    let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
    let mut i = 0usize;
    while Instant::now() < deadline {
        let path = format!("/v1/points/accounts/{}", accounts[i % accounts.len()]);
        i += 1;
        let t0 = Instant::now();
        if c.get(&path) == 200 {
            ok += 1
        } else {
            errors += 1
        }
        latencies.push(t0.elapsed());
    }
    (ok, errors, latencies)
}

/// A row of the table: `clients` threads sending updates in batches of `batch`; or, with
/// `lookups`, `clients` threads looking accounts up beside `clients` threads sending updates
/// (the figures are then the lookups').
#[derive(Clone, Copy)]
struct Row {
    clients: usize,
    batch: usize,
    lookups: bool,
}

fn measure(target: &Target, row: Row, seconds: u64, next: &AtomicU64) -> Result<Figures> {
    let setup = target.client();
    let mut per_thread: Vec<Vec<Account>> = (0..row.clients)
        .map(|_| (0..4).map(|_| target.enrol(&setup, next.fetch_add(1, Ordering::Relaxed))).collect())
        .collect::<Result<_>>()?;
    let ids: Vec<String> = per_thread.iter().flatten().map(|a| hex::encode(a.id)).collect();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cpu_before = target.pid.and_then(cpu_seconds);
    let started = Instant::now();
    let results: Vec<Counts> = std::thread::scope(|scope| {
        let updaters: Vec<_> = per_thread
            .iter_mut()
            .map(|accounts| {
                let c = target.client();
                scope.spawn(move || updater(&c, accounts, row.batch, deadline, next))
            })
            .collect();
        let readers: Vec<_> = (0..if row.lookups { row.clients } else { 0 })
            .map(|_| {
                let c = target.client();
                let ids = &ids;
                scope.spawn(move || reader(&c, ids, deadline))
            })
            .collect();
        let counted = if row.lookups { readers } else { updaters };
        counted
            .into_iter()
            .map(|h| h.join().map_err(|_| "a client thread panicked"))
            .collect::<std::result::Result<_, _>>()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = target.pid.and_then(cpu_seconds).zip(cpu_before).map(|(after, before)| after - before);
    let updates: u64 = results.iter().map(|r| r.0).sum();
    let errors: u64 = results.iter().map(|r| r.1).sum();
    let mut lat: Vec<Duration> = results.into_iter().flat_map(|r| r.2).collect();
    lat.sort();
    Ok(Figures {
        per_second: updates as f64 / elapsed,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
        updates,
        errors,
        // With lookups beside updates the server's time goes to both; per lookup it means little.
        cpu_us: cpu.filter(|_| !row.lookups && updates > 0).map(|c| c * 1e6 / updates as f64),
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    // The first plain number is the seconds per run, as before the flags existed.
    let seconds: u64 = flag("--seconds")
        .or_else(|| args.first().filter(|a| a.parse::<u64>().is_ok()).cloned())
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rounds: usize = flag("--rounds").and_then(|s| s.parse().ok()).unwrap_or(1);
    let dir = tempfile::tempdir()?;
    let mut targets = Vec::new();
    if let Some(bin) = flag("--baseline") {
        targets.push(child("baseline", &bin, &dir.path().join("baseline"))?);
    }
    match flag("--server") {
        Some(bin) => targets.push(child("this build", &bin, &dir.path().join("server"))?),
        None => targets.push(in_process(dir.path())?),
    }
    let next = AtomicU64::new(1);
    let rows = [
        Row { clients: 1, batch: 1, lookups: false },
        Row { clients: 4, batch: 1, lookups: false },
        Row { clients: 16, batch: 1, lookups: false },
        Row { clients: 4, batch: 100, lookups: false },
        Row { clients: 4, batch: 1, lookups: true },
    ];
    // figures[row][target] over the rounds
    let mut figures: Vec<Vec<Vec<Figures>>> =
        rows.iter().map(|_| targets.iter().map(|_| Vec::new()).collect()).collect();
    for _ in 0..rounds {
        for (r, &row) in rows.iter().enumerate() {
            // Alternate the servers row by row, so the machine's mood is shared between them.
            for (t, target) in targets.iter().enumerate() {
                figures[r][t].push(measure(target, row, seconds, &next)?);
            }
        }
    }
    println!(
        "| clients | mode | server | per second (median) | range over {rounds} round(s) | p50 ms | p99 ms | \
         server CPU µs per update (median) | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (r, row) in rows.iter().enumerate() {
        let clients = row.clients;
        let mode = match (row.lookups, row.batch) {
            (true, _) => format!("account lookups, beside {clients} clients updating"),
            (false, 1) => "one update per request".to_string(),
            (false, batch) => format!("batches of {batch}"),
        };
        for (t, target) in targets.iter().enumerate() {
            let runs = &mut figures[r][t];
            let mut cpu: Vec<f64> = runs.iter().filter_map(|f| f.cpu_us).collect();
            cpu.sort_by(f64::total_cmp);
            let cpu = cpu.get(cpu.len() / 2).map_or("–".to_string(), |c| format!("{c:.0}"));
            runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
            let median = &runs[runs.len() / 2];
            let (low, high) = (runs[0].per_second, runs[runs.len() - 1].per_second);
            let errors: u64 = runs.iter().map(|f| f.errors).sum();
            let updates: u64 = runs.iter().map(|f| f.updates).sum();
            println!(
                "| {clients} | {mode} | {} | {:.0} | {low:.0}–{high:.0} | {:.2} | {:.2} | {cpu} | {errors} of {} |",
                target.name,
                median.per_second,
                median.p50,
                median.p99,
                updates + errors
            );
        }
    }
    Ok(())
}

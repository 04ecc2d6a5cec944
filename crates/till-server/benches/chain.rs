//! Events per second delivered to a chain's servers: one till-server process and two sharing one
//! database, on SQLite and on PostgreSQL, side by side in one run. Figures are printed, never
//! asserted (docs/performance.md records them with the machine and the date).
//!
//! ```text
//! cargo bench -p till-server --bench chain -- --tills 20 --events 200 [--postgres URL]
//! ```
//!
//! PostgreSQL is measured when `--postgres` or `TILL_TEST_POSTGRES` names a server (each
//! configuration gets a database of its own there); run under `pg_virtualenv` for a throwaway
//! cluster. Each configuration is a fresh chain (the tills and servers of the load test,
//! `tests/chain/`) measured twice:
//!
//! - backlog: every till sells `events / 2` steps with its sync worker stopped (as during an
//!   outage), then all workers start at once; events delivered / time until every outbox is
//!   empty. The workers send in batches, so this is the servers' best case.
//! - live: every till sells `events / 2` more steps with its worker running; events delivered /
//!   time from the first sale until every outbox is empty. The tills' own work (a checkout is
//!   an fsync'd transaction on the till's file, a card sale a round trip to the platform) is in
//!   the figure: it is what a chain of tills on one machine can push.
//!
//! Points are left out of the mix: a checkout with points waits up to 3 s for the points
//! server's answer, which would measure the wait rather than the servers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/chain/mod.rs"]
mod chain;

use chain::servers::Backend;
use chain::till::Workload;
use chain::Chain;
use std::time::{Duration, Instant};

const MIX: Workload = Workload { card: true, points: false, refunds: true };

struct Args {
    tills: usize,
    events: usize,
    postgres: Option<String>,
}

fn args() -> Args {
    let mut a = Args { tills: 20, events: 200, postgres: std::env::var("TILL_TEST_POSTGRES").ok() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        // `cargo bench` adds `--bench`; anything else unknown is ignored too.
        match arg.as_str() {
            "--tills" => a.tills = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.tills),
            "--events" => a.events = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.events),
            "--postgres" => a.postgres = it.next(),
            _ => {}
        }
    }
    a
}

struct Figures {
    backlog_events: i64,
    backlog: Duration,
    live_events: i64,
    live: Duration,
}

fn per_second(events: i64, d: Duration) -> f64 {
    events as f64 / d.as_secs_f64().max(1e-9)
}

fn measure(backend: Backend, dir: &std::path::Path, servers: usize, a: &Args) -> Result<Figures, String> {
    let mut chain = Chain::start(dir, backend, servers, a.tills)?;
    let half = a.events / 2;
    // Backlog: sold with the workers stopped, then delivered all at once.
    chain.run(half, MIX, None)?;
    let before = chain.delivered()?;
    let start = Instant::now();
    chain.start_sync()?;
    chain.wait_delivered(Duration::from_secs(600))?;
    let backlog = start.elapsed();
    let backlog_events = chain.delivered()? - before;
    // Live: selling and delivering at once.
    let before = chain.delivered()?;
    let start = Instant::now();
    chain.run(half, MIX, None)?;
    chain.wait_delivered(Duration::from_secs(600))?;
    let live = start.elapsed();
    let live_events = chain.delivered()? - before;
    let (differences, _) = chain.compare()?;
    if !differences.is_empty() {
        return Err(format!("the ledgers differ:\n{}", differences.join("\n")));
    }
    Ok(Figures { backlog_events, backlog, live_events, live })
}

/// A database to measure on.
enum Db {
    Sqlite,
    /// A PostgreSQL server's URL; each chain gets a scratch database of its own there.
    Postgres(String),
}

impl Db {
    fn name(&self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// The backend for a fresh chain in `dir`, and what must live as long as it does.
    fn backend(&self, dir: &std::path::Path) -> Result<(Backend, Box<dyn std::any::Any>), String> {
        match self {
            Db::Sqlite => Ok((Backend::Sqlite(dir.join("server.db")), Box::new(()))),
            Db::Postgres(url) => chain::servers::fresh_postgres(url),
        }
    }
}

fn main() {
    let a = args();
    let mut dbs = vec![Db::Sqlite];
    match a.postgres.clone() {
        Some(url) => dbs.push(Db::Postgres(url)),
        None => eprintln!("PostgreSQL not measured: set TILL_TEST_POSTGRES or pass --postgres URL"),
    }
    println!(
        "chain: {} tills, {} steps each (cash and card sales, refunds), {} cores",
        a.tills,
        a.events,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| database | servers | backlog events | backlog events/s | live events | live events/s |");
    println!("|---|---|---|---|---|---|");
    for db in &dbs {
        for servers in [1, 2] {
            let name = db.name();
            let dir = tempfile::tempdir().expect("a temporary folder");
            let outcome = db.backend(dir.path()).and_then(|(b, _keep)| measure(b, dir.path(), servers, &a));
            match outcome {
                Ok(f) => println!(
                    "| {name} | {servers} | {} | {:.0} | {} | {:.0} |",
                    f.backlog_events,
                    per_second(f.backlog_events, f.backlog),
                    f.live_events,
                    per_second(f.live_events, f.live)
                ),
                Err(e) => println!("| {name} | {servers} | failed: {e} | | | |"),
            }
        }
    }
}

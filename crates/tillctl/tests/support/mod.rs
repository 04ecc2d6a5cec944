//! What the command-line tests share: the `tillctl` binary, and a real till-server on
//! 127.0.0.1 with one registered terminal whose secret is in a file, as an installer has it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test uses a part; a test fails by panicking

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use till_server::config::Config;
use till_server::server::Background;

/// The `tillctl` binary of this build.
pub fn tillctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tillctl"))
}

/// A till-server running in the background, its database, and the terminal it knows.
pub struct TestServer {
    /// The running server (stops when dropped).
    pub server: Background,
    /// Its SQLite file.
    pub db: PathBuf,
    /// The registered terminal's id.
    pub terminal_id: String,
    /// A file holding the terminal's secret, as `tillctl sync run --secret-file` reads it.
    pub secret_file: PathBuf,
}

/// Starts a server with its database in `dir` and registers one terminal.
pub fn start_server(dir: &Path) -> TestServer {
    let db = dir.join("server.db");
    let t = till_server::local::LocalServer::start(&db, Config::default(), None).unwrap();
    let server = t.background;
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{}\n", t.secret)).unwrap();
    TestServer { server, db, terminal_id: t.terminal_id, secret_file }
}

/// The (text, number) rows of `sql` as a map.
pub fn map(c: &rusqlite::Connection, sql: &str) -> BTreeMap<String, i64> {
    c.prepare(sql).unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
}

/// The first column of `sql`'s rows, as a set of texts.
pub fn set(c: &rusqlite::Connection, sql: &str) -> BTreeSet<String> {
    c.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
}

/// The single number `sql` answers.
pub fn one(c: &rusqlite::Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

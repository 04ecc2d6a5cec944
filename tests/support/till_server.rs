//! A real till-server on 127.0.0.1 for the end-to-end tests, with this till registered, and the
//! environment that points the app at it.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A till-server on its own SQLite file, with one terminal registered.
pub struct TestServer {
    _server: till_server::server::Background,
    /// The repository, for the seller's decisions and other server-side steps.
    pub repo: std::sync::Arc<till_server::repo::sqlite::SqliteRepository>,
    /// The server's database file.
    pub db: PathBuf,
    /// The server's base URL.
    pub url: String,
    /// `TILL_SYNC_*` for the app.
    pub env: Vec<(&'static str, String)>,
}

impl TestServer {
    /// Starts a server in `dir`.
    pub fn start(dir: &Path) -> TestServer {
        let s = till_server::local::LocalServer::start(&dir.join("server.db"), Default::default(), None).unwrap();
        let env = vec![
            ("TILL_SYNC_URL", s.url.clone()),
            ("TILL_SYNC_TERMINAL_ID", s.terminal_id.clone()),
            ("TILL_SYNC_SECRET", s.secret.clone()),
        ];
        TestServer { _server: s.background, repo: s.repo, db: s.db, url: s.url, env }
    }

    /// Rows of `sql` (three text columns) on the server's database.
    pub fn rows(&self, sql: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let c = Connection::open(&self.db).unwrap();
        let mut s = c.prepare(sql).unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect()
    }

    /// Waits until `sql` (one integer column) answers at least `n`.
    pub fn wait_count(&self, sql: &str, n: i64) {
        let start = Instant::now();
        loop {
            let got: i64 = Connection::open(&self.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap();
            if got >= n {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{sql}: {got}, expected {n}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

//! A real till-server on 127.0.0.1 for the end-to-end tests, with this till registered, the
//! environment that points the app at it, and the app started on it with the cashier signed in.

use super::driver::Driver;
use super::webdriver::Session;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A till-server on its own SQLite file, with one terminal registered.
pub struct TestServer {
    _server: till_server::server::Background,
    /// The repository, for the seller's decisions and other server-side steps.
    pub repo: std::sync::Arc<dyn till_server::repo::Repository>,
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

    /// Waits until the server holds at least `n` sales.
    pub fn wait_orders(&self, n: i64) {
        self.wait_count("SELECT count(*) FROM orders", n);
    }

    /// Waits until the server holds at least `n` refunds.
    pub fn wait_refunds(&self, n: i64) {
        self.wait_count("SELECT count(*) FROM refunds", n);
    }

    /// The seller's decision on the server's refund of `amount_minor` (what `till-server refunds
    /// confirm` / `reject` do).
    pub fn seller_decides(&self, amount_minor: i64, confirm: bool, seller: &str) {
        let id = self
            .rows(&format!("SELECT refund_id, NULL, NULL FROM refunds WHERE amount_minor = {amount_minor}"))
            .remove(0)
            .0;
        till_server::routes::refunds::decide(&*self.repo, &id, confirm, seller, 0).unwrap();
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

/// The app in demo mode pointed at `srv`, with its data directory under `dir`, in English, the
/// cashier (Chen Jing, 1111) signed in; answers the data directory.
pub fn cashier(dir: &Path, srv: &TestServer) -> (PathBuf, Driver, Session) {
    let data = dir.join("till");
    std::fs::create_dir_all(&data).unwrap();
    let mut env = vec![("TILL_DEMO", "1".to_string())];
    env.extend(srv.env.iter().cloned());
    let (driver, base) = super::driver::start(&data, &env, &[]);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user");
    s.execute("if (localStorage.getItem('till.locale') !== 'en') { localStorage.setItem('till.locale', 'en'); location.reload(); }");
    std::thread::sleep(Duration::from_millis(300));
    s.login_as("1", "1111");
    s.wait_for("#scan-input");
    (data, driver, s)
}

//! A real till-server on 127.0.0.1 for the till's integration tests, and a till pointed at it.
#![allow(dead_code)] // each test file uses part of it

use std::sync::Arc;
use std::time::{Duration, Instant};
use till_pos::Pos;

/// A till-server with one terminal registered, on its own SQLite file.
pub struct Server {
    _bg: till_server::server::Background,
    pub url: String,
    pub repo: Arc<dyn till_server::repo::Repository>,
    pub db: std::path::PathBuf,
    pub terminal_id: String,
    pub secret: String,
    _dir: tempfile::TempDir,
}

/// Starts a till-server with the default configuration.
pub fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let s = till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), None).unwrap();
    Server {
        url: s.url,
        _bg: s.background,
        repo: s.repo,
        db: s.db,
        terminal_id: s.terminal_id,
        secret: s.secret,
        _dir: dir,
    }
}

impl Server {
    /// The blind of a device identifier under this server's key: what its tables hold.
    pub fn blind(&self, identifier: &str) -> String {
        till_server::local::device_blind(&*self.repo, identifier).unwrap()
    }
}

/// Points the till at the server and starts its sync worker.
pub fn online(p: &Pos, srv: &Server) {
    p.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap();
    p.sync_start().unwrap();
}

/// Waits until the till's outbox has nothing pending.
pub fn drained(p: &Pos) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        p.sync_nudge();
        let s = p.sync_status_now().unwrap();
        if s.pending == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "sync did not drain: {s:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

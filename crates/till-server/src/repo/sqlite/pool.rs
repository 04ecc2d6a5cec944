//! A small fixed pool of read-only SQLite connections.
//!
//! In WAL mode a reader sees the last committed state and neither waits for the writer nor makes
//! it wait, so lookups and the signing check's terminal lookup run beside a write transaction
//! instead of queueing behind it. The pool is fixed in size (a handful of connections is plenty:
//! a read is a few index lookups) and a request that finds every connection busy waits for one.

use crate::error::RepoError;
use rusqlite::Connection;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};

/// Connections that only read.
#[derive(Debug)]
pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl ReadPool {
    /// A pool of `connections` made by `open` (each then set read-only).
    pub fn new(connections: usize, open: impl Fn() -> Result<Connection, RepoError>) -> Result<ReadPool, RepoError> {
        let mut idle = Vec::with_capacity(connections);
        for _ in 0..connections.max(1) {
            let conn = open()?;
            // A bug that writes through a reader fails loudly instead of bypassing the writer lock.
            conn.pragma_update(None, "query_only", "ON")?;
            idle.push(conn);
        }
        Ok(ReadPool { idle: Mutex::new(idle), returned: Condvar::new() })
    }

    /// A connection, waiting for one when all are in use.
    pub fn get(&self) -> Pooled<'_> {
        // A poisoned lock only means a thread panicked while taking or returning a connection;
        // the Vec itself is intact.
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return Pooled { pool: self, conn: Some(conn) };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A connection taken from the pool; dropping it gives it back.
#[derive(Debug)]
pub struct Pooled<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            self.pool.returned.notify_one();
        }
    }
}

//! The statements of the request guards (schema version 11): nonces and wrong enrolment codes.

use crate::args;
use crate::repo::sql::SqlConnExt;
use crate::repo::sql_tx::SqlTx;
use crate::repo::{RepoResult, RequestGuardsTx};

/// Version 11: nonces of signed requests (until they expire) and the window of wrong enrolment
/// codes, in the database so that every server process sharing it sees them.
pub(in crate::repo) const MIGRATION_11: &str = "
CREATE TABLE request_nonces (
    terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, nonce));
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);
CREATE TABLE enrolment_failures (
    scope TEXT PRIMARY KEY, window_start BIGINT NOT NULL, failures BIGINT NOT NULL);
";

/// The one row of `enrolment_failures` (the listener does not tell who asks, so the count is
/// the server's; the key leaves room for a finer scope).
const SCOPE: &str = "server";

impl RequestGuardsTx for SqlTx<'_> {
    fn claim_nonce(&mut self, terminal: &str, nonce: &str, expires_at: i64, now: i64) -> RepoResult<bool> {
        // Inserted, or an expired row taken over: one row changed. A live row: none. In
        // PostgreSQL a concurrent claim of the same nonce waits on the unique key for the first
        // to commit, then finds its live row.
        let changed = self.sql().execute(
            "INSERT INTO request_nonces (terminal_id, nonce, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (terminal_id, nonce) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE request_nonces.expires_at < ?4",
            args![terminal, nonce, expires_at, now],
        )?;
        Ok(changed == 1)
    }

    fn purge_nonces(&mut self, now: i64) -> RepoResult<usize> {
        Ok(self.sql().execute("DELETE FROM request_nonces WHERE expires_at < ?1", args![now])? as usize)
    }

    fn enrolment_failures(&mut self, now: i64, window: i64) -> RepoResult<Option<(i64, i64)>> {
        let row = self.sql().query_opt(
            "SELECT window_start, failures FROM enrolment_failures WHERE scope = ?1",
            args![SCOPE],
            |r| Ok((r.int(0)?, r.int(1)?)),
        )?;
        Ok(row.filter(|(start, _)| open_at(*start, now, window)))
    }

    fn record_enrolment_failure(&mut self, now: i64, window: i64) -> RepoResult<()> {
        // Both SET expressions read the row as it was, in SQLite and in PostgreSQL.
        self.sql().execute(
            "INSERT INTO enrolment_failures (scope, window_start, failures) VALUES (?1, ?2, 1) \
             ON CONFLICT (scope) DO UPDATE SET \
             failures = CASE WHEN enrolment_failures.window_start <= ?2 \
                 AND ?2 < enrolment_failures.window_start + ?3 THEN enrolment_failures.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN enrolment_failures.window_start <= ?2 \
                 AND ?2 < enrolment_failures.window_start + ?3 THEN enrolment_failures.window_start ELSE ?2 END",
            args![SCOPE, now, window],
        )?;
        Ok(())
    }
}

/// Whether the window starting at `start` holds `now`.
fn open_at(start: i64, now: i64, window: i64) -> bool {
    start <= now && now < start.saturating_add(window)
}

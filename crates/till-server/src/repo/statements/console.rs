//! The statements behind the HQ console's accounts, sessions and audit (schema version 14).

use super::super::sql::{Row, SqlConn, SqlConnExt};
use super::super::{
    AdminRecord, AuditRecord, ConsoleSessionRecord, CurrencyTotal, CustomerRow, NewAuditEntry, PointsAccountRow,
    RepoResult, SaleRow, SalesFilter, TerminalRow,
};
use super::console_views as views;
use crate::args;

/// Version 14: admin accounts, their sessions, the audit of their actions.
pub(in crate::repo) const MIGRATION_14: &str = "
CREATE TABLE console_admins (
    username TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, password_hash TEXT NOT NULL,
    failed_count BIGINT NOT NULL DEFAULT 0, locked_until BIGINT, disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL);
CREATE TABLE console_sessions (
    id_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES console_admins (username),
    csrf_token TEXT NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
CREATE INDEX console_sessions_admin ON console_sessions (username);
CREATE TABLE console_audit (
    seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, admin TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, detail TEXT NOT NULL);
";

const ADMIN_COLUMNS: &str = "username, merchant_id, password_hash, failed_count, locked_until, disabled, created_at";

fn admin_row(r: &Row) -> RepoResult<AdminRecord> {
    Ok(AdminRecord {
        username: r.text(0)?,
        merchant_id: r.text(1)?,
        password_hash: r.text(2)?,
        failed_count: r.int(3)?,
        locked_until: r.opt_int(4)?,
        disabled: r.flag(5)?,
        created_at: r.int(6)?,
    })
}

/// Stores a new account.
pub(super) fn insert_admin(conn: &mut dyn SqlConn, a: &AdminRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO console_admins (username, merchant_id, password_hash, failed_count, locked_until, disabled, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![a.username, a.merchant_id, a.password_hash, a.failed_count, a.locked_until, a.disabled, a.created_at],
    )?;
    Ok(())
}

/// An account by name.
pub(super) fn admin(conn: &mut dyn SqlConn, username: &str) -> RepoResult<Option<AdminRecord>> {
    conn.query_opt(
        &format!("SELECT {ADMIN_COLUMNS} FROM console_admins WHERE username = ?1"),
        args![username],
        admin_row,
    )
}

/// Every account.
pub(super) fn admins(conn: &mut dyn SqlConn) -> RepoResult<Vec<AdminRecord>> {
    conn.query_map(&format!("SELECT {ADMIN_COLUMNS} FROM console_admins ORDER BY username"), args![], admin_row)
}

/// Disables or re-enables an account.
pub(super) fn set_disabled(conn: &mut dyn SqlConn, username: &str, disabled: bool) -> RepoResult<bool> {
    Ok(conn.execute("UPDATE console_admins SET disabled = ?2 WHERE username = ?1", args![username, disabled])? == 1)
}

/// Sets the wrong-password count and lockout.
pub(super) fn set_failures(
    conn: &mut dyn SqlConn,
    username: &str,
    failed_count: i64,
    locked_until: Option<i64>,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE console_admins SET failed_count = ?2, locked_until = ?3 WHERE username = ?1",
        args![username, failed_count, locked_until],
    )?;
    Ok(())
}

/// Stores a new session.
pub(super) fn insert_session(conn: &mut dyn SqlConn, s: &ConsoleSessionRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO console_sessions (id_sha256, username, csrf_token, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![s.id_sha256, s.username, s.csrf_token, s.expires_at, s.created_at],
    )?;
    Ok(())
}

/// A session by its id's hash.
pub(super) fn session(conn: &mut dyn SqlConn, id_sha256: &str) -> RepoResult<Option<ConsoleSessionRecord>> {
    conn.query_opt(
        "SELECT id_sha256, username, csrf_token, expires_at, created_at FROM console_sessions WHERE id_sha256 = ?1",
        args![id_sha256],
        |r| {
            Ok(ConsoleSessionRecord {
                id_sha256: r.text(0)?,
                username: r.text(1)?,
                csrf_token: r.text(2)?,
                expires_at: r.int(3)?,
                created_at: r.int(4)?,
            })
        },
    )
}

/// Moves a session's expiry.
pub(super) fn touch_session(conn: &mut dyn SqlConn, id_sha256: &str, expires_at: i64) -> RepoResult<()> {
    conn.execute("UPDATE console_sessions SET expires_at = ?2 WHERE id_sha256 = ?1", args![id_sha256, expires_at])?;
    Ok(())
}

/// Ends a session.
pub(super) fn delete_session(conn: &mut dyn SqlConn, id_sha256: &str) -> RepoResult<()> {
    conn.execute("DELETE FROM console_sessions WHERE id_sha256 = ?1", args![id_sha256])?;
    Ok(())
}

/// Ends every session of an admin.
pub(super) fn delete_admin_sessions(conn: &mut dyn SqlConn, username: &str) -> RepoResult<usize> {
    Ok(conn.execute("DELETE FROM console_sessions WHERE username = ?1", args![username])? as usize)
}

/// Deletes expired sessions.
pub(super) fn purge_sessions(conn: &mut dyn SqlConn, now: i64) -> RepoResult<usize> {
    Ok(conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?1", args![now])? as usize)
}

/// Appends an audit entry at the next position. Inside the write transaction the read and the
/// insert cannot interleave with another writer's on SQLite; on PostgreSQL a concurrent
/// append makes one of the two fail on the primary key rather than share a position.
pub(super) fn append_audit(conn: &mut dyn SqlConn, e: &NewAuditEntry) -> RepoResult<i64> {
    let seq =
        conn.query_int("SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM console_audit", args![])?.unwrap_or(1);
    conn.execute(
        "INSERT INTO console_audit (seq, at, admin, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![seq, e.at, e.admin, e.action, e.subject, e.detail],
    )?;
    Ok(seq)
}

/// The latest audit entries of a merchant's admins.
pub(super) fn audit(conn: &mut dyn SqlConn, merchant_id: &str, limit: i64) -> RepoResult<Vec<AuditRecord>> {
    conn.query_map(
        "SELECT a.seq, a.at, a.admin, a.action, a.subject, a.detail FROM console_audit a \
         JOIN console_admins d ON d.username = a.admin WHERE d.merchant_id = ?1 ORDER BY a.seq DESC LIMIT ?2",
        args![merchant_id, limit],
        |r| {
            Ok(AuditRecord {
                seq: r.int(0)?,
                entry: NewAuditEntry {
                    at: r.int(1)?,
                    admin: r.text(2)?,
                    action: r.text(3)?,
                    subject: r.text(4)?,
                    detail: r.text(5)?,
                },
            })
        },
    )
}

impl super::super::ConsoleTx for super::super::sql_tx::SqlTx<'_> {
    fn insert_admin(&mut self, a: &AdminRecord) -> RepoResult<()> {
        insert_admin(self.sql(), a)
    }
    fn admin(&mut self, username: &str) -> RepoResult<Option<AdminRecord>> {
        admin(self.sql(), username)
    }
    fn admins(&mut self) -> RepoResult<Vec<AdminRecord>> {
        admins(self.sql())
    }
    fn set_admin_disabled(&mut self, username: &str, disabled: bool) -> RepoResult<bool> {
        set_disabled(self.sql(), username, disabled)
    }
    fn set_admin_failures(&mut self, username: &str, failed_count: i64, locked_until: Option<i64>) -> RepoResult<()> {
        set_failures(self.sql(), username, failed_count, locked_until)
    }
    fn insert_console_session(&mut self, s: &ConsoleSessionRecord) -> RepoResult<()> {
        insert_session(self.sql(), s)
    }
    fn console_session(&mut self, id_sha256: &str) -> RepoResult<Option<ConsoleSessionRecord>> {
        session(self.sql(), id_sha256)
    }
    fn touch_console_session(&mut self, id_sha256: &str, expires_at: i64) -> RepoResult<()> {
        touch_session(self.sql(), id_sha256, expires_at)
    }
    fn delete_console_session(&mut self, id_sha256: &str) -> RepoResult<()> {
        delete_session(self.sql(), id_sha256)
    }
    fn delete_admin_sessions(&mut self, username: &str) -> RepoResult<usize> {
        delete_admin_sessions(self.sql(), username)
    }
    fn purge_console_sessions(&mut self, now: i64) -> RepoResult<usize> {
        purge_sessions(self.sql(), now)
    }
    fn append_console_audit(&mut self, e: &NewAuditEntry) -> RepoResult<i64> {
        append_audit(self.sql(), e)
    }
    fn console_audit(&mut self, merchant_id: &str, limit: i64) -> RepoResult<Vec<AuditRecord>> {
        audit(self.sql(), merchant_id, limit)
    }
    fn console_sales(&mut self, f: &SalesFilter) -> RepoResult<Vec<SaleRow>> {
        views::sales(self.sql(), f)
    }
    fn console_sales_totals(&mut self, f: &SalesFilter) -> RepoResult<Vec<CurrencyTotal>> {
        views::sales_totals(self.sql(), f)
    }
    fn console_stores(&mut self, merchant_id: &str) -> RepoResult<Vec<String>> {
        views::stores(self.sql(), merchant_id)
    }
    fn console_terminals(&mut self, merchant_id: &str) -> RepoResult<Vec<TerminalRow>> {
        views::terminals(self.sql(), merchant_id)
    }
    fn console_store_merchant(&mut self, store: &str) -> RepoResult<String> {
        views::store_merchant_of(self.sql(), store)
    }
    fn console_terminal_merchant(&mut self, terminal: &str) -> RepoResult<Option<String>> {
        views::terminal_merchant_of(self.sql(), terminal)
    }
    fn console_customers(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<CustomerRow>> {
        views::customers(self.sql(), merchant_id, search, limit, offset)
    }
    fn console_customer(&mut self, merchant_id: &str, customer_id: &str) -> RepoResult<Option<CustomerRow>> {
        views::customer(self.sql(), merchant_id, customer_id)
    }
    fn console_points_accounts(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<PointsAccountRow>> {
        views::points_accounts(self.sql(), merchant_id, search, limit, offset)
    }
    fn console_points_account(&mut self, merchant_id: &str, account_id: &str) -> RepoResult<Option<PointsAccountRow>> {
        views::points_account(self.sql(), merchant_id, account_id)
    }
}

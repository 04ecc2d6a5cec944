//! The console's audit: every action an admin takes is appended to `console_audit` in the same
//! transaction as the change itself, so there is no change without its entry.

use super::auth::SignedIn;
use crate::repo::{NewAuditEntry, RepoResult, Tx};

/// Appends `action` on `subject` by `admin` (with `detail`, e.g. old and new values) to the
/// audit inside `tx`, at the time the request started; the entry's position.
pub fn record(tx: &mut dyn Tx, admin: &SignedIn, action: &str, subject: &str, detail: &str) -> RepoResult<i64> {
    record_as(tx, &admin.username, admin.now, action, subject, detail)
}

/// [`record`] for an actor that is not a signed-in browser (the command line, sign-in itself).
pub fn record_as(tx: &mut dyn Tx, admin: &str, at: i64, action: &str, subject: &str, detail: &str) -> RepoResult<i64> {
    tx.append_console_audit(&NewAuditEntry {
        at,
        admin: admin.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
    })
}

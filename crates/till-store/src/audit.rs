//! The audit log: an append-only list of who did what, where each entry holds the hash of the
//! one before it. Changing or deleting any entry breaks the chain from there on, and
//! [`Store::verify_audit`] says where.

use crate::{Result, Store};
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Whether every entry's hash matches its content and its predecessor.
    pub ok: bool,
    /// Entries checked.
    pub entries: i64,
    /// The first entry that does not match, if any.
    pub first_bad_id: Option<i64>,
}

pub(crate) fn entry_hash(prev: &str, id: i64, at_ms: i64, actor: Option<i64>, action: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    // Length-prefix each field so no two different entries serialise the same.
    for field in
        [prev.to_string(), id.to_string(), at_ms.to_string(), format!("{actor:?}"), action.into(), detail.into()]
    {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an entry inside an open (IMMEDIATE) transaction, which holds the write lock, so
/// no other writer can slip an entry in between reading the last hash and inserting.
pub fn append(
    tx: &Transaction<'_>,
    at_ms: i64,
    actor: Option<i64>,
    action: &str,
    detail: &serde_json::Value,
) -> Result<i64> {
    let (last_id, prev): (i64, String) = tx
        .query_row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let id = last_id + 1;
    let detail = detail.to_string();
    let hash = entry_hash(&prev, id, at_ms, actor, action, &detail);
    tx.prepare_cached(
        "INSERT INTO audit_log (id, at_ms, actor_id, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, at_ms, actor, action, detail, prev, hash])?;
    Ok(id)
}

impl Store {
    /// Appends one audit entry in its own transaction.
    pub fn audit(&self, at_ms: i64, actor: Option<i64>, action: &str, detail: &serde_json::Value) -> Result<i64> {
        self.write(|tx| append(tx, at_ms, actor, action, detail))
    }

    /// Walks the whole chain and reports the first entry that does not match.
    pub fn verify_audit(&self) -> Result<AuditReport> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT id, at_ms, actor_id, action, detail, prev_hash, hash FROM audit_log ORDER BY id")?;
            let mut rows = stmt.query([])?;
            let mut prev = GENESIS.to_string();
            let mut entries = 0;
            while let Some(r) = rows.next()? {
                entries += 1;
                let (id, at, actor, action, detail, stored_prev, hash): (
                    i64,
                    i64,
                    Option<i64>,
                    String,
                    String,
                    String,
                    String,
                ) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
                if stored_prev != prev || entry_hash(&prev, id, at, actor, &action, &detail) != hash {
                    return Ok(AuditReport { ok: false, entries, first_bad_id: Some(id) });
                }
                prev = hash;
            }
            Ok(AuditReport { ok: true, entries, first_bad_id: None })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tampered_entry_breaks_the_chain_there() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        for i in 0..5 {
            s.audit(i, Some(1), "test.action", &json!({ "n": i })).unwrap();
        }
        assert_eq!(s.verify_audit().unwrap(), AuditReport { ok: true, entries: 5, first_bad_id: None });
        s.write(|tx| Ok(tx.execute("UPDATE audit_log SET detail = '{\"n\":99}' WHERE id = 3", [])?)).unwrap();
        let r = s.verify_audit().unwrap();
        assert_eq!((r.ok, r.first_bad_id), (false, Some(3)));
    }

    #[test]
    fn a_deleted_entry_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        for i in 0..4 {
            s.audit(i, None, "a", &json!(i)).unwrap();
        }
        s.write(|tx| Ok(tx.execute("DELETE FROM audit_log WHERE id = 2", [])?)).unwrap();
        assert_eq!(s.verify_audit().unwrap().first_bad_id, Some(3));
    }
}

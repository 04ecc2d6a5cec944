//! The audit log as the manager reads it: newest first, each entry marked whether its hash
//! still matches, and the whole chain's verdict.

use crate::audit::{entry_hash, GENESIS};
use crate::{Result, Store};
use rusqlite::params;
use serde::Serialize;
use ts_rs::TS;

/// Entries a page holds at most.
pub const MAX_AUDIT_PAGE: u32 = 500;

/// One audit entry.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    /// Entry id (its place in the chain).
    #[ts(type = "number")]
    pub id: i64,
    /// When, ms since the epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// Who (user name), if a user did it.
    pub actor: Option<String>,
    /// What, e.g. `sale.recorded`.
    pub action: String,
    /// Details as stored (JSON text).
    pub detail: String,
    /// Whether this entry's hash matches its content and links to the entry before it.
    pub chain_ok: bool,
}

/// One page of the audit log.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
    /// Whether the whole chain verifies.
    pub chain_ok: bool,
    /// The first entry that does not, if any.
    #[ts(type = "number | null")]
    pub first_break_id: Option<i64>,
    /// Entries in the log.
    #[ts(type = "number")]
    pub total: i64,
    /// Pass as `before_id` for the next (older) page; `None` at the oldest.
    #[ts(type = "number | null")]
    pub next_before_id: Option<i64>,
}

impl Store {
    /// A page of the audit log, newest first, older than `before_id` (keyset by id).
    pub fn audit_page(&self, before_id: Option<i64>, limit: u32) -> Result<AuditPage> {
        let limit = limit.clamp(1, MAX_AUDIT_PAGE) as usize;
        // The whole chain's verdict comes from the one verifier, so the page and `db check`
        // can never disagree.
        let report = self.verify_audit()?;
        self.read(|c| {
            let total: i64 = c.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
            // One row more than the page: it tells whether there is an older page, and its hash
            // is what the page's oldest entry must link to.
            let mut stmt = c.prepare(
                "SELECT a.id, a.at_ms, a.actor_id, u.name, a.action, a.detail, a.prev_hash, a.hash
                 FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
                 WHERE a.id < ?1 ORDER BY a.id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![before_id.unwrap_or(i64::MAX), limit as i64 + 1], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let has_more = rows.len() > limit;
            let mut entries = Vec::with_capacity(limit);
            for (i, (id, at_ms, actor_id, actor, action, detail, prev, hash)) in rows.iter().enumerate().take(limit) {
                let own = entry_hash(prev, *id, *at_ms, *actor_id, action, detail) == *hash;
                let link = match rows.get(i + 1) {
                    Some(older) => older.7 == *prev,
                    None => prev == GENESIS,
                };
                entries.push(AuditEntryView {
                    id: *id,
                    at_ms: *at_ms,
                    actor: actor.clone(),
                    action: action.clone(),
                    detail: detail.clone(),
                    chain_ok: own && link,
                });
            }
            let next_before_id = if has_more { entries.last().map(|e| e.id) } else { None };
            Ok(AuditPage { entries, chain_ok: report.ok, first_break_id: report.first_bad_id, total, next_before_id })
        })
    }
}

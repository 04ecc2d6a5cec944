//! The sync status line, always visible: online or offline, how many events wait, how old the
//! oldest is, the last error; and the guard that refuses logging out or wiping data while
//! events have not reached the server.

use crate::error::SyncError;
use serde::{Deserialize, Serialize};
use till_store::Store;

/// Settings key where the worker keeps its last view of the server, so that another process
/// (`tillctl sync status`) can show it.
pub const LIVE_SETTING: &str = "sync.live";

/// What the worker saw of the server, kept in memory and mirrored to [`LIVE_SETTING`] when it
/// changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    /// `Some(true)` when the last exchange got an HTTP answer, `Some(false)` when it got none
    /// (refused, reset, timed out), `None` before the first exchange.
    pub online: Option<bool>,
    /// The last error, cleared by a round in which every event was delivered.
    pub last_error: Option<String>,
    /// When an event was last delivered.
    pub last_success_at_ms: Option<i64>,
    /// When the last exchange with the server ended.
    pub last_attempt_at_ms: Option<i64>,
}

/// The status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Whether the server answered the last exchange (`None`: no exchange yet).
    pub online: Option<bool>,
    /// Events not yet delivered (waiting or being sent).
    pub pending: i64,
    /// Of those, being sent right now.
    pub sending: i64,
    /// Events the server refused for good, waiting for a manager.
    pub parked: i64,
    /// Events delivered.
    pub done: i64,
    /// Age of the oldest pending event.
    pub oldest_pending_age_ms: Option<i64>,
    /// The last error the worker saw, else the last error stored with a pending event.
    pub last_error: Option<String>,
    /// When an event was last delivered.
    pub last_success_at_ms: Option<i64>,
    /// When the last exchange with the server ended.
    pub last_attempt_at_ms: Option<i64>,
}

impl SyncStatus {
    /// One line for people: `online, 3 pending (oldest 12 s), 1 parked, last error: ...`.
    pub fn summary(&self) -> String {
        let mut s = match self.online {
            Some(true) => "online".to_string(),
            Some(false) => "offline".to_string(),
            None => "not yet connected".to_string(),
        };
        s.push_str(&format!(", {} pending", self.pending));
        if let Some(age) = self.oldest_pending_age_ms {
            s.push_str(&format!(" (oldest {} s)", age / 1000));
        }
        s.push_str(&format!(", {} parked, {} delivered", self.parked, self.done));
        if let Some(e) = &self.last_error {
            s.push_str(&format!(", last error: {e}"));
        }
        s
    }
}

/// The worker's last view as mirrored in the database (for a process that runs no worker).
pub fn persisted_live(store: &Store) -> Result<Option<LiveStatus>, SyncError> {
    Ok(store.setting(LIVE_SETTING)?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// The status at `now_ms`, from the database's counts and `live` (the running worker's view;
/// `None` reads the persisted one).
pub fn read_status(store: &Store, now_ms: i64, live: Option<&LiveStatus>) -> Result<SyncStatus, SyncError> {
    let counts = store.outbox_counts()?;
    let persisted;
    let live = match live {
        Some(l) => Some(l),
        None => {
            persisted = persisted_live(store)?;
            persisted.as_ref()
        }
    };
    let live = live.cloned().unwrap_or_default();
    Ok(SyncStatus {
        online: live.online,
        pending: counts.pending,
        sending: counts.sending,
        parked: counts.parked,
        done: counts.done,
        oldest_pending_age_ms: counts.oldest_pending_created_at_ms.map(|t| now_ms.saturating_sub(t).max(0)),
        last_error: live.last_error.or(counts.last_error),
        last_success_at_ms: live.last_success_at_ms,
        last_attempt_at_ms: live.last_attempt_at_ms,
    })
}

/// Refuses (with [`SyncError::EventsPending`]) when any event is pending or parked: call it
/// before logging the last user out or wiping the till's data.
pub fn ensure_nothing_pending(store: &Store) -> Result<(), SyncError> {
    let c = store.outbox_counts()?;
    if c.pending > 0 || c.parked > 0 {
        return Err(SyncError::EventsPending { pending: c.pending, parked: c.parked });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_from_counts_and_the_guard() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        assert!(ensure_nothing_pending(&store).is_ok());
        store
            .write(|tx| {
                till_store::outbox::enqueue(tx, "e1", "sale.recorded", "order/1", &serde_json::json!({}), 1_000)
            })
            .unwrap();
        let err = ensure_nothing_pending(&store).unwrap_err();
        assert_eq!(err.code(), "sync_events_pending");
        assert!(err.to_string().contains("1 event(s) have not reached the server"));
        let s = read_status(&store, 4_000, None).unwrap();
        assert_eq!((s.pending, s.oldest_pending_age_ms, s.online), (1, Some(3_000), None));
        let live = LiveStatus { online: Some(false), last_error: Some("refused".into()), ..Default::default() };
        store.set_setting(LIVE_SETTING, &serde_json::to_string(&live).unwrap()).unwrap();
        let s = read_status(&store, 4_000, None).unwrap();
        assert_eq!(s.summary(), "offline, 1 pending (oldest 3 s), 0 parked, 0 delivered, last error: refused");
    }
}

//! The paid notices: the platform tells the provider a conversation was paid, as often as it
//! takes to get an acknowledgement; the provider records each conversation's payment once.
//!
//! With a ledger file, every first notice is appended to it as one JSON line and flushed to
//! disk before it is acknowledged, and the file is read back at start, so a restart neither
//! forgets a payment nor records it twice.

use crate::error::ProviderError;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use till_api::services::RelayPaid;

/// The payments recorded, by conversation.
#[derive(Debug, Default)]
pub struct PaidLedger {
    by_conversation: BTreeMap<String, RelayPaid>,
    /// How many notices arrived in all, repeats included.
    notices: u64,
    file: Option<PathBuf>,
}

impl PaidLedger {
    /// A ledger in memory only.
    pub fn in_memory() -> PaidLedger {
        PaidLedger::default()
    }

    /// A ledger kept in `path` (JSON lines), read back if it exists.
    pub fn open(path: PathBuf) -> Result<PaidLedger, ProviderError> {
        let mut ledger = PaidLedger { file: Some(path.clone()), ..Default::default() };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let paid: RelayPaid = serde_json::from_str(line)
                        .map_err(|e| ProviderError::Io(format!("{} line {}: {e}", path.display(), i + 1)))?;
                    ledger.by_conversation.insert(paid.conversation_id.clone(), paid);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ProviderError::Io(format!("{}: {e}", path.display()))),
        }
        Ok(ledger)
    }

    /// Records a notice: true when it is the conversation's first (recorded now), false when the
    /// payment was recorded before (acknowledged again, not recorded twice).
    pub fn record(&mut self, paid: &RelayPaid) -> Result<bool, ProviderError> {
        self.notices += 1;
        if self.by_conversation.contains_key(&paid.conversation_id) {
            return Ok(false);
        }
        if let Some(path) = &self.file {
            let line = serde_json::to_string(paid).map_err(|e| ProviderError::Io(e.to_string()))?;
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            f.write_all(format!("{line}\n").as_bytes())?;
            f.sync_all()?;
        }
        self.by_conversation.insert(paid.conversation_id.clone(), paid.clone());
        Ok(true)
    }

    /// Every payment recorded, by conversation.
    pub fn payments(&self) -> Vec<RelayPaid> {
        self.by_conversation.values().cloned().collect()
    }

    /// Notices received, repeats included.
    pub fn notices(&self) -> u64 {
        self.notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_api::Amount;

    fn paid(id: &str) -> RelayPaid {
        RelayPaid {
            account_id: "a".into(),
            conversation_id: id.into(),
            terminal_id: "t_0000000000000001".into(),
            amount: Amount::new(5000, "CNY"),
            order_id: "o1".into(),
            line_code: "L1".into(),
            paid_at: 1,
        }
    }

    #[test]
    fn a_payment_is_recorded_once_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paid.jsonl");
        let mut l = PaidLedger::open(path.clone()).unwrap();
        assert!(l.record(&paid("c1")).unwrap());
        assert!(!l.record(&paid("c1")).unwrap());
        assert_eq!((l.payments().len(), l.notices()), (1, 2));
        drop(l);
        let mut l = PaidLedger::open(path.clone()).unwrap();
        assert!(!l.record(&paid("c1")).unwrap(), "known after a restart");
        assert!(l.record(&paid("c2")).unwrap());
        assert_eq!(std::fs::read_to_string(path).unwrap().lines().count(), 2);
    }
}

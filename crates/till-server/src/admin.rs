//! What the `till-server` admin subcommands do, as functions (the binary only parses arguments).

use crate::clock::Entropy;
use crate::error::ApiError;
use crate::repo::{RefundRecord, Repository, TerminalRecord, Tx};
use serde::Serialize;
use till_core::Clock;

/// A terminal's credentials, printed once by `terminals add`.
#[derive(Debug, Clone, Serialize)]
pub struct NewTerminal {
    /// The id to put in `X-Till-Terminal`.
    pub terminal_id: String,
    /// The 32-byte signing secret, hex. Shown once; the server cannot show it again.
    pub secret: String,
    /// The name given.
    pub name: String,
}

/// Registers a terminal with a fresh id and secret.
pub fn add_terminal(
    repo: &dyn Repository,
    name: &str,
    clock: &dyn Clock,
    entropy: &dyn Entropy,
) -> Result<NewTerminal, ApiError> {
    let mut tx = repo.begin()?;
    let terminal = add_terminal_in(&mut *tx, name, clock.now_unix(), entropy)?;
    tx.commit()?;
    Ok(terminal)
}

/// Registers a terminal with a fresh id and secret inside `tx` (committed by the caller).
pub fn add_terminal_in(tx: &mut dyn Tx, name: &str, now: i64, entropy: &dyn Entropy) -> Result<NewTerminal, ApiError> {
    crate::wire::check_text("name", name, 64)?;
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    entropy.fill(&mut id);
    entropy.fill(&mut secret);
    let record = TerminalRecord {
        id: till_core::TerminalId::from_random(id).to_string(),
        name: name.to_string(),
        secret_hex: hex::encode(secret),
        created_at: now,
        disabled: false,
    };
    tx.insert_terminal(&record)?;
    Ok(NewTerminal { terminal_id: record.id, secret: record.secret_hex, name: record.name })
}

/// A terminal as listed (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct TerminalInfo {
    /// Id.
    pub terminal_id: String,
    /// Name.
    pub name: String,
    /// Registration time.
    pub created_at: i64,
    /// Whether disabled.
    pub disabled: bool,
}

/// Every terminal, without secrets.
pub fn list_terminals(repo: &dyn Repository) -> Result<Vec<TerminalInfo>, ApiError> {
    Ok(repo
        .read()?
        .terminals()?
        .into_iter()
        .map(|t| TerminalInfo { terminal_id: t.id, name: t.name, created_at: t.created_at, disabled: t.disabled })
        .collect())
}

/// Disables (or re-enables) a terminal: its requests are refused with `terminal_disabled`.
pub fn set_terminal_disabled(repo: &dyn Repository, terminal_id: &str, disabled: bool) -> Result<(), ApiError> {
    let mut tx = repo.begin()?;
    if !tx.set_terminal_disabled(terminal_id, disabled)? {
        return Err(ApiError::NotFound("terminal"));
    }
    tx.commit()?;
    Ok(())
}

/// Refunds, optionally only those with `status`.
pub fn list_refunds(repo: &dyn Repository, status: Option<&str>) -> Result<Vec<RefundRecord>, ApiError> {
    Ok(repo.read()?.refunds(status)?)
}

/// The refunds of one merchant's sales (`refunds list --merchant`), optionally only those with
/// `status`: what that merchant, as the seller, decides.
pub fn list_merchant_refunds(
    repo: &dyn Repository,
    status: Option<&str>,
    merchant: &str,
) -> Result<Vec<RefundRecord>, ApiError> {
    let mut tx = repo.read()?;
    let mut mine = Vec::new();
    for r in tx.refunds(status)? {
        if tx.refund_merchant(&r.refund_id)?.as_deref() == Some(merchant) {
            mine.push(r);
        }
    }
    Ok(mine)
}

/// Sets a customer's reputation score at the default merchant (used by the refund policy); see
/// [`crate::scope::set_reputation`] for another merchant's customers.
pub fn set_reputation(repo: &dyn Repository, customer_id: &str, score: i64) -> Result<(), ApiError> {
    crate::scope::set_reputation(repo, crate::scope::DEFAULT_MERCHANT, customer_id, score)
}

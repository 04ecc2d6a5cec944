//! One-time enrolment codes: how a till gets its terminal secret without anyone copying 64 hex
//! digits by hand.
//!
//! `till-server terminals add --enrolment-code` registers the terminal as usual (its secret made
//! here and sealed in the database like every terminal secret) and [`issue`]s a code: 80 random
//! bits shown as `XXXX-XXXX-XXXX-XXXX` (till-api's [`EnrolmentCode`]), valid 24 hours. Only the
//! code's SHA-256 is stored, so the database never holds a code that could be typed. The till
//! sends the code to `POST /v1/terminals/enrol` (unsigned: it has no secret yet) and
//! [`exchange`] answers the terminal id and secret once:
//!
//! - the code is looked up by its hash, so what the lookup's timing could reveal is about
//!   hashes, never about the code;
//! - marking it used and reading the secret happen in one IMMEDIATE transaction, and the mark is
//!   a conditional write, so of two exchanges of one code exactly one gets the secret;
//! - an unknown, used or expired code is refused with its own error and changes nothing;
//! - wrong codes are counted in the database (`enrolment_failures`, shared by every server
//!   process on it): past [`MAX_FAILURES`] in a window of [`FAILURE_WINDOW_SECS`] (opened by
//!   the first wrong code) every exchange is refused until the window is over. 80 bits cannot
//!   be guessed anyway; the limit keeps a flood of guesses from costing the server a
//!   transaction each.

use crate::admin::{add_terminal_in, NewTerminal};
use crate::clock::Entropy;
use crate::error::ApiError;
use crate::repo::{EnrolmentCodeRecord, Repository, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use till_api::enrolment::{EnrolmentCode, TerminalEnrolResponse};
use till_core::Clock;

/// How long a code may be exchanged, seconds.
pub const CODE_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// Wrong codes accepted per [`FAILURE_WINDOW_SECS`] before every exchange is refused.
pub const MAX_FAILURES: u32 = 20;

/// The window wrong codes are counted in, seconds.
pub const FAILURE_WINDOW_SECS: i64 = 60;

/// What `terminals add --enrolment-code` prints: no secret.
#[derive(Debug, Clone, Serialize)]
pub struct NewEnrolment {
    /// The terminal registered.
    pub terminal_id: String,
    /// The name given.
    pub name: String,
    /// The one-time code, `XXXX-XXXX-XXXX-XXXX`.
    pub enrolment_code: String,
    /// Until when the code can be exchanged, unix seconds.
    pub expires_at: i64,
}

/// SHA-256 (hex) of a code's 16 symbols: the only form in which a code is stored.
pub fn code_sha256(code: &EnrolmentCode) -> String {
    hex::encode(Sha256::digest(code.canonical().as_bytes()))
}

/// Registers a terminal named `name` and makes its one-time code, valid for 24 hours.
pub fn issue(
    repo: &dyn Repository,
    name: &str,
    clock: &dyn Clock,
    entropy: &dyn Entropy,
) -> Result<NewEnrolment, ApiError> {
    // The terminal and its code in one transaction: no terminal without its code.
    let mut tx = repo.begin()?;
    let issued = issue_in(&mut *tx, name, clock.now_unix(), entropy)?;
    tx.commit()?;
    Ok(issued)
}

/// [`issue`] inside `tx` (committed by the caller, with whatever else belongs to the same
/// change: the terminal's store, the console's audit).
pub fn issue_in(tx: &mut dyn Tx, name: &str, now: i64, entropy: &dyn Entropy) -> Result<NewEnrolment, ApiError> {
    let mut bytes = [0u8; EnrolmentCode::BYTES];
    entropy.fill(&mut bytes);
    let code = EnrolmentCode::from_bytes(bytes);
    // The secret stays on the server (sealed) until the code is exchanged; it is not printed.
    let NewTerminal { terminal_id, name, .. } = add_terminal_in(tx, name, now, entropy)?;
    let record = EnrolmentCodeRecord {
        code_sha256: code_sha256(&code),
        terminal_id: terminal_id.clone(),
        created_at: now,
        expires_at: now + CODE_LIFETIME_SECS,
        used_at: None,
    };
    tx.insert_enrolment_code(&record)?;
    Ok(NewEnrolment { terminal_id, name, enrolment_code: code.grouped(), expires_at: record.expires_at })
}

/// Exchanges `typed` (as the installer typed it) for its terminal's id and secret, once, at
/// `now`. Wrong codes are counted; too many in the window refuse every exchange.
pub fn exchange(repo: &dyn Repository, typed: &str, now: i64) -> Result<TerminalEnrolResponse, ApiError> {
    if let Some((started, failures)) = repo.read()?.enrolment_failures(now, FAILURE_WINDOW_SECS)? {
        if failures >= i64::from(MAX_FAILURES) {
            return Err(ApiError::TooManyEnrolmentAttempts(started + FAILURE_WINDOW_SECS - now));
        }
    }
    let result = exchange_code(repo, typed, now);
    if matches!(result, Err(ApiError::EnrolmentCodeInvalid(_))) {
        let mut tx = repo.begin()?;
        tx.record_enrolment_failure(now, FAILURE_WINDOW_SECS)?;
        tx.commit()?;
    }
    result
}

fn exchange_code(repo: &dyn Repository, typed: &str, now: i64) -> Result<TerminalEnrolResponse, ApiError> {
    let code = EnrolmentCode::parse(typed).map_err(|e| ApiError::EnrolmentCodeInvalid(e.to_string()))?;
    let hash = code_sha256(&code);
    // IMMEDIATE: the write lock is taken before the code is read, so no other exchange reads it
    // between this one's check and its mark. Returning early drops (rolls back) the transaction.
    let mut tx = repo.begin()?;
    let record = tx.enrolment_code(&hash)?.ok_or_else(|| ApiError::EnrolmentCodeInvalid("no such code".into()))?;
    if record.used_at.is_some() {
        return Err(ApiError::EnrolmentCodeUsed);
    }
    if now >= record.expires_at {
        return Err(ApiError::EnrolmentCodeExpired);
    }
    let terminal = tx
        .terminal(&record.terminal_id)?
        .ok_or_else(|| ApiError::Internal("an enrolment code names no terminal".into()))?;
    if terminal.disabled {
        return Err(ApiError::TerminalDisabled);
    }
    if !tx.use_enrolment_code(&hash, now)? {
        return Err(ApiError::EnrolmentCodeUsed);
    }
    tx.commit()?;
    Ok(TerminalEnrolResponse { terminal_id: terminal.id, secret: terminal.secret_hex })
}

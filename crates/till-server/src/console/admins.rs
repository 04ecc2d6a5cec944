//! The console's admin accounts from the command line: `till-server admins add|list|disable|enable`.

use super::audit;
use super::auth::hash_password;
use crate::clock::Entropy;
use crate::error::ApiError;
use crate::repo::{AdminRecord, Repository};
use serde::Serialize;
use till_core::Clock;

/// The shortest password accepted, characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, characters (Argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// An account as listed (no hash).
#[derive(Debug, Clone, Serialize)]
pub struct AdminInfo {
    /// Sign-in name.
    pub username: String,
    /// The merchant whose stores the admin sees.
    pub merchant_id: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// Until when the account is locked after wrong passwords, unix seconds.
    pub locked_until: Option<i64>,
    /// When it was made, unix seconds.
    pub created_at: i64,
}

impl From<AdminRecord> for AdminInfo {
    fn from(a: AdminRecord) -> Self {
        AdminInfo {
            username: a.username,
            merchant_id: a.merchant_id,
            disabled: a.disabled,
            locked_until: a.locked_until,
            created_at: a.created_at,
        }
    }
}

/// A user name: 1 to 64 of `A-Z a-z 0-9 . _ @ -`.
pub fn check_username(username: &str) -> Result<(), ApiError> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest("a user name is 1 to 64 letters, digits, '.', '_', '@' or '-'".into()))
    }
}

/// A password: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(format!("a password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")))
    }
}

/// Makes an admin account of `merchant_id` with `password` (stored as its Argon2id hash).
pub fn add_admin(
    repo: &dyn Repository,
    username: &str,
    merchant_id: &str,
    password: &str,
    clock: &dyn Clock,
    entropy: &dyn Entropy,
) -> Result<AdminInfo, ApiError> {
    check_username(username)?;
    crate::wire::check_text("merchant", merchant_id, 64)?;
    check_password(password)?;
    let hash = hash_password(password, entropy)?;
    let now = clock.now_unix();
    let record = AdminRecord {
        username: username.to_string(),
        merchant_id: merchant_id.to_string(),
        password_hash: hash,
        failed_count: 0,
        locked_until: None,
        disabled: false,
        created_at: now,
    };
    let mut tx = repo.begin()?;
    if tx.admin(username)?.is_some() {
        return Err(ApiError::InvalidRequest(format!("there is already an admin {username}")));
    }
    tx.insert_admin(&record)?;
    audit::record_as(&mut *tx, username, now, "admin.add", username, &format!("merchant {merchant_id}; command line"))?;
    tx.commit()?;
    Ok(record.into())
}

/// Every account, without hashes.
pub fn list_admins(repo: &dyn Repository) -> Result<Vec<AdminInfo>, ApiError> {
    Ok(repo.read()?.admins()?.into_iter().map(AdminInfo::from).collect())
}

/// Disables (ending its sessions) or re-enables an account.
pub fn set_admin_disabled(
    repo: &dyn Repository,
    username: &str,
    disabled: bool,
    clock: &dyn Clock,
) -> Result<(), ApiError> {
    let mut tx = repo.begin()?;
    if !tx.set_admin_disabled(username, disabled)? {
        return Err(ApiError::NotFound("admin"));
    }
    if disabled {
        tx.delete_admin_sessions(username)?;
    }
    let action = if disabled { "admin.disable" } else { "admin.enable" };
    audit::record_as(&mut *tx, username, clock.now_unix(), action, username, "command line")?;
    tx.commit()?;
    Ok(())
}

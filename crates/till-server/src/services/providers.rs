//! Registering service providers on the platform: what `till-server providers ...` does.

use super::relay::check_endpoint;
use super::{check_id, ServiceError};
use crate::error::ApiError;
use crate::repo::{ProviderRecord, Repository};
use serde::Serialize;
use std::path::Path;

/// Fewest characters a shared secret has.
pub const MIN_SECRET_LEN: usize = 16;

/// A provider as listed (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct ProviderListed {
    /// Public account id.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// The base URL called.
    pub endpoint: String,
    /// When registered.
    pub created_at: i64,
    /// Whether disabled.
    pub disabled: bool,
}

impl From<&ProviderRecord> for ProviderListed {
    fn from(p: &ProviderRecord) -> Self {
        ProviderListed {
            account_id: p.account_id.clone(),
            name: p.name.clone(),
            endpoint: p.endpoint.clone(),
            created_at: p.created_at,
            disabled: p.disabled,
        }
    }
}

/// Reads a shared secret file: its text, trimmed (both sides read the file the same way).
pub fn read_secret_file(path: &Path) -> Result<String, ApiError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ApiError::InvalidRequest(format!("cannot read the secret file {}: {e}", path.display())))?;
    let secret = text.trim().to_string();
    if secret.len() < MIN_SECRET_LEN {
        return Err(ApiError::InvalidRequest(format!(
            "the secret in {} is shorter than {MIN_SECRET_LEN} characters",
            path.display()
        )));
    }
    Ok(secret)
}

/// Registers a provider.
pub fn add(
    repo: &dyn Repository,
    name: &str,
    account_id: &str,
    endpoint: &str,
    secret: &str,
    now: i64,
) -> Result<ProviderListed, ApiError> {
    crate::wire::check_text("name", name, 64)?;
    check_id("account", account_id)?;
    let endpoint = check_endpoint(endpoint)?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(ApiError::InvalidRequest(format!("the secret is shorter than {MIN_SECRET_LEN} characters")));
    }
    let mut tx = repo.begin()?;
    if tx.provider(account_id)?.is_some() {
        return Err(ServiceError::ProviderExists(account_id.to_string()).into());
    }
    let record = ProviderRecord {
        account_id: account_id.to_string(),
        name: name.to_string(),
        endpoint,
        secret: secret.to_string(),
        created_at: now,
        disabled: false,
    };
    tx.insert_provider(&record)?;
    tx.commit()?;
    Ok(ProviderListed::from(&record))
}

/// Every provider, without secrets.
pub fn list(repo: &dyn Repository) -> Result<Vec<ProviderListed>, ApiError> {
    Ok(repo.read()?.providers()?.iter().map(ProviderListed::from).collect())
}

/// Disables (or re-enables) a provider: it is no longer listed, followed or called. Paid
/// notices already queued still go out when it is enabled again.
pub fn set_disabled(repo: &dyn Repository, account_id: &str, disabled: bool) -> Result<(), ApiError> {
    let mut tx = repo.begin()?;
    if !tx.set_provider_disabled(account_id, disabled)? {
        return Err(ServiceError::ProviderNotFound(account_id.to_string()).into());
    }
    tx.commit()?;
    Ok(())
}

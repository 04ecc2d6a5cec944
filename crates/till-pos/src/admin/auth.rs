//! PINs, login with lockout, sessions, and the role check every command starts with.
//!
//! PINs are stored as argon2id hashes. Five wrong PINs in a row lock the user for five
//! minutes. A session is a random bearer token that lapses after a configurable idle time.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::views::{LoginUser, Session, UserView};
use crate::mutex::lock;
use crate::Pos;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use till_core::Role;
use till_core::SessionToken;
use till_store::{audit, users};

/// Wrong PINs allowed before the lock.
pub const MAX_FAILED_PINS: i64 = 5;
/// How long the lock lasts.
pub const LOCKOUT_MS: i64 = 5 * 60 * 1000;

/// The live sessions, by token, and how long one lasts without a command.
pub(crate) struct Sessions {
    pub(crate) live: Mutex<HashMap<SessionToken, SessionState>>,
    pub(crate) idle_ms: i64,
}

impl Sessions {
    /// No session yet; each lapses after `idle` without a command.
    pub(crate) fn new(idle: std::time::Duration) -> Self {
        Sessions { live: Mutex::new(HashMap::new()), idle_ms: i64::try_from(idle.as_millis()).unwrap_or(i64::MAX) }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionState {
    /// User id.
    pub user_id: i64,
    /// User name.
    pub name: String,
    /// Role at login.
    pub role: Role,
    /// Lapses at, ms since the epoch.
    pub expires_at_ms: i64,
}

/// Checks a PIN's shape: 4 to 8 digits.
pub fn check_pin_format(pin: &str) -> Result<()> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PosError::InvalidInput("a PIN is 4 to 8 digits".into()))
    }
}

/// Hashes a PIN with argon2id and a random salt from `salt_bytes`.
pub fn hash_pin(pin: &str, salt_bytes: &[u8; 16]) -> Result<String> {
    let salt = SaltString::encode_b64(salt_bytes).map_err(|e| PosError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PosError::Internal(e.to_string()))
}

fn verify_pin(pin: &str, hash: &str) -> Result<bool> {
    let parsed = PasswordHash::new(hash).map_err(|e| PosError::Internal(format!("stored PIN hash: {e}")))?;
    Ok(Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
}

impl Pos {
    /// Hashes a PIN with a fresh salt.
    pub(crate) fn new_pin_hash(&self, pin: &str) -> Result<String> {
        check_pin_format(pin)?;
        let mut salt = [0u8; 16];
        lock(&self.rng).fill_bytes(&mut salt);
        hash_pin(pin, &salt)
    }

    /// Active users, for the login screen.
    pub fn login_users(&self) -> Result<Vec<LoginUser>> {
        Ok(self
            .store
            .users()?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| LoginUser { id: u.id, name: u.name, role: u.role })
            .collect())
    }

    /// Logs a user in with a PIN.
    pub fn login(&self, user_id: i64, pin: &str) -> Result<Session> {
        let now = self.now_ms();
        let user = self.store.user(user_id)?;
        if !user.active {
            return Err(PosError::UserInactive);
        }
        self.check_pin(&user, pin, now)?;
        self.store.write(|tx| {
            users::set_login_state(tx, user.id, 0, None)?;
            audit::append(tx, now, Some(user.id), "user.login", &json!({}))
        })?;
        let token = SessionToken::generate(&mut **lock(&self.rng));
        let expires_at_ms = now + self.sessions.idle_ms;
        lock(&self.sessions.live).insert(
            token.clone(),
            SessionState { user_id: user.id, name: user.name.clone(), role: user.role, expires_at_ms },
        );
        tracing::info!(user_id, role = user.role.as_str(), "login");
        Ok(Session { token, user: UserView::new(&user, now), expires_at_ms, manages: user.role.manages().to_vec() })
    }

    /// Checks a logged-in user's PIN again before a sensitive action (a manager discarding a
    /// parked event). Wrong PINs count towards the same lock as at login; no session is made.
    pub(crate) fn confirm_pin(&self, user_id: i64, pin: &str) -> Result<()> {
        let now = self.now_ms();
        let user = self.store.user(user_id)?;
        self.check_pin(&user, pin, now)?;
        if user.failed_attempts > 0 {
            self.store.write(|tx| users::set_login_state(tx, user.id, 0, None))?;
        }
        Ok(())
    }

    /// The one PIN check of login and of a confirmation: refused while the user is locked; a
    /// wrong PIN counts, and the fifth in a row locks the user for [`LOCKOUT_MS`] and ends
    /// their sessions. A right PIN changes nothing here (each caller records its success).
    fn check_pin(&self, user: &till_store::UserRecord, pin: &str, now: i64) -> Result<()> {
        if let Some(until) = user.locked_until_ms.filter(|t| *t > now) {
            return Err(PosError::UserLocked { minutes: (until - now + 59_999) / 60_000 });
        }
        if verify_pin(pin, &user.pin_hash)? {
            return Ok(());
        }
        let failed = user.failed_attempts + 1;
        if failed >= MAX_FAILED_PINS {
            self.store.write(|tx| {
                users::set_login_state(tx, user.id, 0, Some(now + LOCKOUT_MS))?;
                audit::append(tx, now, Some(user.id), "user.locked", &json!({ "failed_pins": failed }))
            })?;
            tracing::warn!(user_id = user.id, "user locked after {failed} wrong PINs");
            self.end_sessions_of(user.id);
            return Err(PosError::UserLocked { minutes: LOCKOUT_MS / 60_000 });
        }
        self.store.write(|tx| users::set_login_state(tx, user.id, failed, None))?;
        Err(PosError::WrongPin { remaining: MAX_FAILED_PINS - failed })
    }

    /// Ends a session. Unknown tokens are ignored: the outcome is the same.
    pub fn logout(&self, token: &SessionToken) -> Result<()> {
        if let Some(s) = lock(&self.sessions.live).remove(token) {
            self.store.audit(self.now_ms(), Some(s.user_id), "user.logout", &json!({}))?;
        }
        Ok(())
    }

    /// The session behind `token`, if the permissions table lets its role call `command`;
    /// extends its idle timer. The one role check of every command.
    pub fn authorize(&self, token: &SessionToken, command: Command) -> Result<SessionState> {
        let row = command.permission();
        let now = self.now_ms();
        let mut sessions = lock(&self.sessions.live);
        let s = sessions.get_mut(token).ok_or(PosError::Unauthenticated)?;
        if s.expires_at_ms <= now {
            sessions.remove(token);
            return Err(PosError::SessionExpired);
        }
        if !row.access.allows(s.role) {
            return Err(PosError::Forbidden { role: s.role, action: row.action });
        }
        s.expires_at_ms = now + self.sessions.idle_ms;
        Ok(s.clone())
    }

    /// Ends every session of a user (deactivated, PIN changed).
    pub(crate) fn end_sessions_of(&self, user_id: i64) {
        lock(&self.sessions.live).retain(|_, s| s.user_id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{ErrorCode, PosError};
    use crate::tests::{pos, CASHIER, INSTALLER};

    #[test]
    fn five_wrong_pins_lock_for_five_minutes() {
        let (_d, clock, p) = pos();
        for remaining in (1..5).rev() {
            assert!(matches!(p.login(CASHIER, "0000"), Err(PosError::WrongPin { remaining: r }) if r == remaining));
        }
        assert!(matches!(p.login(CASHIER, "0000"), Err(PosError::UserLocked { minutes: 5 })));
        // even the right PIN is refused while locked
        assert_eq!(p.login(CASHIER, "1111").unwrap_err().code(), ErrorCode::UserLocked);
        clock.advance(5 * 60 * 1000);
        assert!(p.login(CASHIER, "1111").is_ok());
    }

    #[test]
    fn a_good_pin_resets_the_count() {
        let (_d, _c, p) = pos();
        for _ in 0..4 {
            let _ = p.login(CASHIER, "0000");
        }
        p.login(CASHIER, "1111").unwrap();
        assert!(matches!(p.login(CASHIER, "0000"), Err(PosError::WrongPin { remaining: 4 })));
    }

    #[test]
    fn pins_are_stored_as_argon2id_hashes() {
        let (_d, _c, p) = pos();
        let u = p.store().user(CASHIER).unwrap();
        assert!(u.pin_hash.starts_with("$argon2id$"), "{}", u.pin_hash);
        assert!(!u.pin_hash.contains("1111"));
    }

    #[test]
    fn sessions_expire_when_idle_and_roles_are_checked() {
        let (_d, clock, p) = pos();
        let s = p.login(CASHIER, "1111").unwrap();
        clock.advance(14 * 60 * 1000);
        assert!(p.cart_get(&s.token).is_ok()); // use extends the session
        clock.advance(14 * 60 * 1000);
        assert!(p.cart_get(&s.token).is_ok());
        clock.advance(15 * 60 * 1000);
        assert_eq!(p.cart_get(&s.token).unwrap_err().code(), ErrorCode::SessionExpired);
        assert_eq!(p.cart_get(&s.token).unwrap_err().code(), ErrorCode::Unauthenticated);
        assert_eq!(
            p.cart_get(&till_core::SessionToken::parse(&"0".repeat(64)).unwrap()).unwrap_err().code(),
            ErrorCode::Unauthenticated
        );

        let i = p.login(INSTALLER, "3333").unwrap();
        assert_eq!(p.cart_scan(&i.token, "6901234567892").unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.users_list(&i.token).unwrap_err().code(), ErrorCode::Forbidden);
    }
}

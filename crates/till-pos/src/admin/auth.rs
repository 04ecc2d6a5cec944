//! PINs, login with lockout, sessions, and the role check every command starts with.
//!
//! PINs are stored as argon2id hashes ([`crate::admin::pin`]). Five wrong PINs in a row lock
//! the user for five minutes, counted in the database inside the transaction that decides. A session is a random bearer token that lapses after a configurable idle time.

use crate::admin::permissions::Command;
use crate::admin::pin::{check_pin_format, hash_pin, needs_rehash, verify_pin, M_COST_KIB, P_COST, T_COST};
use crate::error::{PosError, Result};
use crate::ipc::views::{LoginUser, Session, UserView};
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use till_core::Role;
use till_core::SessionToken;
use till_store::{audit, users, StoreError, UserRecord};

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

/// What one PIN check decided, inside its transaction.
enum Decision {
    /// The PIN is right; the user as stored.
    Good(UserRecord),
    /// Wrong; this many tries are left.
    Wrong { remaining: i64 },
    /// This wrong PIN was the last one allowed: the user is locked now.
    JustLocked { failed: i64 },
    /// Locked until then, before this try.
    Locked { until: i64 },
    /// Deactivated meanwhile.
    Inactive,
    /// The PIN was changed after it was hashed for this check: check it again.
    Changed(UserRecord),
}

fn locked_error(until: i64, now: i64) -> PosError {
    PosError::UserLocked { minutes: (until - now + 59_999) / 60_000 }
}

impl Pos {
    /// Hashes a PIN with a fresh salt.
    /// The shortest PIN this till accepts: six digits in a shop, four in demo mode.
    pub fn pin_min_length(&self) -> usize {
        if self.demo {
            crate::admin::pin::DEMO_MIN_PIN_LEN
        } else {
            crate::admin::pin::SHOP_MIN_PIN_LEN
        }
    }

    pub(crate) fn new_pin_hash(&self, pin: &str) -> Result<String> {
        check_pin_format(pin, self.pin_min_length())?;
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
        let user = self.check_pin(user_id, pin, now, Some("user.login"))?;
        self.check_login_allowed(user.role)?;
        self.upgrade_pin_hash(&user, pin, now);
        let token = SessionToken::generate(&mut **lock(&self.rng));
        let expires_at_ms = now + self.sessions.idle_ms;
        lock(&self.sessions.live).insert(
            token.clone(),
            SessionState { user_id: user.id, name: user.name.clone(), role: user.role, expires_at_ms },
        );
        tracing::info!(user_id, role = user.role.as_str(), "login");
        // A setting that cannot be read is "not ready": the Card button then explains on press.
        let card_payments_ready = self.card_payments_missing().map(|m| m.is_empty()).unwrap_or(false);
        Ok(Session {
            token,
            user: UserView::new(&user, now),
            expires_at_ms,
            manages: user.role.manages().to_vec(),
            card_payments_ready,
        })
    }

    /// Checks a logged-in user's PIN again before a sensitive action (a manager discarding a
    /// parked event). Wrong PINs count towards the same lock as at login; no session is made.
    pub(crate) fn confirm_pin(&self, user_id: i64, pin: &str) -> Result<()> {
        let now = self.now_ms();
        let user = self.check_pin(user_id, pin, now, None)?;
        self.upgrade_pin_hash(&user, pin, now);
        Ok(())
    }

    /// The one PIN check of login and of a confirmation: refused while the user is locked or
    /// inactive; a wrong PIN counts, and the fifth in a row locks the user for [`LOCKOUT_MS`]
    /// and ends their sessions; a right one clears the count and, in the same commit, writes
    /// the audit entry `on_good` names (a login's).
    ///
    /// The hash is checked before the write lock is taken (it is the slow part, and holding the
    /// lock through it would stall every sale for as long); the decision and the count are then
    /// made in one IMMEDIATE transaction on the user as stored at that moment. So logins made
    /// at the same time, by threads or by processes, are counted one after the other: five
    /// wrong PINs, then the lock, whatever the timing.
    fn check_pin(&self, user_id: i64, pin: &str, now: i64, on_good: Option<&str>) -> Result<UserRecord> {
        let mut user = self.store.user(user_id)?;
        // A PIN changed between the hash and the transaction is checked again with the new hash.
        for _ in 0..3 {
            if !user.active {
                return Err(PosError::UserInactive);
            }
            // No hash for a user already locked.
            if let Some(until) = user.locked_until_ms.filter(|t| *t > now) {
                return Err(locked_error(until, now));
            }
            let good = verify_pin(pin, &user.pin_hash)?;
            let decision = self.store.write(|tx| {
                let current = users::get(tx, user_id)?;
                if !current.active {
                    return Ok(Decision::Inactive);
                }
                if let Some(until) = current.locked_until_ms.filter(|t| *t > now) {
                    return Ok(Decision::Locked { until });
                }
                if current.pin_hash != user.pin_hash {
                    return Ok(Decision::Changed(current));
                }
                if good {
                    if current.failed_attempts != 0 || current.locked_until_ms.is_some() {
                        users::set_login_state(tx, user_id, 0, None)?;
                    }
                    if let Some(action) = on_good {
                        audit::append(tx, now, Some(user_id), action, &json!({}))?;
                    }
                    return Ok(Decision::Good(current));
                }
                let failed = current.failed_attempts + 1;
                if failed >= MAX_FAILED_PINS {
                    users::set_login_state(tx, user_id, 0, Some(now + LOCKOUT_MS))?;
                    audit::append(tx, now, Some(user_id), "user.locked", &json!({ "failed_pins": failed }))?;
                    return Ok(Decision::JustLocked { failed });
                }
                users::set_login_state(tx, user_id, failed, None)?;
                Ok(Decision::Wrong { remaining: MAX_FAILED_PINS - failed })
            })?;
            return match decision {
                Decision::Good(current) => Ok(current),
                Decision::Wrong { remaining } => Err(PosError::WrongPin { remaining }),
                Decision::JustLocked { failed } => {
                    tracing::warn!(user_id, "user locked after {failed} wrong PINs");
                    self.end_sessions_of(user_id);
                    Err(PosError::UserLocked { minutes: LOCKOUT_MS / 60_000 })
                }
                Decision::Locked { until } => Err(locked_error(until, now)),
                Decision::Inactive => Err(PosError::UserInactive),
                Decision::Changed(current) => {
                    user = current;
                    continue;
                }
            };
        }
        Err(PosError::Store(StoreError::Conflict("the PIN was changed while it was checked; try again".into())))
    }

    /// After a right PIN: a hash made with older parameters is replaced by one with the
    /// till's, unless the PIN changed meanwhile. A failure here costs nothing but the upgrade,
    /// which the next login tries again; it is logged, not returned.
    fn upgrade_pin_hash(&self, user: &UserRecord, pin: &str, now: i64) {
        if !needs_rehash(&user.pin_hash) {
            return;
        }
        let upgraded = self.new_pin_hash(pin).and_then(|hash| {
            Ok(self.store.write(|tx| {
                let replaced = users::replace_pin_hash(tx, user.id, &user.pin_hash, &hash)?;
                if replaced {
                    let detail = json!({ "m_kib": M_COST_KIB, "t": T_COST, "p": P_COST });
                    audit::append(tx, now, Some(user.id), "user.pin_rehashed", &detail)?;
                }
                Ok(replaced)
            })?)
        });
        match upgraded {
            Ok(true) => tracing::info!(user_id = user.id, "PIN hash upgraded to the current argon2id parameters"),
            Ok(false) => {}
            Err(e) => tracing::warn!(user_id = user.id, "could not upgrade a PIN hash: {e}"),
        }
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
    fn a_hash_with_the_old_parameters_still_logs_in_and_is_upgraded_by_that_login() {
        let (_d, _c, p) = pos();
        let old = crate::admin::pin::hash_pin_with("2580", &[3; 16], 19_456, 2, 1).unwrap();
        let id =
            p.store().write(|tx| till_store::users::insert(tx, "Old Hash", till_core::Role::Cashier, &old, 0)).unwrap();
        // a wrong PIN upgrades nothing
        assert_eq!(p.login(id, "0000").unwrap_err().code(), ErrorCode::WrongPin);
        assert_eq!(p.store().user(id).unwrap().pin_hash, old);
        p.login(id, "2580").unwrap();
        let new = p.store().user(id).unwrap().pin_hash;
        assert!(new.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"), "{new}");
        assert_ne!(new, old);
        assert_eq!(p.store().user(id).unwrap().failed_attempts, 0);
        let upgrades = p
            .store()
            .read(|c| {
                Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = 'user.pin_rehashed'", [], |r| {
                    r.get::<_, i64>(0)
                })?)
            })
            .unwrap();
        assert_eq!(upgrades, 1);
        // and the upgraded hash is the same PIN
        assert!(p.login(id, "2580").is_ok());
        assert_eq!(p.store().user(id).unwrap().pin_hash, new, "an up-to-date hash is left alone");
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

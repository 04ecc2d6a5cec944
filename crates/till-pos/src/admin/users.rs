//! User management, for managers: list, create, activate/deactivate, set a PIN. Every change
//! is written with its audit entry in one transaction.

use crate::admin::auth::MANAGERS;
use crate::error::{PosError, Result};
use crate::ipc::views::{AuditReport, UserView};
use crate::Pos;
use serde_json::json;
use till_core::Role;
use till_core::SessionToken;
use till_store::{audit, users};

/// Longest user name.
pub const MAX_NAME_LEN: usize = 40;

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(PosError::InvalidInput(format!("a name is 1 to {MAX_NAME_LEN} characters")));
    }
    Ok(name)
}

impl Pos {
    /// Every user.
    pub fn users_list(&self, token: &SessionToken) -> Result<Vec<UserView>> {
        self.authorize(token, MANAGERS, "manage users")?;
        let now = self.now_ms();
        Ok(self.store.users()?.iter().map(|u| UserView::new(u, now)).collect())
    }

    /// Creates a user.
    pub fn user_create(&self, token: &SessionToken, name: &str, role: &str, pin: &str) -> Result<UserView> {
        let s = self.authorize(token, MANAGERS, "manage users")?;
        let role = Role::parse(role)?;
        let name = check_name(name)?;
        let hash = self.new_pin_hash(pin)?;
        let now = self.now_ms();
        let id = self.store.write(|tx| {
            let id = users::insert(tx, name, role, &hash, now)?;
            audit::append(
                tx,
                now,
                Some(s.user_id),
                "user.created",
                &json!({ "user_id": id, "name": name, "role": role.as_str() }),
            )?;
            Ok(id)
        })?;
        Ok(UserView::new(&self.store.user(id)?, now))
    }

    /// Activates or deactivates a user; a deactivated user's sessions end at once.
    pub fn user_set_active(&self, token: &SessionToken, user_id: i64, active: bool) -> Result<UserView> {
        let s = self.authorize(token, MANAGERS, "manage users")?;
        if user_id == s.user_id && !active {
            return Err(PosError::InvalidInput("you cannot deactivate yourself".into()));
        }
        let now = self.now_ms();
        self.store.write(|tx| {
            users::set_active(tx, user_id, active)?;
            audit::append(
                tx,
                now,
                Some(s.user_id),
                "user.active_changed",
                &json!({ "user_id": user_id, "active": active }),
            )
        })?;
        if !active {
            self.end_sessions_of(user_id);
        }
        Ok(UserView::new(&self.store.user(user_id)?, now))
    }

    /// Sets a user's PIN and lifts any lockout.
    pub fn user_set_pin(&self, token: &SessionToken, user_id: i64, pin: &str) -> Result<UserView> {
        let s = self.authorize(token, MANAGERS, "manage users")?;
        let hash = self.new_pin_hash(pin)?;
        let now = self.now_ms();
        self.store.write(|tx| {
            users::set_pin_hash(tx, user_id, &hash)?;
            audit::append(tx, now, Some(s.user_id), "user.pin_changed", &json!({ "user_id": user_id }))
        })?;
        if user_id != s.user_id {
            self.end_sessions_of(user_id);
        }
        Ok(UserView::new(&self.store.user(user_id)?, now))
    }

    /// Walks the audit chain.
    pub fn audit_verify(&self, token: &SessionToken) -> Result<AuditReport> {
        self.authorize(token, MANAGERS, "verify the audit log")?;
        let r = self.store.verify_audit()?;
        Ok(AuditReport { ok: r.ok, entries: r.entries, first_bad_id: r.first_bad_id })
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{pos, CASHIER, MANAGER};
    use crate::ErrorCode;
    #[test]
    fn managers_manage_users_and_every_change_is_audited() {
        let (_d, _c, p) = pos();
        let m = p.login(MANAGER, "2222").unwrap().token;
        let before = p.audit_verify(&m).unwrap().entries;
        let u = p.user_create(&m, "Zhao Min", "cashier", "4321").unwrap();
        assert!(p.login(u.id, "4321").is_ok());
        assert_eq!(p.user_create(&m, "Zhao Min", "cashier", "4321").unwrap_err().code(), ErrorCode::Conflict);
        assert_eq!(p.user_create(&m, "", "cashier", "4321").unwrap_err().code(), ErrorCode::InvalidInput);
        assert_eq!(p.user_create(&m, "X", "cashier", "12").unwrap_err().code(), ErrorCode::InvalidInput);
        assert_eq!(p.user_create(&m, "X", "cashier", "12ab").unwrap_err().code(), ErrorCode::InvalidInput);
        p.user_set_pin(&m, u.id, "9999").unwrap();
        assert_eq!(p.login(u.id, "4321").unwrap_err().code(), ErrorCode::WrongPin);
        let c = p.login(u.id, "9999").unwrap().token;
        p.user_set_active(&m, u.id, false).unwrap();
        assert_eq!(p.cart_get(&c).unwrap_err().code(), ErrorCode::Unauthenticated);
        assert_eq!(p.login(u.id, "9999").unwrap_err().code(), ErrorCode::UserInactive);
        assert_eq!(p.user_set_active(&m, MANAGER, false).unwrap_err().code(), ErrorCode::InvalidInput);
        let report = p.audit_verify(&m).unwrap();
        assert!(report.ok);
        assert!(report.entries >= before + 5);
    }

    #[test]
    fn cashiers_cannot_manage_users() {
        let (_d, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        assert_eq!(p.user_create(&t, "Evil", "manager", "1234").unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.audit_verify(&t).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.user_set_pin(&t, CASHIER, "1234").unwrap_err().code(), ErrorCode::Forbidden);
    }
}

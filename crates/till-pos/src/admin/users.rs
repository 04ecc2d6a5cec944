//! User management: list, create, activate/deactivate, set a PIN. Managers and owners may call
//! these (the permissions table); whose account each may touch is [`Role::manages`]: a manager
//! only cashiers', an owner everyone's. So a manager cannot make or take over an installer's or
//! an owner's account. Every change is written with its audit entry in one transaction.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::views::{AuditReport, UserView};
use crate::Pos;
use serde_json::json;
use till_core::Role;
use till_core::SessionToken;
use till_store::{audit, users};

/// Longest user name.
pub const MAX_NAME_LEN: usize = 40;

/// What a refusal says a user may not do to an account with `target`'s role.
fn manage_action(target: Role) -> &'static str {
    match target {
        Role::Cashier => "manage cashiers' accounts",
        Role::Manager => "manage managers' accounts",
        Role::Installer => "manage installers' accounts",
        Role::Owner => "manage owners' accounts",
    }
}

/// Refuses unless a user with `actor`'s role may manage an account with `target`'s role.
fn check_manages(actor: Role, target: Role) -> Result<()> {
    if actor.may_manage(target) {
        Ok(())
    } else {
        Err(PosError::Forbidden { role: actor, action: manage_action(target) })
    }
}

/// A user's name, trimmed: 1 to 40 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(PosError::InvalidInput(format!("a name is 1 to {MAX_NAME_LEN} characters")));
    }
    Ok(name)
}

impl Pos {
    /// Every user.
    pub fn users_list(&self, token: &SessionToken) -> Result<Vec<UserView>> {
        self.authorize(token, Command::UsersList)?;
        let now = self.now_ms();
        Ok(self.store.users()?.iter().map(|u| UserView::new(u, now)).collect())
    }

    /// Creates a user.
    pub fn user_create(&self, token: &SessionToken, name: &str, role: &str, pin: &str) -> Result<UserView> {
        let s = self.authorize(token, Command::UserCreate)?;
        let role = Role::parse(role)?;
        check_manages(s.role, role)?;
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
        let s = self.authorize(token, Command::UserSetActive)?;
        if user_id == s.user_id && !active {
            return Err(PosError::InvalidInput("you cannot deactivate yourself".into()));
        }
        check_manages(s.role, self.store.user(user_id)?.role)?;
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
        let s = self.authorize(token, Command::UserSetPin)?;
        // Your own PIN is yours to change; anyone else's only if you manage their role.
        if user_id != s.user_id {
            check_manages(s.role, self.store.user(user_id)?.role)?;
        }
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
        self.authorize(token, Command::AuditVerify)?;
        let r = self.store.verify_audit()?;
        Ok(AuditReport { ok: r.ok, entries: r.entries, first_bad_id: r.first_bad_id })
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{pos, CASHIER, INSTALLER, MANAGER, OWNER};
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

    #[test]
    fn a_manager_cannot_make_themselves_an_installer_or_an_owner() {
        let (_d, _c, p) = pos();
        let m = p.login(MANAGER, "2222").unwrap().token;
        let before = p.store().users().unwrap();
        for role in ["installer", "manager", "owner"] {
            assert_eq!(p.user_create(&m, "Sneaky", role, "4321").unwrap_err().code(), ErrorCode::Forbidden, "{role}");
        }
        // the installer's and the owner's PINs and accounts are out of a manager's reach
        for target in [INSTALLER, OWNER] {
            assert_eq!(p.user_set_pin(&m, target, "9999").unwrap_err().code(), ErrorCode::Forbidden);
            assert_eq!(p.user_set_active(&m, target, false).unwrap_err().code(), ErrorCode::Forbidden);
        }
        let other_manager =
            p.store().write(|tx| till_store::users::insert(tx, "Ma Li", till_core::Role::Manager, "h", 0));
        let other_manager = other_manager.unwrap();
        assert_eq!(p.user_set_pin(&m, other_manager, "9999").unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.user_set_active(&m, other_manager, false).unwrap_err().code(), ErrorCode::Forbidden);
        // nothing changed: no new user, the same PIN hashes, everyone still active
        let after: Vec<_> = p.store().users().unwrap().into_iter().filter(|u| u.id != other_manager).collect();
        assert_eq!(after, before);
        assert!(p.login(INSTALLER, "3333").is_ok());

        // cashiers are a manager's to manage, and so is the manager's own PIN
        let c = p.user_create(&m, "New Cashier", "cashier", "4321").unwrap();
        p.user_set_pin(&m, c.id, "5555").unwrap();
        p.user_set_active(&m, c.id, false).unwrap();
        p.user_set_active(&m, CASHIER, true).unwrap();
        p.user_set_pin(&m, MANAGER, "2223").unwrap();
        assert!(p.login(MANAGER, "2223").is_ok());
    }

    #[test]
    fn an_owner_manages_every_account_and_every_change_is_audited() {
        let (_d, _c, p) = pos();
        let o = p.login(OWNER, "4444").unwrap().token;
        let before = p.audit_verify(&o).unwrap().entries;
        for (name, role, pin) in [
            ("Ivy", "installer", "1357"),
            ("Max", "manager", "2468"),
            ("Ola", "owner", "8642"),
            ("Cai", "cashier", "1470"),
        ] {
            let u = p.user_create(&o, name, role, pin).unwrap();
            assert_eq!(u.role.as_str(), role);
            let s = p.login(u.id, pin).unwrap();
            assert_eq!(s.user.role.as_str(), role);
        }
        p.user_set_pin(&o, INSTALLER, "3334").unwrap();
        assert!(p.login(INSTALLER, "3334").is_ok());
        let m = p.login(MANAGER, "2222").unwrap().token;
        p.user_set_active(&o, MANAGER, false).unwrap();
        assert_eq!(p.cart_get(&m).unwrap_err().code(), ErrorCode::Unauthenticated);
        assert_eq!(p.user_set_active(&o, OWNER, false).unwrap_err().code(), ErrorCode::InvalidInput);
        let report = p.audit_verify(&o).unwrap();
        assert!(report.ok);
        assert!(report.entries >= before + 6);
    }

    #[test]
    fn the_session_says_which_roles_its_user_manages() {
        let (_d, _c, p) = pos();
        let names =
            |id, pin| p.login(id, pin).unwrap().manages.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        assert_eq!(names(OWNER, "4444"), "cashier,manager,installer,owner");
        assert_eq!(names(MANAGER, "2222"), "cashier");
        assert_eq!(names(CASHIER, "1111"), "");
        assert_eq!(names(INSTALLER, "3333"), "");
    }
}

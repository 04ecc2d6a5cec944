//! The roles a user of the till can have, and who may manage whom.

use crate::CoreError;
use serde::{Deserialize, Serialize};

/// What a user may do: cashiers sell; managers also run the back office and manage cashiers;
/// owners do what managers do and alone manage managers, installers and owners; installers set
/// up devices and servers and neither sell nor see sales. What each IPC command allows is the
/// permissions table of till-pos (`till_pos::admin::permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Rings up sales and takes payment.
    Cashier,
    /// Everything a cashier does, plus approvals, the back office and the cashiers' accounts.
    Manager,
    /// Configures devices and servers; does not sell and sees no sales.
    Installer,
    /// Everything a manager does, plus the accounts of managers, installers and other owners.
    Owner,
}

impl Role {
    /// Every role, in the order the documentation lists them.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Cashier, Role::Installer];

    /// Parses `cashier`, `manager`, `installer` or `owner`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        match text {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            "installer" => Ok(Role::Installer),
            "owner" => Ok(Role::Owner),
            other => Err(CoreError::UnknownRole(other.to_string())),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Installer => "installer",
            Role::Owner => "owner",
        }
    }

    /// Whether this role has a manager's say over sales: approving a refund, the back office.
    /// Owners do; the permissions table grants both the same commands apart from user
    /// administration.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Manager | Role::Owner)
    }

    /// The roles whose accounts a user with this role may create, activate, deactivate and
    /// give a new PIN: an owner every role, a manager cashiers only, nobody else any. A user
    /// who may not manage the installer's account cannot make themselves one.
    pub fn manages(self) -> &'static [Role] {
        match self {
            Role::Owner => &[Role::Cashier, Role::Manager, Role::Installer, Role::Owner],
            Role::Manager => &[Role::Cashier],
            Role::Cashier | Role::Installer => &[],
        }
    }

    /// Whether this role may manage the account of a user with role `other`.
    pub fn may_manage(self, other: Role) -> bool {
        self.manages().contains(&other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("admin").is_err());
        assert!(Role::parse("Owner").is_err());
    }

    #[test]
    fn only_owners_manage_managers_installers_and_owners() {
        for target in [Role::Manager, Role::Installer, Role::Owner] {
            assert!(Role::Owner.may_manage(target));
            for actor in [Role::Manager, Role::Cashier, Role::Installer] {
                assert!(!actor.may_manage(target), "{actor:?} may not manage {target:?}");
            }
        }
        assert!(Role::Manager.may_manage(Role::Cashier) && Role::Owner.may_manage(Role::Cashier));
        assert!(!Role::Cashier.may_manage(Role::Cashier) && !Role::Installer.may_manage(Role::Cashier));
        assert!(Role::Owner.is_manager() && Role::Manager.is_manager());
        assert!(!Role::Cashier.is_manager() && !Role::Installer.is_manager());
    }
}

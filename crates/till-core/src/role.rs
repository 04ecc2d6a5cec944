//! The roles a user of the till can have.

use crate::CoreError;
use serde::{Deserialize, Serialize};

/// What a user may do: cashiers sell, managers also manage users and approve, installers set
/// up devices and servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Rings up sales and takes payment.
    Cashier,
    /// Everything a cashier does, plus users, approvals and reports.
    Manager,
    /// Configures devices and servers; does not sell.
    Installer,
}

impl Role {
    /// Parses `cashier`, `manager` or `installer`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        match text {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            "installer" => Ok(Role::Installer),
            other => Err(CoreError::UnknownRole(other.to_string())),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Installer => "installer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for r in [Role::Cashier, Role::Manager, Role::Installer] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("admin").is_err());
    }
}

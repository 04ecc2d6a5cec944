//! The first two accounts of a shop's till: its owner, who manages managers and installers, and
//! its installer, who goes on with the setup. Made once, with no session, while the till has no
//! users at all; from then on accounts are made by those who manage them (`admin::users`).

use crate::error::{PosError, Result};
use crate::ipc::setup::FirstPeopleInput;
use crate::Pos;
use serde_json::json;
use till_core::Role;
use till_store::{audit, users};

impl Pos {
    /// Creates the shop's first owner and its installer in one transaction, with PINs under the
    /// till's policy. Refused once any user exists, and in demo mode.
    pub fn setup_first_people(&self, input: FirstPeopleInput) -> Result<()> {
        self.check_bootstrap_open()?;
        let owner = crate::admin::users::check_name(&input.owner_name)?.to_string();
        let installer = crate::admin::users::check_name(&input.installer_name)?.to_string();
        if owner == installer {
            return Err(PosError::InvalidInput("the owner and the installer need different names".into()));
        }
        if input.owner_pin == input.installer_pin {
            return Err(PosError::InvalidInput("the owner and the installer need different PINs".into()));
        }
        let owner_hash = self.new_pin_hash(&input.owner_pin)?;
        let installer_hash = self.new_pin_hash(&input.installer_pin)?;
        let now = self.now_ms();
        self.store.write(|tx| {
            // Checked again inside the transaction: two windows cannot both make a first owner.
            let existing: i64 =
                tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0)).map_err(till_store::StoreError::from)?;
            if existing > 0 {
                return Err(till_store::StoreError::Conflict("the till already has users".into()));
            }
            for (name, role, hash) in
                [(&owner, Role::Owner, &owner_hash), (&installer, Role::Installer, &installer_hash)]
            {
                let id = users::insert(tx, name, role, hash, now)?;
                audit::append(
                    tx,
                    now,
                    None,
                    "user.created",
                    &json!({ "user_id": id, "name": name, "role": role.as_str(), "by": "setup" }),
                )?;
            }
            Ok(())
        })?;
        tracing::info!("setup: the owner and the installer were created");
        Ok(())
    }
}

//! `tillctl users list --data-dir DIR` and
//! `tillctl users create-owner --data-dir DIR --name NAME` (the PIN on the first line of stdin).
//!
//! How a till gets its owner when none was made at setup (a database from before owners
//! existed): only an owner manages the accounts of managers, installers and owners, so the
//! first one cannot be made in the window. It is made here instead, by whoever can write the
//! till's data folder, which is already everything (that person could edit till.db itself).
//! The creation is audited like any other, with no user as its actor and `"by": "tillctl"`.

use crate::error::CliError;
use rand::RngCore;
use serde_json::json;
use std::io::BufRead;
use std::path::Path;
use till_core::Role;
use till_pos::admin::pin::{check_pin_format, hash_pin};
use till_store::{audit, users, Store};

/// Longest user name (as in the window's user management).
const MAX_NAME_LEN: usize = till_pos::admin::users::MAX_NAME_LEN;

/// Prints one line per user: id, role, active or not, name.
pub fn list(dir: &Path) -> Result<(), CliError> {
    let store = Store::open(&dir.join("till.db"))?;
    for u in store.users()? {
        println!("{}\t{}\t{}\t{}", u.id, u.role.as_str(), if u.active { "active" } else { "inactive" }, u.name);
    }
    Ok(())
}

/// Makes an owner named `name` with the PIN read from the first line of `pin_source`.
pub fn create_owner(dir: &Path, name: &str, pin_source: &mut dyn BufRead) -> Result<(), CliError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(CliError::Usage("--name is 1 to 40 characters"));
    }
    let mut line = String::new();
    pin_source.read_line(&mut line)?;
    let pin = line.trim_end_matches(['\r', '\n']);
    check_pin_format(pin, till_pos::admin::pin::SHOP_MIN_PIN_LEN)?;
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let hash = hash_pin(pin, &salt)?;
    let store = Store::open(&dir.join("till.db"))?;
    let now = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0),
    )
    .unwrap_or(i64::MAX);
    let id = store.write(|tx| {
        let id = users::insert(tx, name, Role::Owner, &hash, now)?;
        let detail = json!({ "user_id": id, "name": name, "role": Role::Owner.as_str(), "by": "tillctl" });
        audit::append(tx, now, None, "user.created", &detail)?;
        Ok(id)
    })?;
    println!("owner {name} created (user {id})");
    Ok(())
}

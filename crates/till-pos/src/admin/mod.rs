//! Who may do what, the till's own secrets and its backups ([`backups`]): sessions and roles, the table of who may call
//! which command, user management, the sealed-secrets box beside the database, the data
//! directory kept owner-only, and the demo
//! seed.

pub mod auth;
pub mod backups;
pub mod data_dir;
pub mod demo;
pub mod permissions;
pub mod pin;
pub mod secrets;
pub mod users;

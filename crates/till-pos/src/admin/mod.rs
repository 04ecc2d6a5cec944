//! Who may do what, and the till's own secrets: sessions and roles, user management, the
//! sealed-secrets box beside the database, the data directory kept owner-only, and the demo
//! seed.

pub mod auth;
pub mod data_dir;
pub mod demo;
pub mod secrets;
pub mod users;

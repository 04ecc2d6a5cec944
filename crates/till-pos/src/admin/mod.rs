//! Who may do what, and the till's own secrets: sessions and roles, user management, the
//! sealed-secrets box beside the database, and the demo seed.

pub mod auth;
pub mod demo;
pub mod secrets;
pub mod users;

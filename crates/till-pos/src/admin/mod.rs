//! Who may do what, and the till's own secrets: sessions and roles, the table of who may call
//! which command, user management, the sealed-secrets box beside the database, and the demo
//! seed.

pub mod auth;
pub mod demo;
pub mod permissions;
pub mod pin;
pub mod secrets;
pub mod users;

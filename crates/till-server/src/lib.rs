//! Till's reference remote server: the other end of every request a till makes.
//!
//! One process serves the four things a till talks to a server about: a **sandbox** payment
//! platform that decrypts card blocks (TDES DUKPT, AES DUKPT, or AES-256-GCM under a platform
//! key) and approves or declines test cards ([`payments`]); the record of completed sales with
//! each line's code and each sold device's identifier ([`routes::sales`]); refunds by line code
//! or device, each line decided by `till_core::refund::decide` (reputation threshold, the shop's
//! manager for the shop's own lines, else the seller) and checkable before any money moves
//! ([`routes::refunds`], [`routes::refund_check`]); and
//! loyalty points verified with phone-made tokens ([`points`], [`routes::points`]).
//!
//! Every request is signed by a registered terminal ([`signing`]), every answer to it is signed
//! back with the same terminal's secret ([`response_signature`]), and every state-changing
//! request is applied exactly once per idempotency key ([`idempotency`]): the claim, the effect
//! and the stored response commit in one transaction of the [`repo::Repository`], SQLite by
//! default. Errors are `{code, message}` with stable codes ([`error::ApiError`]). Time and
//! randomness come in from outside (till-core's clock, [`clock`]'s entropy), so tests are
//! deterministic.
//!
//! ```no_run
//! use std::sync::Arc;
//! use till_core::SystemClock;
//! use till_server::{clock::OsEntropy, config::Config, state::AppState};
//! use till_server::repo::sqlite::SqliteRepository;
//! let repo = Arc::new(SqliteRepository::open("server.db".as_ref()).unwrap());
//! let state = AppState::new(repo, Arc::new(SystemClock), Arc::new(OsEntropy), Config::default());
//! let router = till_server::app::router(state); // an axum::Router, ready to serve
//! # let _ = router;
//! ```
//!
//! The contract for clients is docs/api.md, with docs/openapi.json generated from this crate.

pub mod admin;
pub mod app;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod connection;
pub mod console;
pub mod enrolment;
pub mod error;
pub mod idempotency;
pub mod limits;
pub mod local;
pub mod merchants;
pub mod openapi;
pub mod payments;
pub mod points;
pub mod private_files;
pub mod repo;
pub mod response_signature;
pub mod routes;
pub mod scope;
pub mod sealing;
pub mod server;
pub mod service_error;
pub mod services;
pub mod signing;
pub mod state;
pub mod wire;

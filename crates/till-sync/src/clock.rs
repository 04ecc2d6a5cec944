//! Time, injected: the worker asks a [`Clock`] and never the system directly, so tests decide
//! what "now" is (signing timestamps, backoff deadlines, ages in the status line).
//!
//! The clock is till-core's, shared with the till and the server; this module only keeps the
//! old paths (`till_sync::clock::Clock`, `till_sync::Clock`, ...) working until callers import
//! `till_core::clock` directly.

pub use till_core::clock::{Clock, ManualClock, SystemClock};

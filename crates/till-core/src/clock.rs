//! Time, injected: code asks a [`Clock`] and never the system directly, so tests decide what
//! "now" is (signing timestamps, backoff deadlines, card expiry, ages in the status line).
//!
//! This is the one clock of the workspace: the till (till-pos), its sync worker (till-sync) and
//! the server (till-server) all take an `Arc<dyn Clock>`. Readings are in milliseconds since
//! the Unix epoch; [`Clock::now_unix`] gives whole seconds for the places that sign or store
//! seconds.
//!
//! This module is the one exception to "no I/O in till-core": [`SystemClock`] reads the
//! system time, so that every crate shares it instead of each writing its own.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of "now".
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch (rounded down, also before 1970).
    fn now_unix(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // A clock before 1970 is a broken machine; 0 makes every timestamp check fail loudly.
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// A clock that only moves when told to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `ms` milliseconds since the epoch.
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }

    /// A clock standing at `secs` whole seconds since the epoch.
    pub fn at_unix(secs: i64) -> Self {
        ManualClock::new(secs.saturating_mul(1000))
    }

    /// Moves the clock forward by `ms` (backward if negative).
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms`.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `secs` whole seconds.
    pub fn set_unix(&self, secs: i64) {
        self.set(secs.saturating_mul(1000));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_790_000_000_123);
        assert_eq!(c.now_ms(), 1_790_000_000_123);
        assert_eq!(c.now_unix(), 1_790_000_000);
        c.advance(877);
        assert_eq!(c.now_unix(), 1_790_000_001);
        c.set(5);
        assert_eq!((c.now_ms(), c.now_unix()), (5, 0));
        c.set_unix(1_795_000_000);
        assert_eq!(c.now_ms(), 1_795_000_000_000);
        assert_eq!(ManualClock::at_unix(7).now_ms(), 7_000);
    }

    #[test]
    fn seconds_round_down_before_the_epoch_too() {
        assert_eq!(ManualClock::new(-1).now_unix(), -1);
        assert_eq!(ManualClock::new(-1000).now_unix(), -1);
        assert_eq!(ManualClock::new(999).now_unix(), 0);
    }

    #[test]
    fn the_system_clock_agrees_with_itself_in_both_units() {
        let c = SystemClock;
        let (ms, s) = (c.now_ms(), c.now_unix());
        // Well after 2020 and the two readings within a second of each other.
        assert!(ms > 1_577_836_800_000, "{ms}");
        assert!((s - ms / 1000).abs() <= 1, "{s} vs {ms}");
    }
}

//! Cancelling a wait on a device: the cashier presses Cancel while the reader waits for a swipe
//! or the points terminal for a phone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag shared between whoever waits on a device and whoever may cancel the wait. Drivers
/// check it at least every 100 ms while waiting.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Asks the wait to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the wait was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_sees_the_cancel() {
        let c = Cancel::new();
        let seen_by_driver = c.clone();
        assert!(!seen_by_driver.is_cancelled());
        c.cancel();
        assert!(seen_by_driver.is_cancelled());
    }
}

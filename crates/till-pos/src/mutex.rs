//! One way to take a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, also after a panic in another thread: the data under the till's locks stays
/// consistent at every step (no await points, no half-written state), so a poisoned lock is
/// still usable and a panic in one command must not stop every later one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A wake-up for a worker thread: `notify` sets a flag and wakes it; `wait` returns at once
/// when the flag is set, else after `timeout`, and clears it. A notification while the worker is
/// busy is not lost.
#[derive(Default)]
pub(crate) struct Wake {
    flag: Mutex<bool>,
    cv: std::sync::Condvar,
}

impl Wake {
    /// Wakes the worker (now, or at its next wait).
    pub(crate) fn notify(&self) {
        *lock(&self.flag) = true;
        self.cv.notify_all();
    }

    /// Waits for a notification or `timeout`, whichever comes first.
    pub(crate) fn wait(&self, timeout: std::time::Duration) {
        let mut woken = lock(&self.flag);
        if !*woken {
            woken = self.cv.wait_timeout(woken, timeout).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        }
        *woken = false;
    }
}

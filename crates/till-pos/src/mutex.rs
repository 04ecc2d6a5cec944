//! One way to take a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, also after a panic in another thread: the data under the till's locks stays
/// consistent at every step (no await points, no half-written state), so a poisoned lock is
/// still usable and a panic in one command must not stop every later one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

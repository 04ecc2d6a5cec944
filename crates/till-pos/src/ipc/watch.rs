//! Listeners the window registers to be told of changes as they happen (a card payment's next
//! step, a status light, the sync line), so no screen asks again and again.

use crate::mutex::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One listener: called with the new state on every change, on whatever thread made it. It
/// must return quickly (the shell hands the value to the window's channel).
pub type Watch<T> = Arc<dyn Fn(&T) + Send + Sync>;

/// The listeners of one kind of change.
pub struct Watchers<T> {
    list: Mutex<Vec<(u64, Watch<T>)>>,
    next: AtomicU64,
}

impl<T> Default for Watchers<T> {
    fn default() -> Self {
        Watchers { list: Mutex::new(Vec::new()), next: AtomicU64::new(1) }
    }
}

impl<T> Watchers<T> {
    /// Adds a listener; the id removes it again.
    pub fn add(&self, watch: Watch<T>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.list).push((id, watch));
        id
    }

    /// Removes a listener; an unknown id is ignored (the screen may have gone twice).
    pub fn remove(&self, id: u64) {
        lock(&self.list).retain(|(i, _)| *i != id);
    }

    /// Tells every listener. The list is copied first, so a listener may add or remove
    /// listeners without a deadlock.
    pub fn send(&self, value: &T) {
        let listeners: Vec<Watch<T>> = lock(&self.list).iter().map(|(_, w)| w.clone()).collect();
        for w in listeners {
            w(value);
        }
    }

    /// How many listen.
    pub fn len(&self) -> usize {
        lock(&self.list).len()
    }

    /// Whether none listens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listener_hears_each_change_until_removed() {
        let w: Watchers<i32> = Watchers::default();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        let a = w.add(Arc::new(move |v: &i32| lock(&h).push(("a", *v))));
        let h = heard.clone();
        w.add(Arc::new(move |v: &i32| lock(&h).push(("b", *v))));
        w.send(&1);
        w.remove(a);
        w.remove(a);
        w.send(&2);
        assert_eq!(*lock(&heard), vec![("a", 1), ("b", 1), ("b", 2)]);
        assert_eq!(w.len(), 1);
    }
}

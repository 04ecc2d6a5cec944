//! Capped exponential backoff with jitter.
//!
//! After the `n`th failed attempt an event waits a random time between half and all of
//! `min(cap, base * 2^(n-1))`. The randomness spreads many tills that lost the same server
//! at the same moment; the lower half-bound keeps every wait long enough to matter. The RNG is
//! passed in, so a test can fix it.

use rand::{Rng, RngCore};
use std::time::Duration;

/// How long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The ceiling after the first failure.
    pub base: Duration,
    /// The longest wait, however many attempts failed.
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy { base: Duration::from_millis(500), cap: Duration::from_secs(300) }
    }
}

impl BackoffPolicy {
    /// The ceiling of the wait after `attempts` failed attempts (1 or more).
    pub fn ceiling(&self, attempts: i64) -> Duration {
        let shift = attempts.saturating_sub(1).clamp(0, 30) as u32;
        self.base.saturating_mul(1u32 << shift).min(self.cap)
    }

    /// The wait after `attempts` failed attempts: uniform in [ceiling / 2, ceiling].
    pub fn delay(&self, attempts: i64, rng: &mut dyn RngCore) -> Duration {
        let ceiling = self.ceiling(attempts).as_millis() as u64;
        let floor = ceiling / 2;
        Duration::from_millis(if ceiling > floor { rng.gen_range(floor..=ceiling) } else { ceiling })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let p = BackoffPolicy { base: Duration::from_millis(100), cap: Duration::from_secs(5) };
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(6), Duration::from_millis(3_200));
        assert_eq!(p.ceiling(7), Duration::from_secs(5));
        assert_eq!(p.ceiling(1_000_000), Duration::from_secs(5));
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        let mut rng = StdRng::seed_from_u64(1);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = p.delay(3, &mut rng);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&d), "{d:?}");
            seen.insert(d);
        }
        assert!(seen.len() > 20, "jitter spreads the waits");
        // the same seed gives the same waits
        let a: Vec<_> = (1..10).map(|n| p.delay(n, &mut StdRng::seed_from_u64(9))).collect();
        let b: Vec<_> = (1..10).map(|n| p.delay(n, &mut StdRng::seed_from_u64(9))).collect();
        assert_eq!(a, b);
    }
}

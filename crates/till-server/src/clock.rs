//! Randomness, passed in so that tests can fix it, and the calendar month of a Unix time.
//!
//! The clock is till-core's ([`till_core::clock`]), shared with the till and its sync worker;
//! randomness stays here because only the server makes secrets, keys and auth codes.

/// A source of random bytes (secrets, keys, auth codes).
pub trait Entropy: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(buf);
    }
}

/// Deterministic bytes for tests: a seeded ChaCha stream.
#[derive(Debug)]
pub struct SeededEntropy(std::sync::Mutex<rand::rngs::StdRng>);

impl SeededEntropy {
    /// A stream seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        use rand::SeedableRng;
        SeededEntropy(std::sync::Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)))
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        use rand::RngCore;
        // A poisoned lock only means another test thread panicked; the RNG state is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).fill_bytes(buf);
    }
}

/// The calendar year and month (1..=12) of a Unix time, in UTC.
pub fn year_month(unix: i64) -> (i64, u32) {
    till_core::calendar::year_month(unix.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_of_known_dates() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(1_795_000_000), (2026, 11)); // 2026-11-18
        assert_eq!(year_month(951_782_400), (2000, 2)); // 2000-02-29
        assert_eq!(year_month(1_709_251_199), (2024, 2)); // 2024-02-29 23:59:59
    }
}

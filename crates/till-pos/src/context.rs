//! What every use case takes from the till itself: the time and random numbers, both injected
//! through `PosConfig` so tests are deterministic. It sits below every folder and calls none.

use crate::mutex::lock;
use crate::Pos;
use rand::RngCore;

impl Pos {
    /// Now, by the till's clock, in ms since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// `n` random bytes as lower-case hex (ids, tokens, codes).
    pub(crate) fn random_hex(&self, n: usize) -> String {
        let mut bytes = vec![0u8; n];
        lock(&self.rng).fill_bytes(&mut bytes);
        hex::encode(bytes)
    }
}

//! What guards requests across every server process sharing the database (schema version 11):
//! the nonces of signed requests, each refused a second time until it expires, and the count of
//! wrong enrolment codes. Both used to live in one process's memory; in the database two
//! servers in front of one PostgreSQL refuse a nonce the other already saw.

use super::RepoResult;

/// The statements of the request guards, part of every [`super::Tx`].
pub trait RequestGuardsTx {
    /// Records that `terminal` used `nonce` (lower-case hex) until `expires_at`: true when it
    /// is fresh (never seen, or seen with an expiry before `now`), false for a replay. One
    /// conditional write, so of two requests with the same nonce exactly one gets true, also on
    /// two servers at once.
    fn claim_nonce(&mut self, terminal: &str, nonce: &str, expires_at: i64, now: i64) -> RepoResult<bool>;
    /// Deletes the nonces that expired before `now`; returns how many.
    fn purge_nonces(&mut self, now: i64) -> RepoResult<usize>;
    /// The wrong enrolment codes of the window of `window` seconds that holds `now`: when the
    /// window started and how many, or `None` when no window is open at `now`.
    fn enrolment_failures(&mut self, now: i64, window: i64) -> RepoResult<Option<(i64, i64)>>;
    /// Counts a wrong enrolment code at `now`, opening a new window of `window` seconds when the
    /// last one is over.
    fn record_enrolment_failure(&mut self, now: i64, window: i64) -> RepoResult<()>;
}

//! Fault hooks: named points on the money path where a test can stop the till dead, to prove
//! that what is on disk at that moment is enough to lose no money (the crash test of the
//! payment journal, `tests/payment_crash.rs`).
//!
//! Without the `fault-hooks` cargo feature a point compiles to nothing. With it, a point whose
//! name is in the environment variable [`FAULT_ENV`] prints `FAULT <name>` on stdout and waits
//! to be killed (SIGKILL from the test); if nobody kills it, it aborts. Only this crate's own
//! tests turn the feature on (a dev-dependency on itself), and a build with optimisations
//! refuses it, so no release build can carry a hook.

#[cfg(all(feature = "fault-hooks", not(debug_assertions)))]
compile_error!("the fault-hooks feature is for test builds only; it must never be in a release build");

/// The environment variable naming the point to stop at.
pub const FAULT_ENV: &str = "TILL_FAULT";

/// Between a card approval and the commit of its sale.
pub const CARD_APPROVED: &str = "card.approved";

/// A fault point: see the module docs.
#[inline]
pub(crate) fn point(name: &str) {
    #[cfg(feature = "fault-hooks")]
    if std::env::var(FAULT_ENV).as_deref() == Ok(name) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "FAULT {name}");
        let _ = out.flush();
        drop(out);
        std::thread::sleep(std::time::Duration::from_secs(60));
        std::process::abort();
    }
    #[cfg(not(feature = "fault-hooks"))]
    let _ = name;
}

//! `tillctl bench login [--rounds N]`: what a PIN costs, with the argon2id library defaults
//! (every hash before the till chose its own) and with the till's parameters, side by side in
//! one run on one machine.
//!
//! Rows: hashing a PIN (what creating a user or changing a PIN costs), verifying one (what an
//! attacker pays per guess, and the bulk of a login), a whole `Pos::login` (hash check, the
//! decision and the count in one IMMEDIATE transaction with its audit entry, the session), and
//! the first login of a user whose hash has the old parameters (verified, then rehashed).

use crate::error::CliError;
use std::time::{Duration, Instant};
use till_core::Role;
use till_pos::admin::pin::{hash_pin_with, verify_pin, M_COST_KIB, P_COST, T_COST};
use till_pos::{Pos, PosConfig};

/// The argon2 crate's defaults (`Params::DEFAULT_*`): 19 MiB, 2 passes, 1 lane.
const DEFAULT_PARAMS: (u32, u32, u32) = (19_456, 2, 1);

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Nanoseconds this thread has spent on a CPU (Linux: the first field of
/// /proc/thread-self/schedstat). The wall clock counts the time other processes had the CPU
/// too; on a busy machine this is the figure that does not move with them.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Wall-clock samples and the mean time on the CPU per round.
struct Samples {
    wall: Vec<Duration>,
    cpu_mean: Option<Duration>,
}

/// Prints a table row: what, rounds, p50, max (wall clock), mean time on the CPU.
fn report(name: &str, mut s: Samples) {
    s.wall.sort();
    let p50 = s.wall.get(s.wall.len() / 2).copied().unwrap_or_default();
    let max = s.wall.last().copied().unwrap_or_default();
    let cpu = s.cpu_mean.map(ms).unwrap_or_else(|| "n/a".into());
    println!("| {name} | {} | {} | {} | {cpu} |", s.wall.len(), ms(p50), ms(max));
}

fn timed<T>(rounds: usize, mut f: impl FnMut(usize) -> Result<T, CliError>) -> Result<Samples, CliError> {
    let mut wall = Vec::with_capacity(rounds);
    let cpu_start = cpu_ns();
    for i in 0..rounds {
        let t = Instant::now();
        f(i)?;
        wall.push(t.elapsed());
    }
    let cpu_mean = cpu_start
        .zip(cpu_ns())
        .map(|(a, b)| Duration::from_nanos(b.saturating_sub(a) / u64::try_from(rounds.max(1)).unwrap_or(1)));
    Ok(Samples { wall, cpu_mean })
}

/// Runs every row `rounds` times on a demo till in a fresh directory.
pub fn run(rounds: usize) -> Result<(), CliError> {
    let rounds = rounds.max(1);
    let dir = std::env::temp_dir().join(format!("till-bench-login-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (dm, dt, dp) = DEFAULT_PARAMS;
    let defaults = format!("library defaults (m={} MiB, t={dt}, p={dp})", dm / 1024);
    let till = format!("till (m={} MiB, t={T_COST}, p={P_COST})", M_COST_KIB / 1024);
    println!("| what | rounds | p50 | max | on the CPU, mean |");
    println!("|---|---|---|---|---|");

    let salt = [9u8; 16];
    report(&format!("hash a PIN, {defaults}"), timed(rounds, |_| Ok(hash_pin_with("2580", &salt, dm, dt, dp)?))?);
    report(
        &format!("hash a PIN, {till}"),
        timed(rounds, |_| Ok(hash_pin_with("2580", &salt, M_COST_KIB, T_COST, P_COST)?))?,
    );
    let old = hash_pin_with("2580", &salt, dm, dt, dp)?;
    let new = hash_pin_with("2580", &salt, M_COST_KIB, T_COST, P_COST)?;
    report(&format!("verify a PIN (one guess), {defaults}"), timed(rounds, |_| Ok(verify_pin("2580", &old)?))?);
    report(&format!("verify a PIN (one guess), {till}"), timed(rounds, |_| Ok(verify_pin("2580", &new)?))?);

    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    report(&format!("Pos::login, {till}"), timed(rounds, |_| Ok(pos.login(1, "1111")?))?);
    // One user per round with an old hash: each login verifies it and stores a new one.
    let ids = pos.store().write(|tx| {
        (0..rounds)
            .map(|i| till_store::users::insert(tx, &format!("Old hash {i}"), Role::Cashier, &old, 0))
            .collect::<Result<Vec<_>, _>>()
    })?;
    report(
        "first Pos::login with an old hash (verify, then rehash)",
        timed(rounds, |i| Ok(pos.login(ids[i], "2580")?))?,
    );
    drop(pos);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

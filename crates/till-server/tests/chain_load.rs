//! The chain load test: two real till-server processes on 127.0.0.1 share one database; twenty
//! tills (each its own data directory, database, terminal and sync worker, driven through
//! till-pos) sell by cash and card, earn and redeem points and refund, half of them against
//! each server. Mid-run one server is SIGKILLed and started again; its tills keep selling, half
//! of them fail over to the other server and the rest retry until theirs is back. Afterwards every till's ledger equals the server's: every sale,
//! payment, refund and points change once, every outbox event delivered, every card charge a
//! sale, every points balance the sum of what the tills confirmed (docs/load-test.md).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod chain;

use chain::servers::Backend;
use chain::till::{Op, Workload};
use chain::{Chain, Kill};
use std::time::Duration;

const TILLS: usize = 20;
const STEPS: usize = 16;

fn two_servers_share_one_database_through_a_kill(backend: Backend, dir: &std::path::Path) {
    let mut chain = Chain::start(dir, backend, 2, TILLS).unwrap();
    chain.enrol_customers().unwrap();
    chain.start_sync().unwrap();
    let kill = Kill { server: 0, after_steps: TILLS * STEPS / 3, down_for: Duration::from_secs(2), failover: true };
    let report = chain.run(STEPS, Workload::FULL, Some(kill)).unwrap();
    chain.wait_delivered(Duration::from_secs(180)).unwrap();
    let (differences, counts) = chain.compare().unwrap();
    for r in report.tallies.iter().flat_map(|t| &t.refused) {
        eprintln!("refused: {r}");
    }
    eprintln!(
        "sales {} (card {}, card fell back to cash {}), points {}, refunds {}; compared {counts:?}",
        report.total(|t| t.sales),
        report.total(|t| t.card),
        report.total(|t| t.card_fallback),
        report.total(|t| t.points),
        report.total(|t| t.refunds),
    );
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    // The run did what it claims: every kind of record was there to compare.
    let sale_steps = (0..STEPS).filter(|i| Workload::FULL.op(*i) != Op::Refund).count() * TILLS;
    assert_eq!(report.total(|t| t.sales), sale_steps);
    for section in ["orders", "payments", "refunds", "points", "events", "card charges"] {
        assert!(counts.get(section).copied().unwrap_or(0) > 0, "nothing compared in {section}: {counts:?}");
    }
    assert!(report.total(|t| t.card) > 0, "no card sale went through");
    // The kill was felt: events failed while the server was down and went through later.
    assert!(counts["retried events"] > 0, "no event was retried: {counts:?}");

    // Every answer lost at once: two tills send everything again to the server they did not
    // send it to. The shared idempotency keys answer from the database; nothing changes.
    let resent = chain.resend_elsewhere(1).unwrap() + chain.resend_elsewhere(2).unwrap();
    assert!(resent > 2 * STEPS, "{resent} events sent again");
    chain.wait_delivered(Duration::from_secs(120)).unwrap();
    let (differences, again) = chain.compare().unwrap();
    assert!(differences.is_empty(), "after sending again:\n{}", differences.join("\n"));
    assert_eq!(again["events"], counts["events"]);
    assert!(report.total(|t| t.refunds) >= TILLS, "too few refunds: {report:?}");
}

#[test]
fn twenty_tills_two_servers_one_sqlite_file_a_server_killed_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().join("server.db"));
    two_servers_share_one_database_through_a_kill(backend, dir.path());
}

#[test]
fn twenty_tills_two_servers_one_postgres_database_a_server_killed_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    // Its own database on the server TILL_TEST_POSTGRES names, dropped at the end.
    let (backend, _database) = chain::servers::postgres_from_env().unwrap();
    two_servers_share_one_database_through_a_kill(backend, dir.path());
}

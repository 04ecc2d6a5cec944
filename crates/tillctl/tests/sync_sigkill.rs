//! SIGKILL of the sync worker mid-batch, 100 times: `tillctl sync run` drains the outbox to a
//! real till-server on 127.0.0.1 and is killed at random moments; afterwards one clean run
//! finishes the job, and every event took effect on the server exactly once (the server's
//! orders equal the app's, its idempotency keys equal the outbox's ids).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

mod support;
use support::tillctl;

#[test]
fn sigkill_of_the_sync_worker_mid_batch_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let support::TestServer { server, db: server_db, terminal_id, secret_file } = support::start_server(dir.path());
    let data = dir.path().join("till");

    // Real sales, as the till rings them up.
    let mut drill =
        tillctl().args(["drill", "checkout", "--data-dir"]).arg(&data).stdout(Stdio::piped()).spawn().unwrap();
    let acks = BufReader::new(drill.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.starts_with("ACK "))
        .take(40)
        .count();
    assert_eq!(acks, 40);
    drill.kill().unwrap();
    drill.wait().unwrap();
    // And a backlog behind them, so that every kill lands while there is work.
    let store = till_store::Store::open(&data.join("till.db")).unwrap();
    let mut rng = StdRng::seed_from_u64(0x5EED);
    store
        .write(|tx| {
            for n in 0..3_000 {
                let code = till_core::LineCode::generate(&mut rng);
                let total: i64 = 100 + n;
                let p = serde_json::json!({
                    "order_id": 1_000_000 + n, "order_no": format!("B{n:07}"), "created_at_ms": 1_795_000_000_000i64,
                    "currency": "CNY", "total": total,
                    "lines": [{"line_code": code.as_str(), "sku": "SKU-1", "quantity": 1, "unit_price": total, "gross": total}],
                    "payment": {"tender": "cash", "amount": total}
                });
                till_store::outbox::enqueue(tx, &format!("backlog-{n:05}"), "sale.recorded", "backlog", &p, n)?;
            }
            Ok(())
        })
        .unwrap();
    let real_sales = store.order_count().unwrap();
    assert!(real_sales >= 40, "the drill rang up only {real_sales} sales");
    drop(store);

    let run = |extra: &[&str]| {
        let mut c = tillctl();
        c.args(["sync", "run", "--data-dir"])
            .arg(&data)
            .args(["--url", &server.url(), "--terminal-id", &terminal_id, "--secret-file"])
            .arg(&secret_file)
            .args(["--batch", "7", "--timeout-ms", "5000"])
            .args(extra);
        c
    };
    let mut mid_batch = 0;
    for _ in 0..100 {
        let mut child = run(&[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(10..150)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Killed mid-batch: events claimed and never settled.
        if till_store::Store::open(&data.join("till.db")).unwrap().outbox_counts().unwrap().sending > 0 {
            mid_batch += 1;
        }
    }
    eprintln!("{mid_batch} of 100 kills landed mid-batch");
    assert!(mid_batch >= 10, "only {mid_batch} of 100 kills landed mid-batch");
    let before = till_store::Store::open(&data.join("till.db")).unwrap().outbox_counts().unwrap();
    assert!(before.done > 0, "the killed workers delivered nothing");
    let out = run(&["--once"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The app's view: everything delivered, nothing parked.
    let store = till_store::Store::open(&data.join("till.db")).unwrap();
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.parked), (0, 0), "{counts:?}");
    let mut expected_sales = BTreeMap::new();
    let mut expected_keys = BTreeSet::new();
    for ev in store.outbox_events("sale.recorded").unwrap() {
        assert_eq!(ev.state, "done");
        let p: serde_json::Value = serde_json::from_str(&ev.payload).unwrap();
        expected_sales.insert(p["order_no"].as_str().unwrap().to_string(), p["total"].as_i64().unwrap());
        expected_keys.insert(ev.id);
    }
    assert_eq!(expected_keys.len() as i64, real_sales + 3_000);

    // The server's view, from its SQLite file.
    let c = rusqlite::Connection::open(&server_db).unwrap();
    let sales = support::map(&c, "SELECT order_id, total_minor FROM orders");
    let keys = support::set(&c, "SELECT idem_key FROM idempotency");
    assert_eq!(keys, expected_keys);
    assert_eq!(sales, expected_sales);
    let lines: i64 = c.query_row("SELECT count(*) FROM order_lines", [], |r| r.get(0)).unwrap();
    let local_lines: i64 = till_store::Store::open(&data.join("till.db"))
        .unwrap()
        .read(|c| Ok(c.query_row("SELECT count(*) FROM order_lines", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(lines, local_lines + 3_000);

    let status = tillctl().args(["sync", "status", "--json", "--data-dir"]).arg(&data).output().unwrap();
    assert!(status.status.success());
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!((v["pending"].as_i64(), v["parked"].as_i64(), v["online"].as_bool()), (Some(0), Some(0), Some(true)));
}

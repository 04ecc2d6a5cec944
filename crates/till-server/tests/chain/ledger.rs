//! The comparison the load test rests on: each till's own ledger (its SQLite file) against what
//! the shared server database holds for its terminal. Both sides are read as sorted lines of
//! text, so a difference shows as the lines one side has and the other has not.

use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use till_server::args;
use till_server::repo::sql::{SqlConn, Value};

/// Lines of text, one per row, sorted.
pub type Lines = Vec<String>;

fn render(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Text(t) => t.clone(),
        Value::Bytes(b) => format!("{} bytes", b.len()),
    }
}

/// Rows of `sql` on a server connection, each as its columns joined by spaces.
pub fn server_lines(conn: &mut dyn SqlConn, sql: &str, terminal: &str) -> Result<Lines, String> {
    let rows = conn.query(sql, args![terminal]).map_err(|e| format!("{sql}: {e}"))?;
    let mut out: Lines = rows.iter().map(|r| r.0.iter().map(render).collect::<Vec<_>>().join(" ")).collect();
    out.sort();
    Ok(out)
}

fn till_lines(conn: &Connection, sql: &str) -> Result<Lines, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| format!("{sql}: {e}"))?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => "NULL".to_string(),
                        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        other => format!("{other:?}"),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|v| v.join(" "))
        })
        .map_err(|e| e.to_string())?;
    let mut out = rows.collect::<rusqlite::Result<Lines>>().map_err(|e| e.to_string())?;
    out.sort();
    Ok(out)
}

/// One kind of record: the till's query and the server's (with `?1` the terminal).
struct Section {
    name: &'static str,
    till: &'static str,
    server: &'static str,
}

const SECTIONS: &[Section] = &[
    Section {
        name: "orders",
        till: "SELECT order_no, total_minor FROM orders",
        server: "SELECT order_id, total_minor FROM orders WHERE terminal_id = ?1",
    },
    Section {
        name: "payments",
        till: "SELECT o.order_no, p.tender, p.amount_minor, COALESCE(p.auth_code, '-')
               FROM payments p JOIN orders o ON o.id = p.order_id",
        server: "SELECT order_id, tender, amount_minor, COALESCE(auth_code, '-') FROM payments WHERE terminal_id = ?1",
    },
    Section {
        name: "refunds",
        till: "SELECT ol.line_code, rl.amount_minor, COALESCE(rl.server_status, '-')
               FROM refund_lines rl JOIN order_lines ol ON ol.id = rl.order_line_id",
        server: "SELECT line_code, amount_minor, status FROM refunds WHERE terminal_id = ?1",
    },
    Section {
        name: "points",
        till: "SELECT COALESCE(o.order_no, ro.order_no), replace(pl.kind, '-', '_'), pl.points
               FROM points_ledger pl LEFT JOIN orders o ON o.id = pl.order_id
               LEFT JOIN refunds r ON r.id = pl.refund_id LEFT JOIN orders ro ON ro.id = r.order_id
               WHERE pl.status = 'confirmed'",
        server: "SELECT order_id, kind, delta FROM points_entries WHERE terminal_id = ?1",
    },
    Section {
        // Every event the till's outbox holds was delivered and is known to the server under its
        // idempotency key, with the answer the till recorded.
        name: "events",
        till: "SELECT id, COALESCE(response_status, -1) FROM outbox WHERE state = 'done'",
        server: "SELECT idem_key, status FROM idempotency WHERE terminal_id = ?1",
    },
];

/// What one till's comparison found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Records per section on the till's side.
    pub counts: BTreeMap<&'static str, usize>,
    /// Every difference, in words; empty when the ledgers agree.
    pub differences: Vec<String>,
}

fn diff(name: &str, till: &Lines, server: &Lines, out: &mut Vec<String>) {
    let only = |a: &Lines, b: &Lines| -> Lines {
        // A multiset difference: a record twice on one side and once on the other shows.
        let mut b = b.clone();
        let mut left = Vec::new();
        for x in a {
            match b.iter().position(|y| y == x) {
                Some(p) => {
                    b.swap_remove(p);
                }
                None => left.push(x.clone()),
            }
        }
        left
    };
    for x in only(till, server) {
        out.push(format!("{name}: on the till, not on the server: {x}"));
    }
    for x in only(server, till) {
        out.push(format!("{name}: on the server, not on the till: {x}"));
    }
}

/// Compares the till whose database is `till_db` and whose terminal is `terminal` with the
/// server's records; `account` is its loyalty customer's account.
pub fn compare(
    till_db: &Path,
    terminal: &str,
    account: Option<&str>,
    server: &mut dyn SqlConn,
) -> Result<Comparison, String> {
    let till = Connection::open_with_flags(till_db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", till_db.display()))?;
    let mut c = Comparison::default();
    for s in SECTIONS {
        let t = till_lines(&till, s.till)?;
        let mut srv = server_lines(server, s.server, terminal)?;
        if s.name == "events" {
            // The server also keeps the keys of the till's direct calls (enrolment, card
            // authorisations, refund decisions): only the outbox's keys are compared.
            let ids: std::collections::HashSet<&str> = t.iter().filter_map(|l| l.split(' ').next()).collect();
            srv.retain(|l| l.split(' ').next().is_some_and(|k| ids.contains(k)));
        }
        c.counts.insert(s.name, t.len());
        diff(s.name, &t, &srv, &mut c.differences);
    }
    // Nothing left behind: every event delivered, none parked or given up.
    let stuck = till_lines(&till, "SELECT id, state, COALESCE(parked_reason, '') FROM outbox WHERE state <> 'done'")?;
    for s in stuck {
        c.differences.push(format!("events: not delivered: {s}"));
    }
    let pending = till_lines(&till, "SELECT id, kind FROM points_ledger WHERE status = 'pending'")?;
    for p in pending {
        c.differences.push(format!("points: still pending on the till: {p}"));
    }
    // Card money: every authorisation the platform holds approved (not taken back) is one card
    // payment the till settled in a sale, by payment id; one approved online whose answer was
    // lost in the kill is reversed, one the till approved offline is forwarded once.
    let charged = server_lines(
        server,
        "SELECT payment_id, amount_minor FROM authorizations WHERE terminal_id = ?1 AND status = 'approved'",
        terminal,
    )?;
    let settled = till_lines(
        &till,
        "SELECT payment_id, amount_minor FROM payment_journal WHERE method = 'card' AND state = 'settled'",
    )?;
    diff("card charges", &settled, &charged, &mut c.differences);
    let unfinished = till_lines(
        &till,
        "SELECT payment_id, state FROM payment_journal WHERE state IN ('authorising', 'approved', 'reversal_pending')",
    )?;
    for u in unfinished {
        c.differences.push(format!("card charges: unfinished on the till: {u}"));
    }
    let card_sales = till_lines(&till, "SELECT count(*) FROM payments WHERE tender = 'card'")?;
    if card_sales != vec![settled.len().to_string()] {
        c.differences.push(format!("card charges: {card_sales:?} card payments, {} settled", settled.len()));
    }
    c.counts.insert("card charges", settled.len());
    // Events that needed more than one attempt (the server they went to was down, or busy).
    let retried = till_lines(&till, "SELECT id FROM outbox WHERE attempts > 1")?;
    c.counts.insert("retried events", retried.len());
    // Points applied once: the server's balance is the sum of what the till confirmed.
    if let Some(account) = account {
        let on_server = server_lines(server, "SELECT balance FROM points_accounts WHERE account_id = ?1", account)?;
        let on_till = till_lines(
            &till,
            &format!(
                "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE status = 'confirmed' AND customer_ref = '{}'",
                account.replace('\'', "")
            ),
        )?;
        if on_server != on_till {
            c.differences.push(format!("points balance: till {on_till:?}, server {on_server:?}"));
        }
    }
    Ok(c)
}

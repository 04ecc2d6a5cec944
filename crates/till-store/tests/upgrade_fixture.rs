//! A database written by this version of Till, kept as a fixture: every later build must open
//! it (migrating it when the schema has moved on), pass the checks of `tillctl db check` and
//! keep every sale.
//!
//! The fixture is `tests/fixtures/till-v13.db` (schema version 13, the migrations up to
//! 0014_points_balances.sql; there is no 0012) with `till-v13.json` (what it holds: every
//! order's key, total and status, and counts of users, refunds and points changes). It is made
//! by this file's `the_fixture_generator_still_makes_a_good_database` test with
//! `UPDATE_FIXTURES=1 cargo test -p till-store --test upgrade_fixture`, which writes both files;
//! without the variable that test builds the same database in a temporary folder and checks it
//! (so the generator keeps working). Regenerate only for a new schema version, under a new name
//! (`till-v<version>.db`), and keep the old ones: each is an upgrade path from a released Till.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use till_core::{Cart, CashPayment, Currency, ManualClock, Money, NewOrder, Payment, Role, Sku, TaxRate};
use till_store::demo_data::{generate, GenerateSpec};
use till_store::migrations::latest_version;
use till_store::{NewProduct, PointsChange, SaleLoyalty, Store};

/// The schema version the fixture was written at.
const FIXTURE_VERSION: u32 = 13;
/// 2026-12-01 00:00 UTC.
const START_MS: i64 = 1_796_083_200_000;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn m(minor: i64) -> Money {
    Money::new(minor, Currency::CNY)
}

/// What a database holds, as the fixture's JSON records it.
fn summary(store: &Store) -> Value {
    store
        .read(|c| {
            let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
            let mut s = c.prepare("SELECT id, checkout_key, total_minor, status FROM orders ORDER BY id")?;
            let orders: Vec<Value> = s
                .query_map([], |r| {
                    Ok(json!([
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?
                    ]))
                })?
                .collect::<Result<_, _>>()?;
            Ok(json!({
                "orders": orders,
                "users": q("SELECT count(*) FROM users")?,
                "refunds": q("SELECT count(*) FROM refunds")?,
                "points_changes": q("SELECT count(*) FROM points_ledger")?,
                "audit_entries": q("SELECT count(*) FROM audit_log")?,
            }))
        })
        .unwrap()
}

/// The checks of `tillctl db check`.
fn db_check(store: &Store) {
    store.integrity_check().unwrap();
    let audit = store.verify_audit().unwrap();
    assert!(audit.ok, "audit chain broken at {:?}", audit.first_bad_id);
    assert_eq!(store.partial_orders().unwrap(), Vec::<i64>::new());
    let inv = store.check_invariants().unwrap();
    assert!(inv.is_ok(), "{inv:?}");
}

/// Writes the fixture's database at `path`: users of every role, 80 generated orders (cash, card
/// and points tenders, refunds) and three sales that earn points.
fn build(path: &Path) -> Value {
    let clock = ManualClock::new(START_MS);
    let store = Store::open_with_clock(path, &clock).unwrap();
    for (name, role) in [
        ("Olu", Role::Owner),
        ("Meg", Role::Manager),
        ("Ann", Role::Cashier),
        ("Bo", Role::Cashier),
        ("Ian", Role::Installer),
    ] {
        // Not a real PIN hash: the fixture is about the data, and no one logs in to it.
        store.write(|tx| till_store::users::insert(tx, name, role, "fixture-not-a-pin-hash", START_MS)).unwrap();
    }
    let products = [("TEA-01", "Green tea", 3800), ("MILK-1", "Milk", 699)];
    store
        .add_products(
            &products
                .iter()
                .map(|(sku, name, price)| NewProduct {
                    sku: Sku::parse(sku).unwrap(),
                    barcode: None,
                    name: (*name).into(),
                    name_zh: None,
                    price: m(*price),
                    tax_rate: TaxRate::from_basis_points(1300).unwrap(),
                    tax_inclusive: true,
                    serialised: false,
                })
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let spec = GenerateSpec { orders: 80, seed: 14, start_ms: START_MS, days: 3, currency: Currency::CNY };
    let report = generate(&store, &spec, &mut |_, _| {}).unwrap();
    assert!(report.refunds > 0, "the seed gives refunds: {report:?}");
    let mut rng = StdRng::seed_from_u64(14);
    let tea = store.product_by_sku(&Sku::parse("TEA-01").unwrap()).unwrap().unwrap();
    for n in 0..3 {
        let mut cart = Cart::new(Currency::CNY);
        cart.add(&tea, 1 + n).unwrap();
        let total = cart.totals().unwrap().total;
        let payment = Payment::Cash(CashPayment::take(total, m(total.minor() + 200)).unwrap());
        let at = START_MS + 4 * 86_400_000 + n * 60_000;
        let order = NewOrder::from_cart(&cart, payment, format!("fixture-points-{n}"), 3, at, &mut rng).unwrap();
        let mut token = [0u8; 44];
        rng.fill(&mut token[..]);
        let loyalty = SaleLoyalty {
            customer_ref: format!("{:032x}", 0xc0ffee_u128 + n as u128),
            redeem: None,
            earn: Some(PointsChange {
                event_id: format!("fixture-earn-{n}"),
                points: total.minor() / 100,
                token_hex: hex::encode(token),
            }),
            redeem_first: false,
        };
        store.record_sale_with_points(&order, &format!("fixture-sale-{n}"), Some(&loyalty)).unwrap();
    }
    let summary = summary(&store);
    db_check(&store);
    drop(store);
    // One small, self-contained file.
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    c.execute_batch("VACUUM").unwrap();
    summary
}

#[test]
fn the_fixture_generator_still_makes_a_good_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    let summary = build(&path);
    assert!(summary["points_changes"].as_i64().unwrap() >= 3);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        assert_eq!(latest_version(), FIXTURE_VERSION, "name a new fixture for schema {}", latest_version());
        std::fs::create_dir_all(fixtures()).unwrap();
        std::fs::copy(&path, fixtures().join(format!("till-v{FIXTURE_VERSION}.db"))).unwrap();
        let text = serde_json::to_string_pretty(&summary).unwrap() + "\n";
        std::fs::write(fixtures().join(format!("till-v{FIXTURE_VERSION}.json")), text).unwrap();
    }
}

#[test]
fn a_database_written_by_schema_version_13_opens_passes_the_checks_and_keeps_every_sale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    std::fs::copy(fixtures().join(format!("till-v{FIXTURE_VERSION}.db")), &path).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("till-v{FIXTURE_VERSION}.json"))).unwrap(),
    )
    .unwrap();
    let version: u32 =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, FIXTURE_VERSION, "the fixture is what its name says");

    let clock = ManualClock::new(START_MS + 30 * 86_400_000);
    let store = Store::open_with_clock(&path, &clock).unwrap();
    assert_eq!(store.read(till_store::migrations::current_version).unwrap(), latest_version());
    db_check(&store);
    let found = summary(&store);
    assert_eq!(found["orders"], expected["orders"], "every sale, with its key, total and status");
    for count in ["users", "refunds", "points_changes"] {
        assert_eq!(found[count], expected[count], "{count}");
    }
    // An upgrade may add audit entries, never lose one.
    assert!(found["audit_entries"].as_i64() >= expected["audit_entries"].as_i64());
    // Refunds recorded before one decision per line (migration 16): their money left when they
    // were recorded, a refused one's lines are refused and its amount counts as refused.
    let (lines, unpaid, mismatched): (i64, i64, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*),
                        coalesce(sum(l.status <> 'refused' AND l.paid_at_ms IS NOT r.created_at_ms), 0),
                        coalesce(sum((r.status = 'refused') <> (l.status = 'refused')
                                     OR (r.status = 'refused' AND r.refused_minor <> r.amount_minor)), 0)
                   FROM refund_lines l JOIN refunds r ON r.id = l.refund_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap();
    assert!(lines > 0, "the fixture has refunds");
    assert_eq!((unpaid, mismatched), (0, 0));
    assert!(expected["orders"].as_array().unwrap().len() >= 80);
    // A newer build copies the fixture to backups/ before migrating it.
    let copies = std::fs::read_dir(dir.path().join("backups")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(copies, usize::from(FIXTURE_VERSION < latest_version()));
}
